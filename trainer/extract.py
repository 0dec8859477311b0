"""Features for many files: parallel over processes, in bounded chunks, in order.

Used by the feature cache (training, evaluation) and by the submission export. Workers import only
numpy/scipy and ``kwsapp.core``; TensorFlow stays in the parent process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Iterator, Sequence

import numpy as np
from tqdm import tqdm

from kwsapp.core.audio import AudioError, read_wav
from kwsapp.core.features import FeatureSettings, log_specgram, prepare_wave


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def features_for_files(paths: Sequence[str], settings: FeatureSettings) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Features of each file, (n, frames, bins) float32. Unreadable files get the silence floor and
    are returned as (position, one-line error)."""
    waves = np.zeros((len(paths), settings.clip_samples), dtype=np.float64)
    errors = []
    for i, p in enumerate(paths):
        try:
            rate, x = read_wav(p)
            waves[i] = prepare_wave(x, rate, settings)
        except AudioError as exc:
            errors.append((i, str(exc)))
        except Exception as exc:  # a file that breaks resampling must not stop thousands of others
            errors.append((i, f"{p}: cannot be processed ({type(exc).__name__}: {exc})"))
    feats = log_specgram(waves, settings)
    for i, _ in errors:
        feats[i] = settings.floor
    return feats, errors


def _worker(args):
    paths, settings_dict = args
    return features_for_files(paths, FeatureSettings.from_dict(settings_dict))


def iter_feature_chunks(paths: Sequence[str], settings: FeatureSettings, workers: int | None = None,
                        chunk_size: int = 512, desc: str | None = "features",
                        max_in_flight: int | None = None) -> Iterator[tuple[int, np.ndarray, list[tuple[int, str]]]]:
    """Yield (start, features, errors) for consecutive chunks of ``paths``, in order.

    At most ``max_in_flight`` chunks are pending at once, so memory stays bounded however many
    files there are. Error positions are absolute (into ``paths``).
    """
    workers = workers or default_workers()
    starts = range(0, len(paths), chunk_size)
    bar = tqdm(total=len(paths), desc=desc, unit="clip", disable=desc is None, leave=False)
    try:
        if workers <= 1 or len(paths) <= chunk_size:
            for s in starts:
                feats, errs = features_for_files(paths[s:s + chunk_size], settings)
                bar.update(len(feats))
                yield s, feats, [(s + i, e) for i, e in errs]
            return
        max_in_flight = max_in_flight or 2 * workers
        ctx = mp.get_context("spawn")  # never fork a process that may hold TensorFlow's threads
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            pending: deque = deque()
            it = iter(starts)
            for s in it:
                pending.append((s, pool.submit(_worker, (list(paths[s:s + chunk_size]), settings.to_dict()))))
                if len(pending) >= max_in_flight:
                    break
            while pending:
                s, fut = pending.popleft()
                feats, errs = fut.result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.append((nxt, pool.submit(_worker, (list(paths[nxt:nxt + chunk_size]), settings.to_dict()))))
                bar.update(len(feats))
                yield s, feats, [(s + i, e) for i, e in errs]
    finally:
        bar.close()
