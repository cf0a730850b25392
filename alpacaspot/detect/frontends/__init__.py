"""Prediction front ends: audio -> normalised window inputs, behind one contract.

* ``"cpu"`` (:class:`~alpacaspot.detect.frontends.cpu.CpuFrontEnd`): numba + pocketfft,
  numpy batches; torch-free.
* ``"torch"`` (:class:`~alpacaspot.detect.frontends.torch_frontend.TorchFrontEnd`): the same
  numbers computed with torch on the model's device, for a GPU.

:func:`get_frontend` builds one by name; :func:`default_frontend` picks ``"torch"`` for a
model on CUDA and ``"cpu"`` otherwise. A new front end is one module whose class is decorated
with :func:`register_frontend` (and imported here, which registers it).

Examples
--------
>>> from alpacaspot.detect.frontends import get_frontend
>>> get_frontend("cpu").name
'cpu'
"""

from alpacaspot.detect.frontends.base import (
    FRONTENDS,
    Batch,
    FrontEnd,
    default_frontend,
    get_frontend,
    register_frontend,
)
from alpacaspot.detect.frontends.cpu import CpuFrontEnd
from alpacaspot.detect.frontends.torch_frontend import TorchFrontEnd

__all__ = ["FRONTENDS", "Batch", "CpuFrontEnd", "FrontEnd", "TorchFrontEnd", "default_frontend",
           "get_frontend", "register_frontend"]
