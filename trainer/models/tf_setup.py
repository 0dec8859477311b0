"""Importing TensorFlow without its start-up chatter on the user's terminal.

TensorFlow's C++ side logs through absl before any setting can reach it (oneDNN notes, "no CUDA
driver", CPU instruction hints); TF_CPP_MIN_LOG_LEVEL does not stop those lines. They are written
while the module loads, so standard error is pointed at /dev/null for the import only.
Set KWSAPP_DEBUG=1 to see them.
"""

from __future__ import annotations

import os
import sys

from kwsapp.engine.litert import quiet_stderr

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def import_tensorflow():
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        return tf
    with quiet_stderr():
        import keras  # noqa: F401
        import tensorflow as tf  # noqa: F401

        tf.config.list_physical_devices()  # device discovery logs too ("failed call to cuInit")
    return tf
