"""Fine-tune a model on one user's own takes, and add words of their own.

    python -m trainer personalize --model DIR --examples DIR [--room WAV] [--epochs N] --out DIR [--json FILE]

EXAMPLES holds ``<label>/*.wav`` takes; a label the model does not have becomes one more output. A user's machine
has none of the training data, so what the model knew is kept by its own outputs: every target is part the take's
label and part the old model's scores for the same (augmented) input, and 1-s windows of the room (or of made noise)
and of the model's replay set (``replay.npz``, a sample of its training features) are taught as the old model heard
them (a new word's takes are taught as that word alone). The batch-normalisation statistics stay as trained. Part of the takes
(every third of a label with three or more) is held back and scored before and after, with the room's false alarms
per hour when a room recording is given. The new folder has ``model.tflite``, so the app and ``predict`` use it as
any other; the old folder is never touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from kwsapp.core.audio import WavFile
from kwsapp.core.decisions import DEFAULT_HOP_MS
from kwsapp.core.examples import read_takes
from kwsapp.core.features import features_from_wave
from kwsapp.core.labels import SILENCE, UNKNOWN
from kwsapp.core.modelfolder import INCOMPLETE_FILE, KERAS_FILE, REPLAY_FILE, TRAINING_FILE, VERIFIER_FILE, ModelFolder, write_json_atomic
from kwsapp.core.words import word_window
from trainer.data.augment import AugmentSettings, augment_batch
from trainer.models.replay_set import read_replay

# the take's own label's share of its target, the old model's scores having the rest (a word of the user's own: all of
# it, the old model knows nothing of it). Chosen with bench/bench_personalize.py (docs/experiments.md), with the rate.
LABEL_WEIGHT = 0.8
TAKE_SHARE = 0.0         # take windows an epoch, as a share of the replay windows (0: each take once)
HOLD_BACK_EVERY = 3      # every third take of a label with at least this many is held back for before / after
LEARNING_RATE = 1e-4
BATCH = 32
AUGMENT = AugmentSettings(max_shift_frames=15, noise_probability=0.8, snr_db_range=(5.0, 30.0),
                          gain_db_range=(-6.0, 6.0))


class PersonalizeError(Exception):
    pass


def take_features(examples, settings) -> tuple[dict[str, list[np.ndarray]], list[str]]:
    """Features of every take (the second around its word), by label; and the takes that could not be read."""
    root = Path(examples)
    if not root.is_dir():
        raise PersonalizeError(f"{root}: not a folder of <label>/*.wav takes")
    waves, skipped = read_takes(root)
    takes = {label: [features_from_wave(word_window(x, rate), rate, settings) for rate, x in recs]
             for label, recs in waves.items()}
    if not takes:
        raise PersonalizeError(f"{root}: no readable takes in <label>/*.wav")
    return takes, skipped


def split_takes(takes: dict[str, list[np.ndarray]]):
    """(train, held back): lists of (features, label); every third take of a label with three or more is held back."""
    train, held = [], []
    for label, feats in takes.items():
        for i, f in enumerate(feats):
            (held if len(feats) >= HOLD_BACK_EVERY and i % HOLD_BACK_EVERY == HOLD_BACK_EVERY - 1 else train).append((f, label))
    return train, held


def room_windows(room_wav, settings, count: int, rng) -> np.ndarray:
    """``count`` 1-s windows of the room as features; without a room, made noise at a few levels."""
    if room_wav:
        rec = WavFile(room_wav)
        n = rec.sample_rate_hz
        starts = rng.integers(0, max(1, rec.n_frames - n), size=count)
        return np.stack([features_from_wave(rec.read(int(s), int(s) + n), rec.sample_rate_hz, settings) for s in starts])
    levels = 10 ** (rng.uniform(-70, -30, size=count) / 20)
    return np.stack([features_from_wave(rng.normal(0, lv, 16000).astype(np.float32), 16000, settings) for lv in levels])


def extend_outputs(model, n_new: int, keras):
    """The same network with ``n_new`` more outputs: the old ones keep their weights, the new ones start near
    silent (their bias below every old one)."""
    if n_new == 0:
        return model
    old = model.get_layer("scores")
    kernel, bias = old.get_weights()
    rng = np.random.default_rng(0)
    new = keras.layers.Dense(kernel.shape[1] + n_new, activation="softmax", name="scores")
    out = new(old.input)
    extended = keras.Model(model.input, out)
    new.set_weights([np.concatenate([kernel, rng.normal(0, 0.01, (kernel.shape[0], n_new)).astype(kernel.dtype)], 1),
                     np.concatenate([bias, np.full(n_new, bias.min() - 1.0, bias.dtype)])])
    return extended


def fine_tune(model, train_takes, labels, new_words, room, old_scores, epochs: int, rng, settings,
              replay: np.ndarray | None = None, label_weight: float = LABEL_WEIGHT, take_share: float = TAKE_SHARE) -> None:
    """Each epoch: every training take, augmented afresh (shifts, gain, the room's noise), its target part its label
    and part the old model's scores (a new word: all label), plus room windows and every replay window (the model's
    own training sample, when its folder has one), both augmented too and taught as the old model hears them."""
    x_takes = np.stack([f for f, _ in train_takes])
    y_takes = np.eye(len(labels), dtype=np.float32)[[labels.index(lab) for _, lab in train_takes]]
    w_takes = np.array([1.0 if lab in new_words else label_weight for _, lab in train_takes], np.float32)[:, None]
    # each take is seen this often an epoch, augmented afresh each time: at least a batch's worth of takes, and
    # ``take_share`` of the replay's count
    n_replay = 0 if replay is None else len(replay)
    reps = max(1, BATCH // max(len(x_takes), 1), int(round(take_share * n_replay / max(len(x_takes), 1))))
    progress = EpochProgress(epochs)
    for _ in range(epochs):
        x = augment_batch(np.repeat(x_takes, reps, axis=0), room, rng, AUGMENT, settings.floor, settings.log_eps)
        w = np.repeat(w_takes, reps, axis=0)
        y = w * np.repeat(y_takes, reps, axis=0) + (1 - w) * old_scores(x)
        r = room[rng.integers(len(room), size=max(4, len(x) // 4))]
        x, y = np.concatenate([x, r]), np.concatenate([y, old_scores(r)])
        if replay is not None and len(replay):  # every window, every epoch
            # augmented as the takes are, or noise itself would come to mean the user's words (a new word learnt
            # from clean replay and noisy takes was announced on other words in noise: docs/experiments.md)
            xr = augment_batch(replay, room, rng, AUGMENT, settings.floor, settings.log_eps)
            x, y = np.concatenate([x, xr]), np.concatenate([y, old_scores(xr)])
        order = rng.permutation(len(x))
        model.fit(x[order], y[order], batch_size=BATCH, epochs=1, verbose=0)
        progress.epoch_done()


class EpochProgress:
    """One line per epoch on standard output, "fine-tune epoch 3/30, 12 s left", which the Fine-tune dialog shows."""

    def __init__(self, epochs: int):
        self.epochs, self.done, self.t0 = epochs, 0, time.time()

    def epoch_done(self) -> None:
        self.done += 1
        left = (time.time() - self.t0) / self.done * (self.epochs - self.done)
        print(f"fine-tune epoch {self.done}/{self.epochs}, {left:.0f} s left", flush=True)


def say_before(before: float | None) -> None:
    """The held-back takes' accuracy before the fine-tune, as soon as it is known."""
    if before is not None:
        print(f"held-back takes before: {before:.0%}", flush=True)


