"""Training: the model, early stopping or a cosine rate, checkpoints and resume, and the model folder it writes.
The settings are ``config``; what each epoch is made of is ``epochs``."""

from __future__ import annotations

import contextlib
import shlex
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from kwsapp.core.files import write_atomic
from kwsapp.core.labels import LABELS, UNKNOWN
from kwsapp.core.modelfolder import (
    HISTORY_FILE,
    KERAS_FILE,
    METRICS_FILE,
    TFLITE_FILE,
    TRAINING_FILE,
    ModelFolder,
    write_json_atomic,
)
from trainer.data.cache import FeatureCache
from trainer.data.dataset import TESTING, TRAIN, VALIDATION, keep_training_speakers, leave_out_speakers
from trainer.data.epochs import augment_settings, make_eval_dataset, make_training_dataset
from trainer.data.sources import Source, eval_set, load_source, training_noise_bank
from trainer.models.config import CHECKPOINT_DIR, TrainConfig
from trainer.models.distill import Teachers, check_teachers
from trainer.models.interrupts import SigintLatch
from trainer.models.replay_set import choose as choose_replay
from trainer.models.replay_set import write_replay

MIN_FREE_MB = 64  # a model folder with its checkpoints takes a few MB; less free than this fails on the way
BEST_FILE = "best.keras"


class TrainError(Exception):
    pass


def _portable(path) -> str:
    """A path as recorded in training.json: as given when relative, only its last part when absolute (no machine's
    folders in a shipped file)."""
    p = Path(str(path))
    return p.name if p.is_absolute() else str(p)


def cosine_learning_rate(epoch: int, epochs: int, peak: float, floor_share: float = 0.01) -> float:
    """Cosine decay from ``peak`` at epoch 0 to ``floor_share * peak`` at the last epoch."""
    t = epoch / max(epochs - 1, 1)
    return float(peak * (floor_share + (1 - floor_share) * 0.5 * (1 + np.cos(np.pi * min(t, 1.0)))))


