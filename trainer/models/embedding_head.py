"""A head on the pretrained speech embedding (kwsapp.engine.speech_embedding): trained on the cached embeddings of
the data folders (trainer.data.embedding_cache), written as a model folder of that kind (the head as ``model.keras`` and
``model.tflite``, the front-end's files, ``frontend.json``).

The head, as measured first in the hearing issue: Conv1D(128, 3) + LayerNorm + ReLU twice over the 9 embeddings,
global max pool, Dense 64, Dense 12 (96k parameters). Each epoch draws every command equally often, unknown 1.5 times
and silence once an average command's count (the live recipe's shares), each clip as one of its cached copies."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from kwsapp.core.labels import COMMANDS, LABELS, SILENCE, UNKNOWN
from kwsapp.core.modelfolder import LABELS_FILE, METRICS_FILE, TRAINING_FILE, write_json_atomic
from kwsapp.engine.speech_embedding import EMBED_SIZE, FrontEndSettings, write_frontend
from trainer.data.dataset import SplitRule, index_dataset, leave_out_speakers, read_speaker_list
from trainer.data.embedding_cache import CacheRecipe, build, folder_key


@dataclass
class HeadConfig:
    data: list[str]
    out: str
    epochs: int = 40
    batch_size: int = 128
    learning_rate: float = 2e-3
    seed: int = 0
    unknown_ratio: float = 1.5
    silence_ratio: float = 1.0
    filters: int = 128
    dense: int = 64
    dropout: float = 0.1
    split: SplitRule = field(default_factory=lambda: SplitRule(salt="kwsapp", testing_percent=15))
    cache_dir: str = "runs/emb_cache"
    recipe: CacheRecipe = field(default_factory=CacheRecipe)
    windows: int = 9
    workers: int = 2
    # stream-like windows per epoch, in average commands' counts (trainer.data.embedding_cache.STREAM_KINDS)
    negatives_ratio: float = 0.0   # other words anywhere, cut by the window's edges too (unknown)
    cut_ratio: float = 0.0         # commands arriving or leaving, 10-40 % of the word inside (unknown)
    neighbour_ratio: float = 0.0   # commands whole beside part of another word (their own label)
    negative_copies: int = 2
    exclude_speakers: tuple[str, ...] = ()  # neither trained nor validated on (benchmarks judge them as new people)


@dataclass
class Folder:
    name: str
    labels: np.ndarray   # label index per clip
    split: np.ndarray
    copies: list         # memory-mapped (clips, windows, 96) arrays
    silence: dict        # split -> (n, windows, 96)
    stream: dict = field(default_factory=dict)  # kind -> ((copies, rows, windows, 96) embeddings, their rows)


def load_folders(cfg: HeadConfig) -> list[Folder]:
    out = []
    lut = {lab: i for i, lab in enumerate(LABELS)}
    for root in cfg.data:
        where = build(root, cfg.split, cfg.cache_dir, cfg.recipe, workers=cfg.workers, windows=cfg.windows)
        index = index_dataset(root, cfg.split)
        if cfg.exclude_speakers:
            leave_out_speakers(index, cfg.exclude_speakers)
        copies = [np.load(where / f"copy{c}.npy", mmap_mode="r") for c in range(cfg.recipe.copies)]
        silence = {s: np.load(where / f"silence_{s}.npy") for s in ("training", "validation", "testing")}
        stream = {}
        for kind, ratio in stream_ratios(cfg).items():
            if ratio > 0:
                from trainer.data.embedding_cache import build_negatives

                nw = build_negatives(root, cfg.split, cfg.cache_dir, cfg.recipe, cfg.negative_copies, cfg.workers,
                                     cfg.windows, kind)
                stream[kind] = (np.load(nw / "negatives.npy", mmap_mode="r"), np.load(nw / "rows.npy"))
        out.append(Folder(Path(root).name, np.array([lut[x] for x in index.clips["label"]]),
                          np.array(index.clips["split"]), copies, silence, stream))
    return out


def head_model(windows: int, n_classes: int, filters: int = 128, dense: int = 64, dropout: float = 0.1):
    import keras
    from keras import layers

    x = inp = keras.Input((windows, EMBED_SIZE), name="embeddings")
    for _ in range(2):
        x = layers.Conv1D(filters, 3, padding="same")(x)
        x = layers.LayerNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(dense, activation="relu")(x)
    out = layers.Dense(n_classes, activation="softmax", name="scores")(x)
    return keras.Model(inp, out, name="embedding_head")


def head_scores(model, x: np.ndarray, batch: int = 4096) -> np.ndarray:
    """The head's scores of (n, windows, 96) embeddings: the model called directly, a batch at a time (model.predict
    costs tens of ms a call in set-up alone)."""
    x = np.asarray(x, np.float32)
    parts = [np.asarray(model(x[s:s + batch], training=False)) for s in range(0, len(x), batch)]
    return np.concatenate(parts) if parts else np.zeros((0, model.output_shape[-1]), np.float32)


def epoch_rows(folders: list[Folder], rng, unknown_ratio: float, silence_ratio: float):
    """(folder, row, copy) of an epoch's clips and the count of silence buffers: every command equally often."""
    cmd_ids = [LABELS.index(c) for c in COMMANDS]
    per_cmd = {c: [(f, i) for f, F in enumerate(folders) for i in np.flatnonzero((F.labels == c) & (F.split == "training"))]
               for c in cmd_ids}
    mean = int(np.mean([len(v) for v in per_cmd.values()]))
    rows = []
    for c, items in per_cmd.items():
        pick = rng.choice(len(items), mean, replace=len(items) < mean)
        rows += [items[k] for k in pick]
    unk = [(f, i) for f, F in enumerate(folders) for i in np.flatnonzero((F.labels == LABELS.index(UNKNOWN)) & (F.split == "training"))]
    n_unk = int(unknown_ratio * mean)
    rows += [unk[k] for k in rng.choice(len(unk), n_unk, replace=len(unk) < n_unk)]
    return rows, int(silence_ratio * mean)


