#!/usr/bin/env bash
# Run a command with a one-node Slurm cluster up, then stop the cluster.
#
#   bash tests/cluster/with_slurm.sh .venv/bin/python -m pytest -q
#
# Where a cluster is already configured (sinfo answers) it is used as it is. Where none can be
# started (no root, no apt-get, no Debian packages) the command still runs and the tests marked
# `slurm` skip with the reason. Exits with the command's status.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -gt 0 ] || { echo "usage: with_slurm.sh COMMAND [ARGS...]" >&2; exit 2; }

if [ -n "${ALPACASPOT_SLURM:-}" ] || { command -v sinfo >/dev/null 2>&1 && \
        timeout 5 sinfo -h >/dev/null 2>&1; }; then
    export ALPACASPOT_SLURM=1
    "$@"
    exit $?
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/alpacaspot-slurm.XXXXXX")
cleanup() {
    bash "$here/slurm_cluster.sh" stop "$dir" >/dev/null 2>&1
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if bash "$here/slurm_cluster.sh" start "$dir"; then
    # shellcheck disable=SC1091
    . "$dir/env.sh"
else
    export ALPACASPOT_SLURM_SKIP="no Slurm cluster could be started here (see with_slurm.sh)"
    echo "with_slurm: $ALPACASPOT_SLURM_SKIP; slurm tests will skip" >&2
fi
"$@"
exit $?
