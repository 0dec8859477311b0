"""Where the bundled model is: package data when kwsapp is installed (``pip install .``), ``assets/`` in a clone."""

from __future__ import annotations

from pathlib import Path

MODEL_FOLDER_NAME = "default_model"


def assets_dir() -> Path:
    try:  # installed, editable or not: the package kwsapp.assets is the repository's assets/ folder
        from importlib.resources import files

        return Path(str(files("kwsapp.assets")))
    except ModuleNotFoundError:  # a clone on the path without an install
        return Path(__file__).resolve().parents[1] / "assets"


def bundled_model_dir() -> Path:
    return assets_dir() / MODEL_FOLDER_NAME
