"""Kaggle size: a generated data set of the competition's size (64,727 training clips in 30 words, 158,538 test
clips) through the feature cache, one training epoch of the bundled recipe, ``evaluate`` and the full ``submit``,
each a process of its own, timed, with its peak memory; and the notebook's own test loop on the same test clips in
the same run, for the ratio.

    python -m bench.bench_kaggle_size [--root ../data/kaggle_size] [--scale 1] [--model assets/default_model]
                                      [--notebook-clips N] [--stages cache epoch evaluate read submit notebook]

The audio is generated (a tone per word in noise, 1 s at 16 kHz, written once and reused; about 7 GB at full size,
so the default folder is outside the repository); only the sizes matter here. ``--scale 0.125`` makes an eighth
of it, to show that memory does not grow with the corpus. Peak memory is the largest sum, over a stage's processes
(its feature workers too), of their proportional set size (PSS: pages shared between them counted once), sampled
every 0.2 s; of it, the anonymous memory (what the processes allocated, as opposed to pages of files they map, such
as the feature cache, which the kernel can drop and read again); and the largest resident set (RSS) of the stage's
main process. The ``read`` stage reads every test clip once before ``submit`` and the notebook's loop: its time is
the disk's, and both then read from the page cache alike (when the machine's memory holds the 5 GB), so the ratio
compares their work, not which of them ran first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

TRAIN_CLIPS = 64_727
TEST_CLIPS = 158_538
SPEAKERS = 1_881  # the speakers of the Kaggle training set
RATE_HZ = 16000
CHUNK = 2000  # clips written per task


# ------------------------------------------------------------------ the data set

def _write_chunk(task) -> int:
    from scipy.io import wavfile

    kind, root, start, items, seed = task
    rng = np.random.default_rng(seed)
    t = np.arange(RATE_HZ) / RATE_HZ
    for name, freq in items:
        x = rng.normal(0, 300, RATE_HZ)
        b = int(rng.integers(0, RATE_HZ - 6000))
        f = freq * rng.uniform(0.95, 1.05)
        x[b:b + 6000] += 4000 * np.sin(2 * np.pi * f * t[:6000]) * np.hanning(6000)
        path = Path(root) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        wavfile.write(path, RATE_HZ, np.clip(x, -32768, 32767).astype(np.int16))
    return len(items)


def make_dataset(root: Path, n_train: int, n_test: int, workers: int) -> None:
    """The Kaggle layout at ``root`` (reused when a finished one of the same size is there)."""
    from kwsapp.core.labels import KAGGLE_WORDS
    from trainer.data.dataset import which_set

    done = root / "made.json"
    want = {"train_clips": n_train, "test_clips": n_test}
    if done.is_file() and json.loads(done.read_text()) == want:
        print(f"data set: {root} (made before: {n_train} training clips, {n_test} test clips)")
        return
    shutil.rmtree(root, ignore_errors=True)
    rng = np.random.default_rng(0)
    speakers = [f"{v:08x}" for v in rng.integers(0, 2**32, size=SPEAKERS)]
    freq = {w: 200.0 + 90.0 * i for i, w in enumerate(KAGGLE_WORDS)}
    names, seen = [], {}
    for i in range(n_train):
        word, spk = KAGGLE_WORDS[i % len(KAGGLE_WORDS)], speakers[int(rng.integers(len(speakers)))]
        n = seen[(word, spk)] = seen.get((word, spk), -1) + 1
        names.append((f"{word}/{spk}_nohash_{n}.wav", freq[word]))
    tests = [(f"clip_{i:09x}.wav", float(rng.uniform(200, 3000))) for i in range(n_test)]
    tasks = [("train", str(root / "train" / "audio"), s, names[s:s + CHUNK], s) for s in range(0, n_train, CHUNK)]
    tasks += [("test", str(root / "test" / "audio"), s, tests[s:s + CHUNK], 10**7 + s) for s in range(0, n_test, CHUNK)]
    t0 = time.perf_counter()
    with Pool(workers) as pool:
        written = sum(pool.imap_unordered(_write_chunk, tasks))
    noise = root / "train" / "audio" / "_background_noise_"
    noise.mkdir(parents=True, exist_ok=True)
    from scipy.io import wavfile

    for k in range(6):
        wavfile.write(noise / f"noise_{k}.wav", RATE_HZ, rng.normal(0, 300 * (k + 1), 60 * RATE_HZ).astype(np.int16))
    lists = {"validation": [], "testing": []}
    for name, _ in names:
        s = which_set(name, 10, 10)
        if s in lists:
            lists[s].append(name)
    for s, rows in lists.items():
        (root / "train" / f"{s}_list.txt").write_text("\n".join(rows) + "\n")
    done.write_text(json.dumps(want))
    print(f"data set: {root}: wrote {written} clips in {time.perf_counter() - t0:.0f} s")


# ------------------------------------------------------------------ measuring a process tree

def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            kids.setdefault(ppid, []).append(int(d))
    return kids


def _tree(pid: int) -> list[int]:
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def _kib(path: str, key: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_stage(name: str, cmd: list[str], log: Path) -> dict:
    """Run ``cmd``; its wall time, the peak PSS of its process tree and the peak RSS of its main process."""
    peak = {"tree_kib": 0, "main_kib": 0, "anon_kib": 0}
    with open(log, "w") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=err, stderr=subprocess.STDOUT, cwd=REPO,
                             env={**os.environ, "TQDM_DISABLE": "1"})

        def sample():
            while p.poll() is None:
                pids = _tree(p.pid)
                peak["tree_kib"] = max(peak["tree_kib"], sum(_kib(f"/proc/{q}/smaps_rollup", "Pss:") for q in pids))
                peak["anon_kib"] = max(peak["anon_kib"], sum(_kib(f"/proc/{q}/smaps_rollup", "Anonymous:") for q in pids))
                peak["main_kib"] = max(peak["main_kib"], _kib(f"/proc/{p.pid}/status", "VmHWM:"))
                time.sleep(0.2)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        rc = p.wait()
        seconds = time.perf_counter() - t0
        th.join()
    if rc != 0:
        tail = log.read_text().strip().splitlines()[-3:]
        raise SystemExit(f"error: stage {name} failed (rc {rc}): " + " / ".join(tail))
    return {"stage": name, "seconds": seconds, "peak_tree_mb": peak["tree_kib"] / 1024,
            "peak_main_rss_mb": peak["main_kib"] / 1024, "peak_anonymous_mb": peak["anon_kib"] / 1024}


# ------------------------------------------------------------------ stages run in their own process

def stage_cache(root: str, cache_dir: str) -> None:
    from kwsapp.core.features import DEFAULT_SETTINGS
    from trainer.data.cache import FeatureCache
    from trainer.data.dataset import SplitRule
    from trainer.data.sources import load_source

    src = load_source(root, SplitRule(), FeatureCache(cache_dir, DEFAULT_SETTINGS), desc=None)
    print(f"cached {len(src.index.clips)} clips' features, {len(src.feats.errors)} unreadable")


def stage_read(test_audio: str) -> None:
    n = size = 0
    for entry in os.scandir(test_audio):
        with open(entry.path, "rb") as f:
            size += len(f.read())
        n += 1
    print(f"read {n} files, {size / 1e6:.0f} MB")


def stage_notebook(test_audio: str, model_dir: str, out_csv: str) -> None:
    import pandas as pd

    from bench.notebook import predict_test_set
    from trainer.models.keras_model import KerasScorer

    scorer = KerasScorer(model_dir)
    index, results = predict_test_set(scorer.model, list(scorer.labels), test_audio)
    pd.DataFrame({"fname": index, "label": results}).to_csv(out_csv, index=False)


# ------------------------------------------------------------------ the benchmark

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(REPO.parent / "data" / "kaggle_size"),
                    help="where the generated data set is written (and kept for the next run)")
    ap.add_argument("--scale", type=float, default=1.0, help="a share of the Kaggle size (default 1: all of it)")
    ap.add_argument("--model", default=str(REPO / "assets" / "default_model"), help="the model evaluate and submit use")
    ap.add_argument("--notebook-clips", type=int, default=None,
                    help="test clips for the notebook's loop (default: all of them, as submit)")
    ap.add_argument("--stages", nargs="+", default=["cache", "epoch", "evaluate", "read", "submit", "notebook"],
                    choices=["cache", "epoch", "evaluate", "read", "submit", "notebook"])
    ap.add_argument("--json", default=None, help="write the figures here too")
    ap.add_argument("--stage", nargs="+", help=argparse.SUPPRESS)  # internal: run one stage in this process
    args = ap.parse_args()
    if args.stage:
        {"cache": stage_cache, "read": stage_read, "notebook": stage_notebook}[args.stage[0]](*args.stage[1:])
        return 0

    from bench.machine import describe

    n_train, n_test = round(TRAIN_CLIPS * args.scale), round(TEST_CLIPS * args.scale)
    base = Path(args.root)
    root = base / f"scale_{args.scale:g}"
    work = base / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print(f"machine: {describe()}")
    make_dataset(root, n_train, n_test, workers=os.cpu_count() or 1)
    py = sys.executable
    cache = work / "cache"
    figures = []

    def stage(name, cmd, clips):
        r = run_stage(name, cmd, work / f"{name}.log")
        r["clips"] = clips
        figures.append(r)
        print(f"{name:9s}: {r['seconds']:7.1f} s  {clips / r['seconds']:7.0f} clips/s  peak memory {r['peak_tree_mb']:6.0f} MB "
              f"(all its processes, PSS), of it anonymous {r['peak_anonymous_mb']:6.0f} MB; main process RSS "
              f"{r['peak_main_rss_mb']:6.0f} MB", flush=True)
        return r

    if "cache" in args.stages or "epoch" in args.stages or "evaluate" in args.stages:
        stage("cache", [py, __file__, "--stage", "cache", str(root), str(cache)], n_train)
    if "epoch" in args.stages:
        r = stage("epoch", [py, "-m", "trainer", "train", "--data", str(root), "--recipe", "live", "--epochs", "1",
                            "--out", str(work / "model"), "--cache-dir", str(cache)], n_train)
        text = (work / "epoch.log").read_text()
        m = re.search(r"training: (\d+) clips per epoch", text)
        e = re.search(r"^\s*\d+/\d+ - (\d+)s - ", text, re.M)
        r["clips_per_epoch"] = int(m.group(1)) if m else None
        r["epoch_seconds"] = int(e.group(1)) if e else None
        print(f"           the epoch itself (Keras): {r['epoch_seconds']} s for {r['clips_per_epoch']} clips drawn; "
              "the rest is start-up, the cache read, validation and writing the model folder")
    if "evaluate" in args.stages:
        stage("evaluate", [py, "-m", "trainer", "evaluate", "--data", str(root), "--model", args.model, "--split",
                           "test", "--cache-dir", str(cache)], len((root / "train" / "testing_list.txt").read_text().split()))
    ours = nb = None
    if "read" in args.stages:
        r = stage("read", [py, __file__, "--stage", "read", str(root / "test" / "audio")], n_test)
        print(f"           the test clips read once ({r['seconds']:.1f} s): submit and the notebook's loop read them "
              "from the page cache alike")
    if "submit" in args.stages:
        ours = stage("submit", [py, "-m", "trainer", "submit", "--data", str(root), "--model", args.model,
                                "--out", str(work / "submission.csv")], n_test)
    if "notebook" in args.stages:
        test_audio = root / "test" / "audio"
        n_nb = min(args.notebook_clips or n_test, n_test)
        if n_nb < n_test:  # the first n_nb clips by name, linked into a folder of their own
            subset = work / "notebook_audio"
            subset.mkdir()
            for f in sorted(os.listdir(test_audio))[:n_nb]:
                os.symlink(test_audio / f, subset / f)
            test_audio = subset
        nb = stage("notebook", [py, __file__, "--stage", "notebook", str(test_audio), args.model,
                                str(work / "notebook.csv")], n_nb)
    if ours and nb:
        import pandas as pd

        a = pd.read_csv(work / "submission.csv").set_index("fname")["label"]
        b = pd.read_csv(work / "notebook.csv").set_index("fname")["label"]
        same = float((a.reindex(b.index) == b).mean())
        ratio = (ours["clips"] / ours["seconds"]) / (nb["clips"] / nb["seconds"])
        print(f"export    : submit {ours['clips'] / ours['seconds']:.0f} clips/s against the notebook's loop "
              f"{nb['clips'] / nb['seconds']:.0f} clips/s: {ratio:.1f}x; the same label on {same:.4f} of "
              f"{len(b)} clips")
        figures.append({"stage": "ratio", "export_speedup": ratio, "same_labels": same})
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": describe(), "scale": args.scale, "train_clips": n_train,
                                               "test_clips": n_test, "figures": figures}, indent=2))
    shutil.rmtree(work / "model", ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
