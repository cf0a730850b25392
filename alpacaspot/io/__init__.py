"""Input and output: audio files, Raven selection tables, Parquet tables, ANIMAL-SPOT formats.

Nothing here imports torch. ANIMAL-SPOT's file formats (clip names, cfg files, prediction
logs) live in :mod:`alpacaspot.io.animalspot`.
"""

from alpacaspot.io.audio import AudioInfo, AudioSource, audio_info, read_audio, write_audio
from alpacaspot.io.raven import read_raven, write_raven
from alpacaspot.io.schemas import (
    CLIPS,
    EVENTS,
    METRICS,
    RECORDINGS,
    SCHEMAS,
    WINDOW_SCORES,
    Column,
    Schema,
)
from alpacaspot.io.tables import read_table, read_table_metadata, write_table

__all__ = [
    "AudioInfo",
    "AudioSource",
    "audio_info",
    "read_audio",
    "write_audio",
    "read_raven",
    "write_raven",
    "read_table",
    "read_table_metadata",
    "write_table",
    "Column",
    "Schema",
    "RECORDINGS",
    "EVENTS",
    "CLIPS",
    "WINDOW_SCORES",
    "METRICS",
    "SCHEMAS",
]

