"""One-to-one assignment on a sparse candidate graph: maximum cardinality, then maximum IoU.

Each connected component of the candidate graph is solved on its own. Components that are a
single edge (the common case: one call, one detection) are matched directly; all others are
solved together as one block-diagonal minimum-cost full matching
(``scipy.sparse.csgraph.min_weight_full_bipartite_matching``), where every reference event
gets a private dummy partner whose cost is larger than any gain in IoU can pay for. The
optimum therefore matches as many pairs as possible and, among those matchings, maximises
the summed IoU. Never greedy.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

__all__: list[str] = []


def assign(
    gi: np.ndarray, pj: np.ndarray, weight: np.ndarray, n_gt: int, n_pred: int
) -> np.ndarray:
    """Return the indices (into the candidate arrays) of the chosen edges.

    Parameters
    ----------
    gi, pj : ndarray of int
        Reference and prediction index of each candidate edge (no duplicates).
    weight : ndarray of float
        Tie-break weight in [0, 1] (higher is preferred among maximum matchings).
    n_gt, n_pred : int
        Number of reference and predicted events.
    """
    n_edges = len(gi)
    if n_edges == 0:
        return np.zeros(0, dtype=np.int64)
    n_nodes = n_gt + n_pred
    adj = sp.coo_matrix(
        (np.ones(n_edges, dtype=np.int8), (gi, pj + n_gt)), shape=(n_nodes, n_nodes)
    ).tocsr()
    _, labels = connected_components(adj, directed=False)
    comp = labels[gi]
    edges_per_comp = np.bincount(comp, minlength=int(labels.max()) + 1)
    # Stars (one node on one side) match exactly one edge: the one with the highest weight.
    gt_per_comp = np.bincount(labels[:n_gt], minlength=len(edges_per_comp))
    pred_per_comp = np.bincount(labels[n_gt:], minlength=len(edges_per_comp))
    star = (gt_per_comp[comp] == 1) | (pred_per_comp[comp] == 1)
    chosen = [_best_edge_per_component(np.flatnonzero(star), comp, weight)]
    multi = np.flatnonzero(~star)
    if len(multi):
        # The sparse solver slows down superlinearly on one huge block-diagonal graph, so
        # components are solved in batches of a few thousand edges.
        multi = multi[np.argsort(comp[multi], kind="stable")]
        for batch in _batches(comp[multi], _BATCH_EDGES):
            e = multi[batch]
            chosen.append(e[_solve_blocks(gi[e], pj[e], weight[e], comp[e])])
    out = np.concatenate(chosen)
    out.sort()
    return out


_BATCH_EDGES = 2000


def _batches(sorted_comp: np.ndarray, size: int) -> list[slice]:
    """Slices of ``sorted_comp`` holding whole components, about ``size`` edges each."""
    n = len(sorted_comp)
    starts = np.flatnonzero(np.r_[True, sorted_comp[1:] != sorted_comp[:-1]])
    out = []
    begin = 0
    while begin < n:
        # First component start at or beyond begin + size (or the end).
        k = int(np.searchsorted(starts, begin + size, side="left"))
        end = int(starts[k]) if k < len(starts) else n
        out.append(slice(begin, end))
        begin = end
    return out


def _best_edge_per_component(
    edges: np.ndarray, comp: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """Among ``edges``, the highest-weight edge of each component (lowest index on ties)."""
    if len(edges) == 0:
        return edges
    order = np.lexsort((edges, -weight[edges], comp[edges]))
    sorted_comp = comp[edges][order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_comp[1:] != sorted_comp[:-1]
    return edges[order[first]]


def _solve_blocks(
    gi: np.ndarray, pj: np.ndarray, weight: np.ndarray, comp: np.ndarray
) -> np.ndarray:
    """Solve all multi-edge components at once; return indices of chosen edges."""
    rows, row_of = np.unique(gi, return_inverse=True)
    cols, col_of = np.unique(pj, return_inverse=True)
    n_r, n_c = len(rows), len(cols)
    # Rows of each component, to size its dummy cost: D > (rows in component) + 1.
    _, comp = np.unique(comp, return_inverse=True)
    row_comp = np.empty(n_r, dtype=np.int64)
    row_comp[row_of] = comp
    rows_per_comp = np.bincount(row_comp)
    dummy_cost = rows_per_comp[row_comp].astype(np.float64) + 3.0
    cost = 2.0 - np.clip(weight, 0.0, 1.0)  # in [1, 2]: never an implicit zero
    r = np.concatenate([row_of, np.arange(n_r)])
    c = np.concatenate([col_of, n_c + np.arange(n_r)])
    w = np.concatenate([cost, dummy_cost])
    graph = sp.csr_matrix((w, (r, c)), shape=(n_r, n_c + n_r))
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    real = col_ind < n_c
    matched_r = row_ind[real]
    matched_c = col_ind[real]
    # Map (row, col) back to edge indices.
    key_edges = row_of.astype(np.int64) * n_c + col_of
    order = np.argsort(key_edges, kind="stable")
    key_chosen = matched_r.astype(np.int64) * n_c + matched_c
    pos = np.searchsorted(key_edges[order], key_chosen)
    return order[pos]
