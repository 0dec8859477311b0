"""Training: per-epoch balanced sampling, augmentation, early stopping, checkpoints and resume."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kwsapp.core.features import DEFAULT_SETTINGS, FeatureSettings
from kwsapp.core.labels import COMMANDS, LABELS, SILENCE, UNKNOWN
from kwsapp.core.modelfolder import (HISTORY_FILE, KERAS_FILE, METRICS_FILE, TFLITE_FILE, TRAINING_FILE,
                                     ModelFolder, write_json_atomic)
from .augment import AugmentSettings, augment_batch
from .cache import FeatureCache
from .dataset import TESTING, TRAIN, VALIDATION, SplitRule, silence_gains
from .interrupts import SigintLatch
from .sources import Source, command_positions, eval_set, load_source, noise_features, silence_features

CHECKPOINT_DIR = ".checkpoint"
BEST_FILE = "best.keras"


class TrainError(Exception):
    pass


@dataclass
class TrainConfig:
    data: list[str]
    out: str
    epochs: int = 10
    batch_size: int = 64
    width: int = 1
    arch: str = "reference"
    seed: int = 0
    resume: bool = False
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"  # or "cosine": from learning_rate down to 1 % of it over `epochs`
    patience: int = 4
    unknown_ratio: float = 1.0   # unknown clips per epoch, in units of an average command's count
    silence_ratio: float = 1.0   # silence clips per epoch, likewise
    augment: bool = True
    max_shift_ms: float = 100.0  # time shift augmentation, +-
    snr_db_range: tuple[float, float] = AugmentSettings.snr_db_range  # background noise, speech to noise
    spec_augment: bool = False   # two frequency masks (<= 8 bins) and two time masks (<= 100 ms) per clip
    spliced_ratio: float = 0.0   # made negatives per epoch (start of one command + end of another, as unknown)
    reversed_ratio: float = 0.0  # made negatives per epoch (a command played backwards, as unknown)
    label_smoothing: float = 0.0
    split: SplitRule = field(default_factory=SplitRule)
    cache_dir: str | None = None
    workers: int | None = None
    features: FeatureSettings = DEFAULT_SETTINGS
    progress: bool = True


def augment_settings(cfg: TrainConfig) -> AugmentSettings:
    masks = 2 if cfg.spec_augment else 0
    return AugmentSettings(max_shift_frames=int(round(cfg.max_shift_ms / cfg.features.hop_ms)),
                           snr_db_range=tuple(cfg.snr_db_range), freq_masks=masks, time_masks=masks,
                           max_time_mask_frames=int(round(100.0 / cfg.features.hop_ms)))


def cosine_learning_rate(epoch: int, epochs: int, peak: float, floor_share: float = 0.01) -> float:
    """Cosine decay from ``peak`` at epoch 0 to ``floor_share * peak`` at the last epoch."""
    t = epoch / max(epochs - 1, 1)
    return float(peak * (floor_share + (1 - floor_share) * 0.5 * (1 + np.cos(np.pi * min(t, 1.0)))))


SPLICED = -2   # source code of a made negative in an epoch's items: two commands spliced ...
REVERSED = -3  # ... or one played backwards
# Backwards, "no" sounds like "own", close to "on" (and "on" like "no"): they are never reversed.
NOT_REVERSED = ("no", "on")


def word_frames(logspec: np.ndarray) -> tuple[int, int]:
    """First and last+1 frame whose energy is within 20 dB of the loudest frame: where the word is."""
    e = np.log(np.exp(logspec.astype(np.float64)).sum(axis=-1))
    loud = np.nonzero(e >= e.max() - np.log(100.0))[0]
    return int(loud[0]), int(loud[-1]) + 1


def splice(a: np.ndarray, b: np.ndarray, floor: float) -> np.ndarray:
    """The first half of the word in ``a`` followed by the second half of the word in ``b`` (then b's
    background): a non-word in real voices, e.g. "ri-" + "-op"."""
    a0, a1 = word_frames(a)
    b0, b1 = word_frames(b)
    a_mid, b_mid = (a0 + a1) // 2, (b0 + b1) // 2
    out = np.full_like(a, floor)
    out[:a_mid] = a[:a_mid]
    tail = b[b_mid:b_mid + (len(a) - a_mid)]
    out[a_mid:a_mid + len(tail)] = tail
    return out


class EpochPlan:
    """Which clips make up one epoch: every command clip, a fresh sample of unknown clips and of silence."""

    def __init__(self, sources: list[Source], cfg: TrainConfig):
        self.by_label: dict[str, np.ndarray] = {}
        for lab in (*COMMANDS, UNKNOWN):
            parts = [np.stack([np.full(len(p), si), p], axis=1)
                     for si, s in enumerate(sources) for p in [command_positions(s, TRAIN)[lab]]]
            self.by_label[lab] = np.concatenate(parts) if parts else np.zeros((0, 2), np.int64)
        per_cmd = [len(self.by_label[c]) for c in COMMANDS if len(self.by_label[c])]
        if not per_cmd:
            raise TrainError("no command clips (yes, no, up, ...) in the training split of " + ", ".join(cfg.data))
        mean_cmd = float(np.mean(per_cmd))
        self.n_unknown = min(len(self.by_label[UNKNOWN]), int(round(cfg.unknown_ratio * mean_cmd)))
        # Unknown clips are drawn from each data folder in proportion to its command clips, so the share of
        # unknown is the same in every folder. Drawn from the pooled clips instead, a folder rich in other
        # words (the synthetic one) fills the unknown class, and the model learns "a synthetic voice is
        # unknown": real people's other words then come out as commands.
        n_cmd = np.array([sum(int((self.by_label[c][:, 0] == si).sum()) for c in COMMANDS)
                          for si in range(len(sources))], dtype=np.float64)
        n_unk = np.array([int((self.by_label[UNKNOWN][:, 0] == si).sum()) for si in range(len(sources))])
        want = np.where(n_unk > 0, n_cmd, 0.0)
        self.unknown_per_source = (np.floor(self.n_unknown * want / want.sum()).astype(int) if want.sum() > 0
                                   else np.zeros(len(sources), dtype=int))
        self.n_unknown = int(self.unknown_per_source.sum())
        self.n_silence = int(round(cfg.silence_ratio * mean_cmd))
        self.n_spliced = int(round(cfg.spliced_ratio * mean_cmd))
        self.n_reversed = int(round(cfg.reversed_ratio * mean_cmd))
        self.n_total = (sum(len(self.by_label[c]) for c in COMMANDS) + self.n_unknown + self.n_silence
                        + self.n_spliced + self.n_reversed)

    def epoch(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(items, labels): items[:, 0] is the source (-1 for silence), items[:, 1] the position."""
        items, ys = [], []
        for lab in COMMANDS:
            items.append(self.by_label[lab])
            ys.append(np.full(len(self.by_label[lab]), LABELS.index(lab)))
        unk = self.by_label[UNKNOWN]
        for si, n in enumerate(self.unknown_per_source):
            if n:
                pool = unk[unk[:, 0] == si]  # without replacement while the folder has enough
                items.append(pool[rng.choice(len(pool), n, replace=bool(n > len(pool)))])
                ys.append(np.full(n, LABELS.index(UNKNOWN)))
        items.append(np.stack([np.full(self.n_silence, -1), np.arange(self.n_silence)], axis=1))
        ys.append(np.full(self.n_silence, LABELS.index(SILENCE)))
        for code, n in ((SPLICED, self.n_spliced), (REVERSED, self.n_reversed)):
            if n:
                items.append(np.stack([np.full(n, code), np.arange(n)], axis=1))
                ys.append(np.full(n, LABELS.index(UNKNOWN)))
        items, ys = np.concatenate(items).astype(np.int64), np.concatenate(ys).astype(np.int64)
        order = rng.permutation(len(items))
        return items[order], ys[order]


