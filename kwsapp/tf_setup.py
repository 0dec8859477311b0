"""Importing TensorFlow without its start-up chatter on the user's terminal.

TensorFlow's C++ side logs through absl before any setting can reach it (oneDNN notes, "no CUDA
driver", CPU instruction hints); TF_CPP_MIN_LOG_LEVEL does not stop those lines. They are written
while the module loads, so standard error is pointed at /dev/null for the import only.
Set KWSAPP_DEBUG=1 to see them.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextmanager
def quiet_stderr():
    """Point file descriptor 2 at /dev/null for the block (C++ logging ignores Python's sys.stderr)."""
    if os.environ.get("KWSAPP_DEBUG"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow():
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        return tf
    with quiet_stderr():
        import keras  # noqa: F401
        import tensorflow as tf  # noqa: F401

        tf.config.list_physical_devices()  # device discovery logs too ("failed call to cuInit")
    return tf
