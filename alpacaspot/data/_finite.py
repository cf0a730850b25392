"""Audio that holds NaN or infinite samples: found once, at indexing, never trained on.

Only floating-point encodings can hold such samples; integer PCM, FLAC and the lossy codecs
cannot, so their files are not read here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

_FLOAT_SUBTYPES = frozenset({"FLOAT", "DOUBLE"})
_BLOCK = 1 << 18  # frames per read


def first_nonfinite(path: Path, subtype: str) -> tuple[int, int] | None:
    """``(frame, channel)`` of the first NaN or infinite sample of a float file, else None.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.wav"
    >>> x = np.zeros(100, dtype=np.float32); x[42] = np.nan
    >>> sf.write(p, x, 8000, subtype="FLOAT")
    >>> first_nonfinite(p, "FLOAT")
    (42, 0)
    """
    if subtype.upper() not in _FLOAT_SUBTYPES:
        return None
    start = 0
    with sf.SoundFile(path) as fh:
        for block in fh.blocks(blocksize=_BLOCK, dtype="float32", always_2d=True):
            bad = ~np.isfinite(block)
            if bad.any():
                frame, channel = np.argwhere(bad)[0]
                return start + int(frame), int(channel)
            start += len(block)
    return None
