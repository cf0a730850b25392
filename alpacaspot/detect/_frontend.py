"""The CPU front end's old home: it lives in :mod:`alpacaspot.detect.frontends.cpu` now.

Torch-free.
"""

from alpacaspot.detect.frontends.base import Batch
from alpacaspot.detect.frontends.cpu import prefetch, single_window, window_batches

__all__ = ["Batch", "window_batches", "prefetch", "single_window"]
