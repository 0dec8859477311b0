"""On-disk feature cache keyed by file (path, size, modification time) and feature settings.

    CACHE_DIR/v<version>-<settings key>/<hash of the audio folder>/index.json
    CACHE_DIR/v<version>-<settings key>/<hash of the audio folder>/features-<id>.npy   (memory-mapped)

A second run over the same files reads the features back instead of recomputing them. New or
changed files are computed and a new array is written beside the old one; the index is renamed
into place last, so an interrupted update leaves the previous cache intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from kwsapp.core.features import FeatureSettings
from kwsapp.core.modelfolder import write_json_atomic
from .extract import iter_feature_chunks


# Bump when the feature code changes in a way the settings do not capture.
CACHE_VERSION = 2


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
        index_file = d / "index.json"
        index = {"array": None, "rows": {}, "bad": {}}
        if index_file.is_file():
            try:
                index = json.loads(index_file.read_text())
                if index["array"] and not (d / index["array"]).is_file():
                    index = {"array": None, "rows": {}, "bad": {}}
            except (ValueError, KeyError):
                index = {"array": None, "rows": {}, "bad": {}}

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
            index = self._extend(d, audio_dir, index, todo, stats_of=dict(zip(relpaths, stats)), workers=workers, desc=desc)
        array = np.load(d / index["array"], mmap_mode="r") if index["array"] else np.zeros((0,) + self.settings.shape, np.float32)
        rows = np.full(len(relpaths), -1, dtype=np.int64)
        errors = []
        for i, rel in enumerate(relpaths):
            if rel in index["rows"]:
                rows[i] = index["rows"][rel][0]
            else:
                errors.append(index["bad"].get(rel, [0, 0, f"{audio_dir / rel}: missing"])[2])
        return CachedFeatures(array, rows, errors, computed=len(todo))

    def _extend(self, d: Path, audio_dir: Path, index: dict, todo: list[str], stats_of: dict, workers, desc) -> dict:
        d.mkdir(parents=True, exist_ok=True)
        todo_set = set(todo)
        keep = [(rel, v) for rel, v in index["rows"].items() if rel not in todo_set]
        old = np.load(d / index["array"], mmap_mode="r") if index["array"] else None
        name = f"features-{uuid.uuid4().hex[:8]}.npy"
        tmp = d / (name + ".tmp")
        n_rows = len(keep) + len(todo)
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n_rows,) + self.settings.shape)
        new_rows, bad = {}, {k: v for k, v in index["bad"].items() if k not in todo_set}
        try:
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
            del out
            os.replace(tmp, d / name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        new_index = {"array": name, "rows": new_rows, "bad": bad, "settings": self.settings.to_dict()}
        write_json_atomic(d / "index.json", new_index)
        if index["array"] and index["array"] != name:
            (d / index["array"]).unlink(missing_ok=True)
        return new_index