def figures_text(d: dict) -> str:
    """``before`` or ``after`` of a personalize result in words: the held-back takes' accuracy, the room's false alarms."""
    acc = "-" if d.get("accuracy") is None else f"{d['accuracy']:.0%}"
    fa = d.get("false_alarms_per_hour")
    return acc + ("" if fa is None else f", {fa:.1f} false alarms per hour in the room")


def held_back_accuracy(score_fn, held, labels) -> float | None:
    if not held:
        return None
    x = np.stack([f for f, _ in held])
    pred = np.asarray(score_fn(x)).argmax(axis=1)
    return float(np.mean([labels[p] == lab for p, (_, lab) in zip(pred, held)]))


def room_false_alarms(model_dir, room_wav, hop_ms: float = DEFAULT_HOP_MS) -> float:
    from trainer.recordings.replay import listen, listener_for

    rec = WavFile(room_wav)
    hops = listen(listener_for(model_dir, rec.sample_rate_hz, hop_ms), rec)
    return sum(h.announced for h in hops) / (rec.seconds / 3600)


def personalize(model_dir, examples, out_dir, room_wav=None, epochs: int = 30, seed: int = 0,
                hold_back: bool = True, label_weight: float | None = None, take_share: float = TAKE_SHARE,
                learning_rate: float = LEARNING_RATE, force: bool = False, head_layers: str | None = None) -> dict:
    """Fine-tune (see the module's text); ``hold_back=False`` trains on every take (a benchmark scores its own);
    ``label_weight``, ``take_share``, ``learning_rate`` and (a head on the speech embedding) ``head_layers``: the
    recipe's settings (bench/bench_personalize.py tries others)."""
    t0 = time.time()
    out_dir = Path(out_dir)
    src = ModelFolder.open(model_dir)
    if out_dir.resolve() == src.path.resolve():
        raise PersonalizeError(f"{out_dir}: the new model needs a folder of its own (the old one is kept as it is)")
    if not src.keras_path.is_file():
        raise PersonalizeError(f"{src.path}: no {KERAS_FILE} to fine-tune")
    work = _start_output(out_dir, force)
    try:
        if src.kind == "speech_embedding":  # only the head learns (trainer.models.personalize_embedding)
            from trainer.models.personalize_embedding import LABEL_WEIGHT as HEAD_LABEL_WEIGHT
            from trainer.models.personalize_embedding import LAYERS, personalize_embedding

            result = personalize_embedding(src, examples, work, room_wav, epochs, seed, hold_back,
                                           HEAD_LABEL_WEIGHT if label_weight is None else label_weight, t0,
                                           head_layers or LAYERS, take_share)
        else:
            result = _personalize(src, examples, out_dir, work, room_wav, epochs, seed, hold_back,
                                  LABEL_WEIGHT if label_weight is None else label_weight,
                                  take_share, learning_rate, t0)
        _finish_output(work, out_dir)
    except OSError as exc:  # a full disk: the file that could not be written, and nothing left where models are looked for
        shutil.rmtree(work, ignore_errors=True)
        # the file being written (a copy names its source first, its target second)
        names = [Path(n) for n in (getattr(exc, "filename2", None), exc.filename) if n]
        inside = [n for n in names if n == work or work in n.parents]
        where = out_dir / inside[0].relative_to(work) if inside else out_dir
        raise PersonalizeError(f"{where}: cannot write it ({exc.strerror or exc}); {out_dir} was not made") from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return result


