import pandas as pd
import pytest

from alpacaspot.detect._inputs import resolve_inputs, scores_path
from alpacaspot.errors import AudioError
from alpacaspot.io import write_audio, write_table

from .conftest import SR, structured_signal


def test_folder_listing_sorted_and_relative(audio_dir):
    (audio_dir / "notes.txt").write_text("x")
    found = resolve_inputs(audio_dir)
    assert [r for _, r in found] == ["b.wav", "tape1/a.2019.wav"]
    assert scores_path("s", "tape1/a.2019.wav").as_posix() == "s/tape1/a.2019.wav.parquet"


def test_corpus_folder_uses_its_recordings_table(audio_dir):
    write_audio(audio_dir / "dataset_v1" / "target-_1_2019_T_0_100.wav",
                structured_signal(0.2), SR)
    table = pd.DataFrame({"recording": ["tape1/a.2019.wav"], "tape": ["t1"], "sample_rate": [SR],
                          "channels": [1], "frames": [2 * SR], "duration_s": [2.0]})
    write_table(table, audio_dir / "corpus_recordings.parquet", schema="recordings")
    assert [r for _, r in resolve_inputs(audio_dir)] == ["tape1/a.2019.wav"]


def test_missing_and_outside_root(audio_dir, tmp_path):
    with pytest.raises(AudioError, match="nothere.wav"):
        resolve_inputs(tmp_path / "nothere.wav")
    with pytest.raises(AudioError, match="outside"):
        resolve_inputs([audio_dir / "b.wav"], root=audio_dir / "tape1")


def test_a_corpus_mirrored_as_links_keeps_its_recording_names(tmp_path):
    """A pipeline run mirrors a user's corpus as symbolic links; names stay the mirror's."""

    real = tmp_path / "user_corpus" / "tape1"
    write_audio(real / "a.wav", structured_signal(0.1), SR)
    mirror = tmp_path / "run" / "corpus"
    (mirror / "tape1").mkdir(parents=True)
    (mirror / "tape1" / "a.wav").symlink_to(real / "a.wav")
    got = resolve_inputs([mirror / "tape1" / "a.wav"], root=mirror)
    assert [rec for _, rec in got] == ["tape1/a.wav"]
