"""On-disk feature cache keyed by file (path, size, modification time) and feature settings.

    CACHE_DIR/v<version>-<settings key>/<hash of the audio folder>/index.json
    CACHE_DIR/v<version>-<settings key>/<hash of the audio folder>/features-<id>.npy   (memory-mapped)

A second run over the same files reads the features back instead of recomputing them. New or
changed files are computed and a new array is written beside the old one; the index is renamed
into place last, so an interrupted update leaves the previous cache intact.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from kwsapp.core.features import FeatureSettings
from kwsapp.core.modelfolder import write_json_atomic
from trainer.data.extract import iter_feature_chunks

# Bump when the feature code changes in a way the settings do not capture.
CACHE_VERSION = 2
# the only files the cache ever reads or deletes: an index naming anything else is damaged (or crafted)
ARRAY_NAME = re.compile(r"features-[0-9a-f]{8}\.npy")
EMPTY_INDEX = {"array": None, "rows": {}, "bad": {}}


class CacheError(Exception):
    """The cache cannot be written (no space, no permission); the message names the folder."""


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def default_cache_dir() -> Path:
    env = os.environ.get("KWSAPP_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kwsapp" / "features"


@dataclass
class CachedFeatures:
    array: np.ndarray      # (rows, frames, bins), memory-mapped
    rows: np.ndarray       # row of each requested path, -1 where the file was unreadable
    errors: list[str]      # one line per unreadable file
    computed: int          # how many files were computed in this call (0: all came from the cache)

    def get(self, positions: np.ndarray) -> np.ndarray:
        rows = self.rows[positions]
        order = np.argsort(rows)  # sorted reads are faster on a memmap
        out = np.empty((len(rows),) + self.array.shape[1:], dtype=np.float32)
        out[order] = self.array[rows[order]]
        return out


class FeatureCache:
    def __init__(self, cache_dir: str | Path | None, settings: FeatureSettings):
        self.settings = settings
        self.base = Path(cache_dir) if cache_dir else default_cache_dir()

    def _dir(self, audio_dir: Path) -> Path:
        key = hashlib.sha1(str(audio_dir.resolve()).encode()).hexdigest()[:16]
        return self.base / f"v{CACHE_VERSION}-{self.settings.key()}" / key

    def features_for(self, audio_dir: str | Path, relpaths: Sequence[str], workers: int | None = None,
                     desc: str | None = "features") -> CachedFeatures:
        audio_dir = Path(audio_dir)
        d = self._dir(audio_dir)
        index, array = self._read(d)

        stats = []
        todo = []
        for rel in relpaths:
            try:
                st = (audio_dir / rel).stat()
                stamp = [st.st_size, st.st_mtime_ns]
            except OSError:
                stamp = [-1, -1]
            stats.append(stamp)
            hit = index["rows"].get(rel)
            bad = index["bad"].get(rel)
            if (hit and hit[1:] == stamp) or (bad and bad[:2] == stamp):
                continue
            todo.append(rel)

        if todo:
            index, array = self._extend(d, audio_dir, index, array, todo, stats_of=dict(zip(relpaths, stats)),
                                        workers=workers, desc=desc)
        if array is None:
            array = np.zeros((0,) + self.settings.shape, np.float32)
        rows = np.full(len(relpaths), -1, dtype=np.int64)
        errors = []
        for i, rel in enumerate(relpaths):
            if rel in index["rows"]:
                rows[i] = index["rows"][rel][0]
            else:
                errors.append(index["bad"].get(rel, [0, 0, f"{audio_dir / rel}: missing"])[2])
        return CachedFeatures(array, rows, errors, computed=len(todo))

    def _read(self, d: Path) -> tuple[dict, np.ndarray | None]:
        """The index and its array, checked: a damaged entry (unreadable index, an array that is missing, truncated,
        of another shape, or named outside the cache) is dropped with a one-line warning and computed again."""
        index_file = d / "index.json"
        if not index_file.is_file():
            return dict(EMPTY_INDEX), None
        try:
            index = json.loads(index_file.read_text())
            name = index["array"]
            rows, bad = index["rows"], index["bad"]
            if not isinstance(rows, dict) or not isinstance(bad, dict):
                raise ValueError("rows and bad must be tables")
            if name is None:
                return {"array": None, "rows": {}, "bad": bad}, None
            if not isinstance(name, str) or not ARRAY_NAME.fullmatch(name):
                raise ValueError(f"it names {str(name)[:60]!r}, not a feature array of this folder")
            array = np.load(d / name, mmap_mode="r")
            if array.dtype != np.float32 or array.shape[1:] != self.settings.shape:
                raise ValueError(f"{name} holds {array.dtype} {array.shape}, not float32 (n,) + {self.settings.shape}")
            if any(not 0 <= int(v[0]) < len(array) for v in rows.values()):
                raise ValueError(f"{name} has {len(array)} rows, fewer than the index lists")
            return index, array
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            _warn(f"feature cache {d} is damaged ({type(exc).__name__}: {str(exc).splitlines()[0][:160]}); "
                  "computing its features again")
            return dict(EMPTY_INDEX), None

    def _reserve(self, path: Path, d: Path) -> None:
        """Claim the array's whole size on disk now: a mapped file that finds the disk full while it is written
        kills the process with SIGBUS; here it is a one-line error."""
        size = path.stat().st_size
        try:
            with open(path, "r+b") as f:
                os.posix_fallocate(f.fileno(), 0, size)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                free = shutil.disk_usage(d).free
                raise CacheError(f"feature cache {d}: cannot write {size / 1e6:.0f} MB ({exc.strerror}; "
                                 f"{free / 1e6:.0f} MB free): free space or pass --cache-dir") from None
            if shutil.disk_usage(d).free < size:  # a file system without fallocate: check what is free
                raise CacheError(f"feature cache {d}: {size / 1e6:.0f} MB needed, {shutil.disk_usage(d).free / 1e6:.0f}"
                                 " MB free: free space or pass --cache-dir") from None

    def _extend(self, d: Path, audio_dir: Path, index: dict, old, todo: list[str], stats_of: dict, workers, desc):
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"feature cache {d}: cannot create it ({exc.strerror}): pass --cache-dir") from None
        todo_set = set(todo)
        keep = [(rel, v) for rel, v in index["rows"].items() if rel not in todo_set]
        name = f"features-{uuid.uuid4().hex[:8]}.npy"
        tmp = d / (name + ".tmp")
        n_rows = len(keep) + len(todo)
        new_rows, bad = {}, {k: v for k, v in index["bad"].items() if k not in todo_set}
        out = None
        try:
            try:
                out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n_rows,) + self.settings.shape)
            except OSError as exc:
                raise CacheError(f"feature cache {d}: cannot write ({exc.strerror}): free space or pass --cache-dir") from None
            self._reserve(tmp, d)
            for i, (rel, v) in enumerate(keep):
                out[i] = old[v[0]]
                new_rows[rel] = [i, *v[1:]]
            base = len(keep)
            paths = [str(audio_dir / rel) for rel in todo]
            for start, feats, errs in iter_feature_chunks(paths, self.settings, workers=workers, desc=desc):
                out[base + start:base + start + len(feats)] = feats
                err_at = dict(errs)
                for j in range(len(feats)):
                    rel = todo[start + j]
                    if start + j in err_at:
                        bad[rel] = [*stats_of[rel], err_at[start + j]]
                    else:
                        new_rows[rel] = [base + start + j, *stats_of[rel]]
            out.flush()
            out = None  # the mapping closes its file
            os.replace(tmp, d / name)
        except BaseException:
            out = None  # let the mapping go, or the removed file would stay open (and its disk space taken)
            tmp.unlink(missing_ok=True)
            raise
        new_index = {"array": name, "rows": new_rows, "bad": bad, "settings": self.settings.to_dict()}
        try:
            write_json_atomic(d / "index.json", new_index)
        except OSError as exc:
            (d / name).unlink(missing_ok=True)
            raise CacheError(f"feature cache {d}: cannot write its index ({exc.strerror})") from None
        if index["array"] and index["array"] != name:  # a checked name: always a file of this folder
            (d / index["array"]).unlink(missing_ok=True)
        return new_index, np.load(d / name, mmap_mode="r")