def _start_output(out_dir: Path, force: bool) -> Path:
    """The folder the new model is written in: beside ``out_dir``, hidden, renamed into place when complete. An
    ``out_dir`` that holds a model is refused unless ``force``; one that cannot be written is refused before any
    training."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise PersonalizeError(f"{out_dir}: not a folder")
        if any(out_dir.iterdir()) and not force:
            raise PersonalizeError(f"{out_dir}: already holds files (another model?); choose a new folder, or "
                                   f"--force to replace it")
    parent = out_dir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=parent))
        (work / INCOMPLETE_FILE).write_text("an unfinished fine-tune (trainer personalize); delete this folder\n")
    except OSError as exc:
        raise PersonalizeError(f"{parent}: cannot write the new model there ({exc.strerror or exc})") from None
    return work


def _finish_output(work: Path, out_dir: Path) -> None:
    """Rename the complete folder into place (a replaced one goes only once the new one is whole)."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.replaced-{os.getpid()}")
        os.replace(out_dir, old)
    os.replace(work, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _personalize(src, examples, out_dir: Path, work: Path, room_wav, epochs, seed, hold_back, label_weight,
                 take_share, learning_rate, t0) -> dict:
    settings = src.features
    takes, skipped = take_features(examples, settings)
    old_labels = list(src.labels)
    new_words = sorted(lab for lab in takes if lab not in old_labels and lab not in (SILENCE, UNKNOWN))
    labels = old_labels + new_words
    train_takes, held = split_takes(takes) if hold_back else ([(f, lab) for lab, fs in takes.items() for f in fs], [])
    rng = np.random.default_rng(seed)

    from trainer.models.keras_model import KerasScorer, load_keras_model
    from trainer.models.tf_setup import import_tensorflow

    import_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    old = KerasScorer(src.path)

    def old_scores(x):  # the old model's view, with nothing on the new words
        s = old.scores(x)
        return np.concatenate([s, np.zeros((len(s), len(new_words)), np.float32)], axis=1)

    before = held_back_accuracy(old_scores, held, labels)
    say_before(before)
    model = extend_outputs(load_keras_model(src.keras_path), len(new_words), keras)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False  # a few takes must not move the statistics of all the training data
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=keras.losses.CategoricalCrossentropy())
    fine_tune(model, train_takes, labels, new_words, room_windows(room_wav, settings, 200, rng), old_scores, epochs,
              rng, settings, read_replay(src.path), label_weight, take_share)
    from trainer.models.train import save_inference_model, write_litert

    tmp = work / ".personalize.keras"
    keras.saving.save_model(model, tmp)
    save_inference_model(tmp, work / KERAS_FILE)
    tmp.unlink()
    ModelFolder.write_metadata(work, labels, settings)
    write_litert(work)
    if (src.path / REPLAY_FILE).is_file():  # the next fine-tune of the new model replays the same
        shutil.copy2(src.path / REPLAY_FILE, work / REPLAY_FILE)
    verifier = src.verifier()
    if verifier is not None:  # the old model's verifier checks the new one's announcements (a new word it lets pass)
        shutil.copytree(verifier[0].path, work / verifier[0].path.name, dirs_exist_ok=True)
        shutil.copy2(src.path / VERIFIER_FILE, work / VERIFIER_FILE)
    (work / INCOMPLETE_FILE).unlink()  # every file of the model is there: what follows only measures it
    new = KerasScorer(work)
    after = held_back_accuracy(new.scores, held, labels)
    result = {"labels": labels, "new_words": new_words, "takes": {k: len(v) for k, v in takes.items()},
              "held_back": len(held), "before": {"accuracy": before}, "after": {"accuracy": after},
              "epochs": epochs, "seconds": None, "skipped": skipped}
    if room_wav:
        result["before"]["false_alarms_per_hour"] = room_false_alarms(src.path, room_wav)
        result["after"]["false_alarms_per_hour"] = room_false_alarms(work, room_wav)
    result["seconds"] = round(time.time() - t0, 1)
    write_json_atomic(work / TRAINING_FILE, {"personalized_from": src.path.name, "examples": Path(examples).name,
                                                "not_shipped": "the model and takes named here are not in this folder",
                                                **{k: v for k, v in result.items() if k != "skipped"}})
    return result
