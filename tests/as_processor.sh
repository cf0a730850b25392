#!/usr/bin/env bash
# Run a command with the CPU kernels another processor kind gets, on this machine.
#
#   bash tests/as_processor.sh avx2 .venv/bin/python -m pytest -q tests/detect
#
# torch (ATen's vectorised kernels, oneDNN's convolutions), numpy, OpenBLAS and numba each
# choose their kernels at run time from the processor's instruction sets, so training and
# scoring give other numbers on another processor. Each library has a switch that caps the
# instruction sets it uses; this script sets them all for one processor kind:
#
#   avx2    an AVX2-only EPYC (Zen 2 / Zen 3): no AVX-512, no bfloat16
#   v2      x86-64-v2 (SSE4.2, no AVX): the oldest kind the wheels run on
#   native  this machine, nothing capped
#
# It cannot add instruction sets the machine lacks, and it does not change thread counts,
# cache sizes or the operating system; what runs on another processor of that kind may still
# differ in the last bits, but not by the kernel choice.
set -u
[ $# -ge 2 ] || { echo "usage: as_processor.sh avx2|v2|native COMMAND [ARGS...]" >&2; exit 2; }
kind=$1
shift
case "$kind" in
    avx2)
        export ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 \
               NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR" \
               OPENBLAS_CORETYPE=Zen NUMBA_CPU_NAME=znver3 ;;
    v2)
        export ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 \
               NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" \
               OPENBLAS_CORETYPE=Nehalem NUMBA_CPU_NAME=x86-64-v2 ;;
    native) ;;
    *) echo "as_processor.sh: unknown processor kind '$kind' (avx2, v2 or native)" >&2
       exit 2 ;;
esac
export ALPACASPOT_PROCESSOR_KIND=$kind
exec "$@"
