"""Where the bundled models are: package data when kwsapp is installed (``pip install .``), ``assets/`` in a clone.
The app starts with ``embedding_model`` (assets/embedding_model/MODEL_CARD.md); ``default_model`` is the bundled
spectrogram model (the wide DS-CNN at 8 kHz), which the Kaggle submission uses."""

from __future__ import annotations

from pathlib import Path

MODEL_FOLDER_NAME = "embedding_model"    # what the app starts with: the pretrained front-end, its head, a verifier
SPECTROGRAM_FOLDER_NAME = "default_model"  # the bundled spectrogram model (the Kaggle path)


def assets_dir() -> Path:
    try:  # installed, editable or not: the package kwsapp.assets is the repository's assets/ folder
        from importlib.resources import files

        return Path(str(files("kwsapp.assets")))
    except ModuleNotFoundError:  # a clone on the path without an install
        return Path(__file__).resolve().parents[1] / "assets"


def bundled_model_dir() -> Path:
    return assets_dir() / MODEL_FOLDER_NAME


def spectrogram_model_dir() -> Path:
    """The bundled spectrogram model (the wide DS-CNN at 8 kHz): what the Kaggle submission and the fine-tunes of that
    kind start from."""
    return assets_dir() / SPECTROGRAM_FOLDER_NAME
