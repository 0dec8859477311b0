"""Features for many files: parallel over processes, in bounded chunks, in order.

Used by the feature cache (training, evaluation) and by the submission export. Workers import only
numpy/scipy and ``kwsapp.core``; TensorFlow stays in the parent process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Iterator, Sequence

import numpy as np
from tqdm import tqdm

from kwsapp.core.audio import AudioError, fix_length, read_wav, samples
from kwsapp.core.features import FeatureSettings, log_specgram, prepare_wave


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


SUB_BATCH = 32  # scipy's resample and spectrogram are fastest on a few dozen clips at once (cache-sized)


def features_for_files(paths: Sequence[str], settings: FeatureSettings) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Features of each file, (n, frames, bins) float32. Unreadable files get the silence floor and
    are returned as (position, one-line error)."""
    feats = np.full((len(paths),) + settings.shape, settings.floor, dtype=np.float32)
    errors = []
    by_rate: dict[int, list[tuple[int, np.ndarray]]] = {}
    for i, p in enumerate(paths):
        try:
            rate, x = read_wav(p, max_seconds=settings.clip_duration_ms / 1000)
        except AudioError as exc:
            errors.append((i, str(exc)))
            continue
        by_rate.setdefault(rate, []).append((i, x))
    for rate, items in by_rate.items():
        n_in = samples(rate, settings.clip_duration_ms)
        for s in range(0, len(items), SUB_BATCH):
            part = items[s:s + SUB_BATCH]
            idx = [i for i, _ in part]
            try:
                clips = np.stack([fix_length(x, n_in) for _, x in part])
                feats[idx] = log_specgram(prepare_wave(clips, rate, settings), settings)
            except Exception as exc:  # a file that breaks resampling must not stop thousands of others
                errors += [(i, f"{paths[i]}: cannot be processed ({type(exc).__name__}: {exc})") for i in idx]
    errors.sort()
    return feats, errors


def _die_with_parent(parent_pid: int) -> None:
    """A feature worker must not outlive the process it works for (a killed export left one blocked for ever): on
    Linux the kernel kills it when its parent dies; elsewhere a thread checks every second."""
    import signal
    import threading
    import time

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0:
            if os.getppid() != parent_pid:  # the parent died before the call took effect
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker(args):
    paths, settings_dict = args
    return features_for_files(paths, FeatureSettings.from_dict(settings_dict))


def iter_feature_chunks(paths: Sequence[str], settings: FeatureSettings, workers: int | None = None,
                        chunk_size: int = 512, desc: str | None = "features",
                        max_in_flight: int | None = None) -> Iterator[tuple[int, np.ndarray, list[tuple[int, str]]]]:
    """Yield (start, features, errors) for consecutive chunks of ``paths``, in order.

    ``workers`` counts this process: with 2, one worker process is started and this process computes
    chunks too whenever the next result is not ready (it takes back a queued chunk no worker has
    started), so no core idles while the workers start up. At most ``max_in_flight`` chunks are
    queued at once, so memory stays bounded however many files there are. Error positions are
    absolute (into ``paths``).
    """
    workers = workers or default_workers()
    starts = list(range(0, len(paths), chunk_size))
    bar = tqdm(total=len(paths), desc=desc, unit="clip", disable=desc is None, leave=False)

    def local(s):
        feats, errs = features_for_files(paths[s:s + chunk_size], settings)
        return feats, errs

    try:
        if workers <= 1 or len(starts) <= 1:
            for s in starts:
                feats, errs = local(s)
                bar.update(len(feats))
                yield s, feats, [(s + i, e) for i, e in errs]
            return
        max_in_flight = max_in_flight or 2 * workers + 2
        ctx = mp.get_context("spawn")  # never fork a process that may hold TensorFlow's threads
        with ProcessPoolExecutor(max_workers=workers - 1, mp_context=ctx, initializer=_die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            queued: dict[int, object] = {}   # chunk start -> Future or finished (feats, errs)
            nxt = 0
            for s in starts:
                while nxt < len(starts) and len(queued) < max_in_flight:
                    t = starts[nxt]
                    queued[t] = pool.submit(_worker, (list(paths[t:t + chunk_size]), settings.to_dict()))
                    nxt += 1
                item = queued[s]
                while not isinstance(item, tuple) and not item.done():
                    # the next result is not ready: do the furthest queued chunk no worker has started
                    stolen = next((t for t in sorted(queued, reverse=True)
                                   if not isinstance(queued[t], tuple) and queued[t].cancel()), None)
                    if stolen is None:
                        break
                    queued[stolen] = local(stolen)
                    item = queued[s]
                feats, errs = item if isinstance(item, tuple) else item.result()
                del queued[s]
                bar.update(len(feats))
                yield s, feats, [(s + i, e) for i, e in errs]
    finally:
        bar.close()