def make_training_dataset(sources: list[Source], cfg: TrainConfig, noise_bank: np.ndarray):
    import keras

    class TrainingData(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            self.plan = EpochPlan(sources, cfg)
            self.epoch_no = 0
            self._built_for = None
            self.aug = augment_settings(cfg)

        def set_epoch(self, epoch: int):
            self.epoch_no = epoch

        def _ensure(self):
            if self._built_for != self.epoch_no:
                rng = np.random.default_rng([cfg.seed, self.epoch_no])
                self.items, self.ys = self.plan.epoch(rng)
                self.sil_bank_idx = rng.integers(max(len(noise_bank), 1), size=self.plan.n_silence)
                self.sil_gains = silence_gains(self.plan.n_silence, rng)
                # made negatives: pairs of command clips with different labels
                cmd = np.concatenate([self.plan.by_label[c] for c in COMMANDS])
                cmd_y = np.concatenate([np.full(len(self.plan.by_label[c]), k) for k, c in enumerate(COMMANDS)])
                n = self.plan.n_spliced
                first, second = rng.integers(len(cmd), size=n), rng.integers(len(cmd), size=n)
                same = cmd_y[first] == cmd_y[second]
                while same.any():
                    second[same] = rng.integers(len(cmd), size=int(same.sum()))
                    same = cmd_y[first] == cmd_y[second]
                self.splice_pairs = (cmd[first], cmd[second])
                reversible = np.concatenate([self.plan.by_label[c] for c in COMMANDS if c not in NOT_REVERSED])
                self.reversed_clips = reversible[rng.integers(len(reversible), size=self.plan.n_reversed)]
                self._built_for = self.epoch_no

        def __len__(self):
            return int(np.ceil(self.plan.n_total / cfg.batch_size))

        def __getitem__(self, i):
            self._ensure()
            sl = slice(i * cfg.batch_size, (i + 1) * cfg.batch_size)
            items, ys = self.items[sl], self.ys[sl]
            s = cfg.features
            x = np.empty((len(items),) + s.shape, dtype=np.float32)
            speech = items[:, 0] >= 0
            for si in np.unique(items[speech, 0]):
                m = items[:, 0] == si
                x[m] = sources[si].feats.get(items[m, 1])
            for j in np.nonzero(items[:, 0] == SPLICED)[0]:
                (sa, pa), (sb, pb) = (p[items[j, 1]] for p in self.splice_pairs)
                fa = sources[sa].feats.get(np.array([pa]))[0]
                fb = sources[sb].feats.get(np.array([pb]))[0]
                x[j] = splice(fa, fb, s.floor)
            for j in np.nonzero(items[:, 0] == REVERSED)[0]:
                sa, pa = self.reversed_clips[items[j, 1]]
                x[j] = sources[sa].feats.get(np.array([pa]))[0][::-1]  # frames in reverse: the wave backwards
            speech = items[:, 0] != -1  # made negatives are augmented like speech
            rng = np.random.default_rng([cfg.seed, self.epoch_no, i, 1])
            if cfg.augment and speech.any():
                x[speech] = augment_batch(x[speech], noise_bank, rng, self.aug, s.floor, s.log_eps)
            if (~speech).any():
                k = items[~speech, 1]
                if len(noise_bank):
                    x[~speech] = silence_features(noise_bank[self.sil_bank_idx[k]], self.sil_gains[k], s)
                else:
                    x[~speech] = s.floor
            y = np.eye(len(LABELS), dtype=np.float32)[ys]
            return x, y

    return TrainingData()


def make_eval_dataset(sources, es, batch_size: int):
    import keras

    class EvalData(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.batches = list(es.batches(sources, batch_size))
            # batches() yields per source, then silence, in the order of es.y
            self.ys, start = [], 0
            for n in (len(b) for b in self.batches):
                self.ys.append(np.eye(len(LABELS), dtype=np.float32)[es.y[start:start + n]])
                start += n

        def __len__(self):
            return len(self.batches)

        def __getitem__(self, i):
            return self.batches[i], self.ys[i]

    return EvalData()


def _log(msg: str):
    print(msg, file=sys.stderr, flush=True)


def load_sources(cfg: TrainConfig) -> list[Source]:
    cache = FeatureCache(cfg.cache_dir, cfg.features)
    sources = []
    for root in cfg.data:
        src = load_source(root, cfg.split, cache, workers=cfg.workers, desc="features" if cfg.progress else None)
        _log(src.index.summary())
        if src.feats.errors:
            _log(f"skipped {len(src.feats.errors)} unreadable clip(s) in {root}:")
            for e in src.feats.errors[:10]:
                _log(f"  {e}")
            if len(src.feats.errors) > 10:
                _log(f"  ... and {len(src.feats.errors) - 10} more")
        for p in src.problems:
            if p not in src.feats.errors:
                _log(f"warning: {p}")
        sources.append(src)
    return sources


def save_inference_model(src: Path, dst: Path) -> None:
    """Write the model at ``src`` to ``dst`` without its optimizer state (a third of the size), atomically."""
    import keras

    from kwsapp.runtime import load_keras_model

    model = load_keras_model(src)  # compile=False: no optimizer
    tmp = dst.with_name(".tmp-" + dst.name)  # keep the .keras suffix last so Keras accepts the name
    tmp = tmp.with_suffix(".keras")
    try:
        keras.saving.save_model(model, tmp)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_litert(model_dir) -> bool:
    """Add ``model.tflite`` (the live app's fast path) beside ``model.keras``; a failure is a warning only,
    the app then runs the Keras model."""
    from kwsapp.runtime import export_litert

    model_dir = Path(model_dir)
    try:
        export_litert(model_dir / KERAS_FILE, model_dir / TFLITE_FILE)
        return True
    except Exception as exc:  # the converter raises many kinds; the model itself is fine
        (model_dir / TFLITE_FILE).unlink(missing_ok=True)
        first = str(exc).splitlines()[0] if str(exc) else ""
        _log(f"warning: {model_dir}: no {TFLITE_FILE} written ({type(exc).__name__}: {first}); "
             "the app will run the Keras model")
        return False


def train(cfg: TrainConfig) -> dict:
    out = Path(cfg.out)
    ckpt = out / CHECKPOINT_DIR
    if ckpt.exists() and not cfg.resume:
        raise TrainError(f"{out}: holds an interrupted training run; pass --resume to continue it, or remove {ckpt}")
    if cfg.resume and not ckpt.exists():
        raise TrainError(f"{out}: no interrupted training run to resume (no {CHECKPOINT_DIR} folder)")
    t0 = time.time()
    sources = load_sources(cfg)  # data problems are reported before TensorFlow loads
    out.mkdir(parents=True, exist_ok=True)

    from kwsapp.tf_setup import import_tensorflow

    import_tensorflow()
    import keras

    from .evaluate import evaluate, format_metrics
    from .infer import Predictor
    from .models import build_model
    from .plots import save_confusion, save_curves

    keras.utils.set_random_seed(cfg.seed)
    settings = cfg.features
    rng_seed = cfg.seed + 1000
    noise_bank = noise_features(sources, TRAIN, 1500, rng_seed, settings)
    train_data = make_training_dataset(sources, cfg, noise_bank)
    plan = train_data.plan
    _log(f"training: {plan.n_total} clips per epoch ({sum(len(plan.by_label[c]) for c in COMMANDS)} commands, "
         f"{plan.n_unknown} of {len(plan.by_label[UNKNOWN])} unknown, {plan.n_silence} silence"
         + (f", {plan.n_spliced} spliced" if plan.n_spliced else "")
         + (f", {plan.n_reversed} reversed" if plan.n_reversed else "") + ")")
    val_es = eval_set(sources, VALIDATION, settings, balance_unknown=True)
    if len(val_es) == 0:
        raise TrainError("the validation split is empty: nothing to stop early on")
    val_data = make_eval_dataset(sources, val_es, 512)

    model = build_model(cfg.arch, settings.shape, len(LABELS), cfg.width)
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
                  metrics=["accuracy"])

    history_csv = out / HISTORY_FILE
    best_so_far = None
    if cfg.resume and history_csv.is_file():
        import pandas as pd

        h = pd.read_csv(history_csv)
        if "val_accuracy" in h and len(h):
            best_so_far = float(h["val_accuracy"].max())
    elif history_csv.exists():
        history_csv.unlink()

    class SetEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            train_data.set_epoch(epoch)

    # Ctrl-C is held back from the first epoch-end save to the last, so the backup (which says how many
    # epochs are done), the best model and the history row of an epoch are all written or none is. One that
    # came meanwhile ends the run right there, as a clean stop that keeps the backup (raising from inside a
    # callback instead leaves Keras's data thread running, and the process never exits).
    latch = SigintLatch()
    interrupted = []
    backup = keras.callbacks.BackupAndRestore(str(ckpt), save_freq="epoch", delete_checkpoint=True)

    class HoldSigint(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            latch.hold()

    class ReleaseSigint(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if latch.release():
                interrupted.append(epoch)
                backup.delete_checkpoint = False
                self.model.stop_training = True

    callbacks = [
        HoldSigint(),
        backup,
        SetEpoch(),
        keras.callbacks.ModelCheckpoint(
            str(out / BEST_FILE), monitor="val_accuracy", mode="max", save_best_only=True,
            initial_value_threshold=best_so_far),
        keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=cfg.patience),
        keras.callbacks.CSVLogger(str(history_csv), append=cfg.resume),
        ReleaseSigint(),
    ]
    if cfg.lr_schedule == "cosine":  # a function of the epoch number alone, so a resumed run continues it
        callbacks.insert(0, keras.callbacks.LearningRateScheduler(
            lambda epoch: cosine_learning_rate(epoch, cfg.epochs, cfg.learning_rate)))
    verbose = 1 if (cfg.progress and sys.stderr.isatty()) else 2
    try:
        model.fit(train_data, validation_data=val_data, epochs=cfg.epochs, callbacks=callbacks, verbose=verbose)
    finally:
        if latch.release():
            interrupted.append(-1)
    if interrupted:
        raise KeyboardInterrupt

    best = out / BEST_FILE
    if not best.is_file():
        raise TrainError(f"{out}: training ended without a checkpoint")
    save_inference_model(best, out / KERAS_FILE)
    best.unlink()
    write_litert(out)
    ModelFolder.write_metadata(out, LABELS, settings)
    training = {
        "arch": cfg.arch, "width": cfg.width, "epochs": cfg.epochs, "batch_size": cfg.batch_size, "seed": cfg.seed,
        "learning_rate": cfg.learning_rate, "lr_schedule": cfg.lr_schedule, "augment": augment_settings(cfg).to_dict() if cfg.augment else None,
        "unknown_ratio": cfg.unknown_ratio, "silence_ratio": cfg.silence_ratio, "spliced_ratio": cfg.spliced_ratio,
        "reversed_ratio": cfg.reversed_ratio, "label_smoothing": cfg.label_smoothing,
        "data": [{"root": str(s.index.root), "split": s.index.split_source, "clips": len(s.index.clips),
                  "unreadable": len(s.feats.errors)} for s in sources],
        "split_rule": cfg.split.to_dict(), "parameters": int(model.count_params()),
        "clips_per_epoch": plan.n_total, "seconds": round(time.time() - t0, 1),
        "command": " ".join(sys.argv) if sys.argv and sys.argv[0].endswith("__main__.py") else None,
    }
    write_json_atomic(out / TRAINING_FILE, training)

    predictor = Predictor(out)
    metrics = {"model": str(out)}
    for split in (VALIDATION, TESTING):
        m = evaluate(predictor, sources, eval_set(sources, split, settings))
        m["split"] = split
        metrics[split] = m
        _log(format_metrics(m, split))
    write_json_atomic(out / METRICS_FILE, metrics)
    save_curves(history_csv, out / "curves.png")
    save_confusion(metrics[TESTING] if metrics[TESTING]["n"] else metrics[VALIDATION], out / "confusion.png",
                   "test split" if metrics[TESTING]["n"] else "validation split")
    return metrics
