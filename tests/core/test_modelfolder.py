"""A model folder is read with every value checked: a broken one is a one-line message naming the file."""

import json
import shutil

import pytest

from kwsapp.core.modelfolder import ModelFolder, ModelFolderError
from tests.helpers import REPO, run_cli

BUNDLED = REPO / "assets" / "default_model"


def _copy(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(BUNDLED, folder)
    return folder


@pytest.mark.parametrize("change,problem", [
    ({"sample_rate_hz": "abc"}, "sample_rate_hz is 'abc'"),
    ({"sample_rate_hz": 100_000_000}, "sample_rate_hz is 100000000"),
    ({"frame_step_ms": -10}, "frame_step_ms is -10"),
    ({"window": "rm -rf"}, "window is 'rm -rf'"),
    ({"log_eps": None}, "log_eps is None"),
    ({"clip_duration_ms": True}, "clip_duration_ms is True"),
    ({"frame_step_ms": 40.0, "window_ms": 20.0}, "make no spectrogram"),
    ({"hop_ms": 10.0}, "both hop_ms and frame_step_ms are given"),
])
def test_bad_feature_settings_name_the_file_and_the_value(tmp_path, change, problem):
    folder = _copy(tmp_path)
    settings = json.loads((folder / "features.json").read_text())
    (folder / "features.json").write_text(json.dumps({**settings, **change}))
    with pytest.raises(ModelFolderError) as e:
        ModelFolder.open(folder)
    msg = str(e.value)
    assert msg.startswith(f"{folder / 'features.json'}: ") and problem in msg and "\n" not in msg


def test_the_bundled_settings_pass_the_checks():
    assert ModelFolder.open(BUNDLED).features.shape == (99, 81)


def test_a_folder_written_before_the_rename_still_loads(tmp_path):
    folder = _copy(tmp_path)
    settings = json.loads((folder / "features.json").read_text())
    old = {("hop_ms" if k == "frame_step_ms" else k): v for k, v in settings.items()}
    (folder / "features.json").write_text(json.dumps(old))
    assert ModelFolder.open(folder).features == ModelFolder.open(BUNDLED).features


def test_cli_names_the_features_file_and_exits_2(tmp_path):
    folder = _copy(tmp_path)
    (folder / "features.json").write_text(json.dumps({"sample_rate_hz": "abc"}))
    r = run_cli("predict", "--model", folder, "x.wav", check=False)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0, r.stderr
    assert str(folder / "features.json") in r.stderr and "unexpected" not in r.stderr


def test_a_truncated_keras_file_is_called_truncated_not_missing(tmp_path):
    from trainer.models.keras_model import load_keras_model

    folder = _copy(tmp_path)
    data = (folder / "model.keras").read_bytes()
    (folder / "model.keras").write_bytes(data[:len(data) // 2])
    with pytest.raises(ModelFolderError) as e:
        load_keras_model(folder / "model.keras")
    msg = str(e.value)
    assert "truncated" in msg and "not found" not in msg.lower() and str(folder / "model.keras") in msg
