"""Opening a .tflite file with the LiteRT interpreter: the one place that does it (the scorers, the incremental step,
the speech-embedding front-end). Qt-free and TensorFlow-free."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

from ..core.modelfolder import ModelFolderError


@contextmanager
def quiet_stderr():
    """Point file descriptor 2 at /dev/null for the block (C++ logging ignores Python's sys.stderr): LiteRT and
    TensorFlow print start-up lines there. Set KWSAPP_DEBUG=1 to see them."""
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


def litert_interpreter(path, num_threads: int = 1, input_shape=None):
    """A LiteRT interpreter on the .tflite ``path`` with its tensors allocated (its first input resized to
    ``input_shape`` first, when given). A missing runtime, or a file it cannot load, is a ModelFolderError naming it."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as exc:
        raise ModelFolderError(f"the LiteRT runtime is not installed ({exc})") from None
    try:
        with quiet_stderr():  # LiteRT prints an INFO line about its CPU delegate
            it = Interpreter(model_path=str(path), num_threads=num_threads)
            inp = it.get_input_details()[0]
            if input_shape is not None and list(inp["shape"]) != list(input_shape):
                it.resize_tensor_input(inp["index"], list(input_shape))
            it.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelFolderError(f"{path}: cannot load the LiteRT model ({first})") from None
    return it