def stream_ratios(cfg: HeadConfig) -> dict[str, float]:
    return {"other": cfg.negatives_ratio, "cut": cfg.cut_ratio, "neighbour": cfg.neighbour_ratio}


def stream_windows(folders, kind: str, count: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """``count`` stream-like windows of ``kind`` drawn from the training split of every folder that has them, with
    the label the head learns for them (unknown, or the command's own)."""
    from trainer.data.embedding_cache import STREAM_KINDS

    pool = [(f, k) for f, F in enumerate(folders) if kind in F.stream
            for k in np.flatnonzero(F.split[F.stream[kind][1]] == "training")]
    shape = (folders[0].copies[0].shape[1], EMBED_SIZE)
    if not pool or count <= 0:
        return np.zeros((0, *shape), np.float32), np.zeros(0, np.int64)
    pick = rng.choice(len(pool), count, replace=len(pool) < count)
    x, y = np.empty((count, *shape), np.float32), np.empty(count, np.int64)
    own = STREAM_KINDS[kind][1] == "own"
    for j, p in enumerate(pick):
        f, k = pool[p]
        arr, rows = folders[f].stream[kind]
        x[j] = arr[rng.integers(len(arr)), k]
        y[j] = folders[f].labels[rows[k]] if own else LABELS.index(UNKNOWN)
    return x, y


def gather(folders, rows, rng, copies: int, clean: bool = False) -> tuple[np.ndarray, np.ndarray]:
    x = np.empty((len(rows), folders[0].copies[0].shape[1], EMBED_SIZE), np.float32)
    y = np.empty(len(rows), np.int64)
    which = np.zeros(len(rows), int) if clean else rng.integers(0, copies, len(rows))
    for k, ((f, i), c) in enumerate(zip(rows, which)):
        x[k] = folders[f].copies[c][i]
        y[k] = folders[f].labels[i]
    return x, y


def split_set(folders, split: str, copy: int = 0):
    xs, ys = [], []
    for F in folders:
        idx = np.flatnonzero(F.split == split)
        xs.append(np.asarray(F.copies[copy][idx], np.float32))
        ys.append(F.labels[idx])
        xs.append(F.silence[split].astype(np.float32))
        ys.append(np.full(len(F.silence[split]), LABELS.index(SILENCE)))
    return np.concatenate(xs), np.concatenate(ys)


def train_head(cfg: HeadConfig, log=print) -> dict:
    from trainer.models.keras_model import export_litert
    from trainer.models.tf_setup import import_tensorflow

    import_tensorflow()
    import keras

    keras.utils.set_random_seed(cfg.seed)
    folders = load_folders(cfg)
    rng = np.random.default_rng(cfg.seed)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    model = head_model(cfg.windows, len(LABELS), cfg.filters, cfg.dense, cfg.dropout)
    rows, n_sil = epoch_rows(folders, rng, cfg.unknown_ratio, cfg.silence_ratio)
    steps = cfg.epochs * ((len(rows) + n_sil) // cfg.batch_size)
    sched = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, steps, alpha=0.01)
    model.compile(keras.optimizers.Adam(sched), "sparse_categorical_crossentropy", metrics=["accuracy"])
    xv, yv = split_set(folders, "validation")
    best, best_acc, history = None, -1.0, []
    t0 = time.time()
    for epoch in range(cfg.epochs):
        rows, n_sil = epoch_rows(folders, rng, cfg.unknown_ratio, cfg.silence_ratio)
        x, y = gather(folders, rows, rng, cfg.recipe.copies)
        sil = np.concatenate([F.silence["training"] for F in folders])
        xs = sil[rng.choice(len(sil), n_sil)].astype(np.float32)
        x = np.concatenate([x, xs])
        y = np.concatenate([y, np.full(n_sil, LABELS.index(SILENCE))])
        for kind, ratio in stream_ratios(cfg).items():
            if ratio > 0:
                xn, yn = stream_windows(folders, kind, int(ratio * n_sil / cfg.silence_ratio), rng)
                x, y = np.concatenate([x, xn]), np.concatenate([y, yn])
        perm = rng.permutation(len(x))
        h = model.fit(x[perm], y[perm], batch_size=cfg.batch_size, epochs=1, verbose=0)
        pv = head_scores(model, xv)
        acc = float(np.mean(pv.argmax(1) == yv))
        history.append({"epoch": epoch + 1, "loss": float(h.history["loss"][0]), "accuracy": float(h.history["accuracy"][0]),
                        "val_accuracy": acc})
        log(f"epoch {epoch + 1}/{cfg.epochs}: loss {history[-1]['loss']:.3f}, val accuracy {acc:.2%} ({time.time() - t0:.0f} s)")
        if acc > best_acc:
            best_acc, best = acc, model.get_weights()
    model.set_weights(best)
    kept = head_model(cfg.windows, len(LABELS), cfg.filters, cfg.dense, cfg.dropout)  # uncompiled: no optimizer state
    kept.set_weights(best)
    kept.save(out / "model.keras")
    export_litert(out / "model.keras", out / "model.tflite")
    write_json_atomic(out / LABELS_FILE, list(LABELS))
    write_frontend(out, FrontEndSettings(windows=cfg.windows, band_rate_hz=cfg.recipe.band_rate_hz))
    metrics = {"validation_accuracy": best_acc}
    for split in ("validation", "testing"):
        for F in folders:
            idx = np.flatnonzero(F.split == split)
            if not len(idx):
                continue
            for copy in (0, 1):
                p = head_scores(model, F.copies[copy][idx]).argmax(1)
                metrics[f"{F.name}/{split}/copy{copy}"] = clip_metrics(F.labels[idx], p)
    write_json_atomic(out / METRICS_FILE, metrics)
    from trainer.models.personalize_embedding import write_replay

    write_replay(out, *replay_set(folders, np.random.default_rng([cfg.seed, 5])))
    write_json_atomic(out / TRAINING_FILE, {"kind": "speech_embedding head", "config": {
        **{k: v for k, v in asdict(cfg).items() if k not in ("split", "recipe")}, "split": asdict(cfg.split),
        "recipe": asdict(cfg.recipe), "cache_keys": [folder_key(r, cfg.split, cfg.recipe) for r in cfg.data]},
        "split_rule": cfg.split.to_dict(), "exclude_speakers": list(cfg.exclude_speakers),
        "history": history, "seconds": time.time() - t0})
    return metrics


def replay_set(folders, rng, per_label: int | None = None, unknown: int | None = None, stream_unknown: int = 0):
    """(embeddings, label indices) of ``per_label`` training windows of every class (``unknown`` of other words, and
    ``stream_unknown`` more cut anywhere in the window), for personalize."""
    from trainer.models.personalize_embedding import REPLAY_PER_LABEL, REPLAY_UNKNOWN

    per_label = per_label or REPLAY_PER_LABEL
    unknown = unknown or REPLAY_UNKNOWN
    xs, ys = [], []
    for c, lab in enumerate(LABELS):
        count = unknown if lab == UNKNOWN else per_label
        if lab == SILENCE:
            sil = np.concatenate([F.silence["training"] for F in folders])
            xs.append(sil[rng.choice(len(sil), per_label, replace=len(sil) < per_label)].astype(np.float32))
            ys.append(np.full(per_label, c))
            continue
        items = [(f, i) for f, F in enumerate(folders) for i in np.flatnonzero((F.labels == c) & (F.split == "training"))]
        if not items:
            continue
        pick = rng.choice(len(items), count, replace=len(items) < count)
        x, y = gather(folders, [items[k] for k in pick], rng, len(folders[0].copies))
        xs.append(x)
        ys.append(y)
    if stream_unknown:  # other words as a stream shows them (cut anywhere), when the folders have them
        x, y = stream_windows(folders, "other", stream_unknown, rng)
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def clip_metrics(y, p) -> dict:
    cmd = np.isin(y, [LABELS.index(c) for c in COMMANDS])
    unk = y == LABELS.index(UNKNOWN)
    per = {c: float(np.mean(p[y == LABELS.index(c)] == LABELS.index(c))) for c in COMMANDS if (y == LABELS.index(c)).any()}
    return {"commands_right": float(np.mean(p[cmd] == y[cmd])) if cmd.any() else None,
            "unknown_right": float(np.mean(p[unk] == y[unk])) if unk.any() else None,
            "worst_command": min(per.items(), key=lambda kv: kv[1]) if per else None,
            "n_commands": int(cmd.sum()), "n_unknown": int(unk.sum())}


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--band-rate-hz", type=int, default=16000)
    ap.add_argument("--negatives-ratio", type=float, default=0.0, help="other words anywhere, cut by the edges")
    ap.add_argument("--cut-ratio", type=float, default=0.0, help="commands arriving or leaving, as unknown")
    ap.add_argument("--neighbour-ratio", type=float, default=0.0, help="commands beside part of another word")
    ap.add_argument("--replay-only", action="store_true", help="add replay_embeddings.npz to a trained --out")
    ap.add_argument("--replay-unknown", type=int, default=None, help="other words' windows in it (default: "
                    "trainer.models.personalize_embedding.REPLAY_UNKNOWN)")
    ap.add_argument("--replay-stream-unknown", type=int, default=0,
                    help="and this many more other words' windows cut anywhere (the stream-like negatives)")
    ap.add_argument("--exclude-speakers", default=None, metavar="FILE",
                    help="speaker ids (one a line) neither trained nor validated on, as bench_personalize asks")
    a = ap.parse_args()
    excluded = read_speaker_list(a.exclude_speakers) if a.exclude_speakers else ()
    if a.replay_only:
        from trainer.models.personalize_embedding import write_replay

        cfg = HeadConfig(data=a.data, out=a.out, recipe=CacheRecipe(band_rate_hz=a.band_rate_hz),
                         exclude_speakers=excluded, negatives_ratio=1.0 if a.replay_stream_unknown else 0.0)
        write_replay(Path(a.out), *replay_set(load_folders(cfg), np.random.default_rng([a.seed, 5]),
                                              unknown=a.replay_unknown, stream_unknown=a.replay_stream_unknown))
        raise SystemExit(0)
    m = train_head(HeadConfig(data=a.data, out=a.out, epochs=a.epochs, seed=a.seed,
                              recipe=CacheRecipe(band_rate_hz=a.band_rate_hz), negatives_ratio=a.negatives_ratio,
                              cut_ratio=a.cut_ratio, neighbour_ratio=a.neighbour_ratio, exclude_speakers=excluded))
    print(json.dumps(m, indent=1))