def library_versions() -> dict:
    """The versions a model was trained with: the same seed gives the same weights to the bit only with the same
    libraries (and CPU); another TensorFlow can train other weights from the same command."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("tensorflow", "keras", "numpy", "scipy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _log(msg: str):
    print(msg, file=sys.stderr, flush=True)


def load_sources(cfg: TrainConfig) -> list[Source]:
    cache = FeatureCache(cfg.cache_dir, cfg.features)
    sources = []
    for root in cfg.data:
        src = load_source(root, cfg.split, cache, workers=cfg.workers, desc="features" if cfg.progress else None)
        _log(src.index.summary())
        if cfg.train_speakers < 1.0:
            kept, there = keep_training_speakers(src.index, cfg.train_speakers)
            _log(f"{root}: training on {kept} of its {there} training speakers (--train-speakers {cfg.train_speakers:g})")
        if cfg.exclude_speakers:
            n = leave_out_speakers(src.index, cfg.exclude_speakers)
            _log(f"{root}: left out {n} training / validation clips of the {len(cfg.exclude_speakers)} excluded speakers")
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

    from trainer.models.keras_model import load_keras_model

    model = load_keras_model(src)  # compile=False: no optimizer
    write_atomic(dst, lambda tmp: keras.saving.save_model(model, tmp), suffix=".keras")


def write_litert(model_dir) -> bool:
    """Add ``model.tflite`` (the live app's fast path) beside ``model.keras``; a failure is a warning only,
    the app then runs the Keras model."""
    from trainer.models.keras_model import export_litert

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
    """Train and write the model folder ``cfg.out``. A run that fails on the disk (full, unwritable) leaves no half
    folder behind: one it created is removed, one it resumed keeps its last finished epoch."""
    out = Path(cfg.out)
    ckpt = out / CHECKPOINT_DIR
    if ckpt.exists() and not cfg.resume:
        raise TrainError(f"{out}: holds an interrupted training run; pass --resume to continue it, or remove {ckpt}")
    if cfg.resume and not ckpt.exists():
        raise TrainError(f"{out}: no interrupted training run to resume (no {CHECKPOINT_DIR} folder)")
    existing = next(p for p in (out, *out.absolute().parents) if p.exists())
    free_mb = shutil.disk_usage(existing).free / 1e6
    if free_mb < MIN_FREE_MB:
        raise TrainError(f"{out}: {free_mb:.0f} MB free there; a training run needs about {MIN_FREE_MB} MB")
    created = not out.exists()
    try:
        return _train(cfg, out, ckpt)
    except OSError as exc:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        where = exc.filename or out
        left = "nothing was left in " + str(out) if created else "the last finished epoch is kept for --resume"
        raise TrainError(f"{where}: {exc.strerror or exc} ({left})") from None


def _train(cfg: TrainConfig, out: Path, ckpt: Path) -> dict:
    t0 = time.time()
    chief = True
    if cfg.distribute == "multiworker":
        from trainer.models.multiworker import ClusterError, checkpoint_file, cluster_from_env

        try:
            kind, index, n_workers, chief = cluster_from_env()
        except ClusterError as exc:
            raise TrainError(str(exc)) from None
        task_ckpt = checkpoint_file(ckpt, kind, index)
        if cfg.resume and not task_ckpt.is_file():
            raise TrainError(f"{out}: no checkpoint of {kind} {index} to resume ({task_ckpt} is missing)")
        _log(f"multi-worker training: this is {kind} {index} of {n_workers}" + (" (the chief)" if chief else ""))
    teacher_folders = check_teachers(cfg.teachers, LABELS, cfg.features)  # before TensorFlow loads, too
    sources = load_sources(cfg)  # data problems are reported before TensorFlow loads
    out.mkdir(parents=True, exist_ok=True)

    from trainer.models.tf_setup import import_tensorflow

    tf = import_tensorflow()
    strategy = distribution_strategy(cfg.distribute, tf)  # before TensorFlow makes any device
    import keras

    from trainer.models.architectures import build_model

    keras.utils.set_random_seed(cfg.seed)
    settings = cfg.features
    noise_bank = training_noise_bank(sources, cfg.seed, settings)
    teachers = Teachers(teacher_folders) if teacher_folders else None
    # mirrored replicas on one machine share every batch equally (multi-worker training splits its own)
    even = strategy.num_replicas_in_sync if strategy is not None and cfg.distribute != "multiworker" else 1
    train_data = make_training_dataset(sources, cfg, noise_bank, teachers, multiple_of=even)
    _log(_describe_epoch(train_data.plan, cfg, teachers))
    val_es = eval_set(sources, VALIDATION, settings, balance_unknown=True)
    if len(val_es) == 0:
        raise TrainError("the validation split is empty: nothing to stop early on")
    val_data = make_eval_dataset(sources, val_es, 512, multiple_of=even)

    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = build_model(cfg.arch, settings.shape, len(LABELS), cfg.width)
        model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss=keras.losses.CategoricalCrossentropy(),
                      metrics=["accuracy"])
    if strategy is not None:
        name = "MultiWorkerMirroredStrategy" if cfg.distribute == "multiworker" else type(strategy).__name__
        _log(f"tf.distribute: {name} over {strategy.num_replicas_in_sync} replica(s)")
    if cfg.distribute == "multiworker":
        from trainer.models.multiworker import ClusterError, fit_multiworker

        try:
            fit_multiworker(cfg, strategy, model, train_data, val_data, out, BEST_FILE, HISTORY_FILE, chief,
                            lambda epoch: (cosine_learning_rate(epoch, cfg.epochs, cfg.learning_rate)
                                           if cfg.lr_schedule == "cosine" else cfg.learning_rate), task_ckpt)
        except ClusterError as exc:
            raise TrainError(str(exc)) from None
        if not chief:  # the chief writes the model folder; the others leave nothing
            with contextlib.suppress(OSError):
                out.rmdir()  # only when empty: on one machine the chief may write to the same --out
            _log("multi-worker training: done (the chief writes the model folder)")
            return {}
    else:
        _fit(cfg, model, train_data, val_data, out, ckpt)

    best = out / BEST_FILE
    if not best.is_file():
        raise TrainError(f"{out}: training ended without a checkpoint")
    save_inference_model(best, out / KERAS_FILE)
    best.unlink()
    write_litert(out)
    ModelFolder.write_metadata(out, LABELS, settings)
    if cfg.arch == "dscnn_stream":
        from trainer.models.incremental import export_step

        export_step(out)
    write_replay(out, *choose_replay(sources, train_data.plan, noise_bank, settings, cfg.seed))
    write_json_atomic(out / TRAINING_FILE, _training_record(cfg, sources, model, train_data.plan, time.time() - t0))
    return _evaluate_folder(out, sources)


def distribution_strategy(spec: str, tf):
    """None for plain training; a MirroredStrategy over every local GPU ("mirrored") or over N logical CPU devices
    ("cpu:N"); or a MultiWorkerMirroredStrategy from TF_CONFIG ("multiworker": trainer.models.multiworker trains under it,
    as Keras 3's fit does not run there, keras-team/keras#20585)."""
    if not spec:
        return None
    if spec == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if spec.startswith("cpu:"):
        n = int(spec[4:])
        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
        except RuntimeError as exc:  # devices made already (a second run in one process)
            raise TrainError(f"--distribute {spec}: {exc}") from None
        return tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])
    return tf.distribute.MirroredStrategy()


