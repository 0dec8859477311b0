"""Writing a file so that nothing is lost: a temporary file beside it, renamed into place at the end."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def write_atomic(path: str | Path, write: Callable[[Path], None], suffix: str = ".tmp") -> None:
    """``write(tmp)`` fills a temporary file beside ``path``, which is then renamed to ``path``: an interrupted or
    failed write leaves no file and an older ``path`` untouched; ``suffix`` ends the temporary file's name (Keras
    wants ``.keras``). An OSError (a full disk, a folder that cannot be
    written) names ``path``, the file the caller asked for, not the temporary one."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write there ({exc.strerror})", str(path)) from None
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes it private; these files are meant to be shared
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, f"cannot write it ({exc.strerror})", str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
