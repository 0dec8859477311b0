import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED_SAMPLE = REPO.parent / "shared" / "speech_commands_sample"


@pytest.fixture(scope="session")
def shared_sample() -> Path:
    if not (SHARED_SAMPLE / "train" / "audio").is_dir():
        pytest.skip(f"{SHARED_SAMPLE} is not here (it sits beside the project only on the developers' machines)")
    return SHARED_SAMPLE


@pytest.fixture(scope="session")
def needs_espeak():
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    # Tests never write into the user's ~/.cache.
    monkeypatch.setenv("KWSAPP_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "feature-cache"))
    # nor into the user's desktop: menu entries, autostart, the shared decision settings
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "xdg-config"))


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory, needs_espeak):
    """A small synthetic dataset in the Kaggle layout (8 clips a word, 60 test clips)."""
    from tests.helpers import run_cli

    root = tmp_path_factory.mktemp("synth")
    run_cli("synth", "--out", root, "--per-word", 8, "--test-clips", 60, "--seed", 3)
    return root
