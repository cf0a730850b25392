"""The network of a seed ensemble: several networks of one architecture, probabilities averaged.

:func:`network_from_architecture` builds the untrained network a model file describes, one
``AlpacaNet`` or a :class:`SeedEnsemble` of them (see :mod:`alpacaspot.models.ensemble`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from alpacaspot.errors import ConfigError
from alpacaspot.models.network import build_model

__all__ = ["ENSEMBLE_KEY", "SeedEnsemble", "network_from_architecture"]

#: The architecture key holding the number of members of an ensemble.
ENSEMBLE_KEY = "ensemble"


class SeedEnsemble(nn.Module):
    """Networks of one architecture whose class probabilities are averaged.

    Each member's logits are divided by its own calibration temperature before the softmax;
    the output is the logarithm of the mean probabilities, so a softmax of it gives them back
    and a temperature applied on top calibrates the ensemble as a whole.

    Parameters
    ----------
    members : sequence of torch.nn.Module
        At least two networks built by :func:`~alpacaspot.models.build_model` with the same
        arguments.
    temperatures : sequence of float, optional
        Each member's temperature (default 1.0 each).

    Examples
    --------
    >>> net = SeedEnsemble([build_model(width=8), build_model(width=8)])
    >>> probs = net(torch.zeros(2, 1, 16, 32)).exp()
    >>> net.architecture["ensemble"], torch.allclose(probs.sum(dim=1), torch.ones(2))
    (2, True)
    """

    def __init__(self, members: Sequence[nn.Module],
                 temperatures: Sequence[float] | None = None) -> None:
        super().__init__()
        if len(members) < 2:
            raise ConfigError(f"an ensemble needs at least 2 networks, got {len(members)}")
        archs = [dict(getattr(m, "architecture", {})) for m in members]
        if not archs[0] or any(a != archs[0] for a in archs[1:]):
            raise ConfigError(f"ensemble members must share one architecture, got {archs}")
        temps = [1.0] * len(members) if temperatures is None else [float(t) for t in
                                                                    temperatures]
        if len(temps) != len(members) or not all(math.isfinite(t) and t > 0 for t in temps):
            raise ConfigError(f"need one finite temperature > 0 per member, got {temps}")
        self.members = nn.ModuleList(members)
        self.register_buffer("temperatures", torch.tensor(temps, dtype=torch.float32))
        self.architecture = {**archs[0], ENSEMBLE_KEY: len(members)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logp = torch.stack([torch.log_softmax(member(x).float() / self.temperatures[i], dim=1)
                            for i, member in enumerate(self.members)])
        return torch.logsumexp(logp, dim=0) - math.log(len(self.members))


def network_from_architecture(architecture: Mapping[str, Any]) -> nn.Module:
    """The untrained network a model file's architecture describes, one or an ensemble.

    Parameters
    ----------
    architecture : mapping
        :func:`~alpacaspot.models.build_model` arguments, plus ``"ensemble": n`` for a
        :class:`SeedEnsemble` of ``n`` such networks.

    Returns
    -------
    torch.nn.Module
        An ``AlpacaNet`` or a ``SeedEnsemble``, ready for ``load_state_dict``.

    Raises
    ------
    ConfigError
        An unknown or invalid argument, or an ensemble size that is not an integer >= 2.

    Examples
    --------
    >>> type(network_from_architecture({"width": 8, "ensemble": 3})).__name__
    'SeedEnsemble'
    """
    arch = dict(architecture)
    if ENSEMBLE_KEY not in arch:
        return build_model(**arch)
    n = arch.pop(ENSEMBLE_KEY)
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ConfigError(f"architecture {ENSEMBLE_KEY!r} must be an integer >= 2 (the number "
                          f"of networks), got {n!r}")
    return SeedEnsemble([build_model(**arch) for _ in range(n)])