def _describe_epoch(plan, cfg: TrainConfig, teachers) -> str:
    return (f"training: {plan.n_total} clips per epoch ({plan.n_commands} commands"
            + (", the same count of each" if cfg.balance_commands else "") + ", "
            f"{plan.n_unknown} of {len(plan.by_label[UNKNOWN])} unknown, {plan.n_silence} silence)"
            + (f"; targets {1 - cfg.teacher_weight:g} true label, {cfg.teacher_weight:g} the mean of "
               f"{len(teachers.dirs)} teacher(s)" if teachers else ""))


def _fit(cfg: TrainConfig, model, train_data, val_data, out: Path, ckpt: Path) -> None:
    """Train, with a checkpoint after every epoch, the best epoch kept as BEST_FILE and a history row per epoch;
    KeyboardInterrupt after Ctrl-C, the last finished epoch kept for --resume."""
    import keras

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


def _training_record(cfg: TrainConfig, sources: list[Source], model, plan, seconds: float) -> dict:
    """training.json: how the model was trained, with no machine's paths."""
    return {
        "arch": cfg.arch, "width": cfg.width, "epochs": cfg.epochs, "batch_size": cfg.batch_size, "seed": cfg.seed,
        "learning_rate": cfg.learning_rate, "lr_schedule": cfg.lr_schedule, "augment": augment_settings(cfg).to_dict() if cfg.augment else None,
        "unknown_ratio": cfg.unknown_ratio, "silence_ratio": cfg.silence_ratio,
        "balance_commands": cfg.balance_commands,
        "train_speakers": cfg.train_speakers, "exclude_speakers": list(cfg.exclude_speakers), "distribute": cfg.distribute or None,
        "teachers": [_portable(t) for t in cfg.teachers], "teacher_weight": cfg.teacher_weight if cfg.teachers else None,
        "data": [{"root": _portable(s.index.root), "split": s.index.split_source, "clips": len(s.index.clips),
                  "training_speakers": int(s.index.split(TRAIN)["speaker"].nunique()),
                  "unreadable": len(s.feats.errors)} for s in sources],
        "split_rule": cfg.split.to_dict(), "parameters": int(model.count_params()),
        "clips_per_epoch": plan.n_total, "seconds": round(seconds, 1),
        "command": ("python -m trainer " + shlex.join(map(_portable, sys.argv[1:]))
                    if sys.argv and (sys.argv[0].endswith("__main__.py") or sys.argv[0] == "-c") else None),
        "not_shipped": "the data folders and teacher models named here are not part of this model folder",
        "versions": library_versions(),
    }


def _evaluate_folder(out: Path, sources: list[Source]) -> dict:
    """The finished folder's metrics on the validation and test splits (metrics.json) and its pictures."""
    from trainer.evaluation.evaluate import evaluate, format_metrics
    from trainer.evaluation.plots import save_confusion, save_curves
    from trainer.models.keras_model import KerasScorer

    predictor = KerasScorer(out)
    metrics = {"model": str(out)}
    for split in (VALIDATION, TESTING):
        m = evaluate(predictor, sources, eval_set(sources, split, predictor.settings))
        m["split"] = split
        metrics[split] = m
        _log(format_metrics(m, split))
    write_json_atomic(out / METRICS_FILE, metrics)
    save_curves(out / HISTORY_FILE, out / "curves.png")
    save_confusion(metrics[TESTING] if metrics[TESTING]["n"] else metrics[VALIDATION], out / "confusion.png",
                   "test split" if metrics[TESTING]["n"] else "validation split")
    return metrics
