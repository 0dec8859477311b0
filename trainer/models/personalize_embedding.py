"""Fine-tuning a model of the speech-embedding kind on one user's takes: the pretrained front-end stays as it is and
only the small head learns, so a fine-tune is seconds of dense math on embeddings computed once.

Each take (the second around its word) is embedded centred in 1.5 s of silence, and a few more times shifted, at
another gain and over the room's noise (or made noise); the replay set the training left in the folder
(``replay_embeddings.npz``: embeddings of training windows of every class) is taught as the old head scores it, so
the rest of the world is kept. Targets, held-back takes and the before / after are as for the spectrogram models
(trainer.models.personalize, which calls this for such a folder)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from kwsapp.core.audio import WavFile
from kwsapp.core.examples import read_takes
from kwsapp.core.labels import SILENCE, UNKNOWN
from kwsapp.core.modelfolder import LABELS_FILE, TRAINING_FILE, VERIFIER_FILE, write_json_atomic
from kwsapp.core.words import word_window

REPLAY_EMBEDDINGS_FILE = "replay_embeddings.npz"
COPIES = 6            # each take: centred, and this many - 1 augmented versions
LEARNING_RATE = 1e-3
BATCH = 64
REPLAY_PER_LABEL = 60
REPLAY_UNKNOWN = 60     # other words' windows in it (they keep a new word's label from spreading)
# a take's label's share of its target (the rest: the old head's scores); the head, unlike the spectrogram models
# (trainer.models.personalize.LABEL_WEIGHT), does best trusting the takes fully (docs/experiments.md, bench_personalize)
LABEL_WEIGHT = 1.0
# what learns: "dense" (the layers after the pooling, on pooled features computed once) or "all" (the whole head)
LAYERS = "all"


def write_replay(folder: Path, x: np.ndarray, y: np.ndarray) -> None:
    """The replay set of a head: (n, windows, 96) embeddings and their label indices, without pickle."""
    from kwsapp.core.files import write_atomic

    write_atomic(folder / REPLAY_EMBEDDINGS_FILE,
                 lambda p: np.savez(open(p, "wb"), x=x.astype(np.float16), y=y.astype(np.int64)))


def read_replay(folder: Path):
    p = Path(folder) / REPLAY_EMBEDDINGS_FILE
    if not p.is_file():
        return None
    with np.load(p, allow_pickle=False) as d:
        return d["x"].astype(np.float32), d["y"]


def _buffers(clip: np.ndarray, room: np.ndarray | None, rng, copies: int) -> np.ndarray:
    """The 1.5-s buffers a take is heard in: centred first (as a clip alone is heard), then shifted as in training,
    at another gain, over the room's noise (or made noise) at 5-30 dB below the gained word."""
    from kwsapp.engine.embedding import CLIP_BUFFER, clip_buffer
    from kwsapp.engine.speech_embedding import RATE_HZ

    out = [clip_buffer(clip)]
    clip_rms = float(np.sqrt(np.mean(np.square(clip[:RATE_HZ])))) + 1e-9
    for _ in range(copies - 1):
        gain = 10 ** (rng.uniform(-6, 6) / 20)
        buf = clip_buffer(clip, int(rng.integers(0, CLIP_BUFFER - RATE_HZ + 1))) * gain
        level = clip_rms * gain
        snr = 10 ** (rng.uniform(5, 30) / 20)
        if room is not None and room.size > CLIP_BUFFER:
            s = int(rng.integers(0, room.size - CLIP_BUFFER))
            bed = room[s:s + CLIP_BUFFER]
            bed = bed / (float(np.sqrt(np.mean(np.square(bed)))) + 1e-9)
        else:
            bed = rng.normal(0, 1, CLIP_BUFFER).astype(np.float32)
        out.append(buf + bed * level / snr)
    return np.clip(np.stack(out), -1, 1)


def take_embeddings(model, examples, room_wav, rng, copies: int = COPIES):
    """{label: [(copies, windows, 96) per take]} and the takes left out (one line each)."""
    from kwsapp.engine.speech_embedding import to_band

    waves, skipped = read_takes(Path(examples))
    band = model.frontend_settings.band_rate_hz
    room = None
    if room_wav:
        rec = WavFile(room_wav)
        room = to_band(rec.read(0, min(rec.n_frames, 120 * rec.sample_rate_hz)), rec.sample_rate_hz, band)
    takes = {}
    for label, recs in waves.items():
        for rate, x in recs:
            clip = to_band(word_window(x, rate), rate, band)
            takes.setdefault(label, []).append(
                model.frontend.embed_waves(_buffers(clip, room, rng, copies))[:, -model.windows:])
    return takes, skipped


def learning_part(head, x: np.ndarray, layers: str, keras):
    """(the model that learns, its inputs): ``layers="all"``, the whole head on the embeddings; ``"dense"``, only the
    layers after the pooling, on the pooled features computed once (the convolutions kept as they are). The model
    shares its layers with ``head``, so what it learns is in ``head``."""
    if layers == "all":
        return head, x
    if layers != "dense":
        raise ValueError(f"{layers!r}: all or dense")
    names = [layer.name for layer in head.layers]
    pool = next(i for i, layer in enumerate(head.layers) if "pooling" in layer.name)
    pooled = keras.Model(head.input, head.layers[pool].output)
    from trainer.models.embedding_head import head_scores

    z = inp = keras.Input(pooled.output_shape[1:])
    for name in names[pool + 1:]:
        z = head.get_layer(name)(z)
    return keras.Model(inp, z), head_scores(pooled, x)


def personalize_embedding(src, examples, work: Path, room_wav, epochs: int, seed: int, hold_back: bool,
                          label_weight: float, t0: float, layers: str = LAYERS, take_share: float = 0.0) -> dict:
    """The fine-tune of a speech-embedding folder ``src`` into ``work`` (trainer.models.personalize makes it and renames it
    into place)."""
    import threading
    import time

    from kwsapp.engine.embedding import EmbeddingModel
    from trainer.models.personalize import (
        EpochProgress,
        PersonalizeError,
        extend_outputs,
        room_false_alarms,
        say_before,
        split_takes,
    )
    from trainer.models.tf_setup import import_tensorflow

    # TensorFlow loads on the other core while the takes are embedded (LiteRT)
    loading = threading.Thread(target=import_tensorflow, name="import tensorflow", daemon=True)
    loading.start()
    try:
        model = EmbeddingModel(src.path)
        rng = np.random.default_rng(seed)
        takes, skipped = take_embeddings(model, examples, room_wav, rng)
    finally:  # the import points standard error away while it runs: an error is said only after it
        loading.join()
    if not takes:
        raise PersonalizeError(f"{examples}: no usable takes in <label>/*.wav")
    replay = read_replay(src.path)
    if replay is None:
        raise PersonalizeError(f"{src.path}: no {REPLAY_EMBEDDINGS_FILE} to keep what the model knew")
    old_labels = list(src.labels)
    new_words = sorted(lab for lab in takes if lab not in old_labels and lab not in (SILENCE, UNKNOWN))
    labels = old_labels + new_words
    train, held = split_takes(takes) if hold_back else ([(e, lab) for lab, es in takes.items() for e in es], [])

    from trainer.models.embedding_head import head_scores
    from trainer.models.keras_model import export_litert, load_keras_model

    import_tensorflow()  # loaded by now (a failure in the thread is raised here)
    import keras

    keras.utils.set_random_seed(seed)
    old = load_keras_model(src.keras_path)

    def old_scores(x):
        s = head_scores(old, x)
        return np.concatenate([s, np.zeros((len(s), len(new_words)), np.float32)], axis=1)

    def accuracy(predict) -> float | None:
        if not held:
            return None
        x = np.stack([e[0] for e, _ in held])  # each held take as heard centred
        return float(np.mean([labels[p] == lab for p, (_, lab) in zip(predict(x).argmax(1), held)]))

    before = accuracy(old_scores)
    say_before(before)
    head = extend_outputs(load_keras_model(src.keras_path), len(new_words), keras)
    xt = np.concatenate([e for e, _ in train])  # every copy of every training take
    lab_t = [lab for e, lab in train for _ in range(len(e))]
    onehot = np.eye(len(labels), dtype=np.float32)[[labels.index(lab) for lab in lab_t]]
    w = np.array([1.0 if lab in new_words else label_weight for lab in lab_t], np.float32)[:, None]
    yt = w * onehot + (1 - w) * old_scores(xt)
    xr, _ = replay
    yr = old_scores(xr)
    reps = max(1, int(round(take_share * len(xr) / max(len(xt), 1))))  # each take window this often an epoch
    xt, yt = np.repeat(xt, reps, axis=0), np.repeat(yt, reps, axis=0)
    x, y = np.concatenate([xt, xr]), np.concatenate([yt, yr])
    progress = EpochProgress(epochs)

    class Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            progress.epoch_done()

    learner, x = learning_part(head, x, layers, keras)
    learner.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss=keras.losses.CategoricalCrossentropy())
    learner.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True, callbacks=[Progress()])
    after = accuracy(lambda x: head_scores(head, x))

    for name in ("frontend",):
        shutil.copytree(src.path / name, work / name)
    for name in ("frontend.json", REPLAY_EMBEDDINGS_FILE):
        shutil.copy2(src.path / name, work / name)
    keras.saving.save_model(head, work / "model.keras")
    export_litert(work / "model.keras", work / "model.tflite")
    write_json_atomic(work / LABELS_FILE, labels)
    verifier = src.verifier()
    if verifier is not None:
        shutil.copytree(verifier[0].path, work / verifier[0].path.name, dirs_exist_ok=True)
        shutil.copy2(src.path / VERIFIER_FILE, work / VERIFIER_FILE)
    from kwsapp.core.modelfolder import INCOMPLETE_FILE

    (work / INCOMPLETE_FILE).unlink()
    result = {"labels": labels, "new_words": new_words, "takes": {k: len(v) for k, v in takes.items()},
              "held_back": len(held), "before": {"accuracy": before}, "after": {"accuracy": after},
              "epochs": epochs, "seconds": None, "skipped": skipped, "kind": "speech_embedding"}
    if room_wav:
        result["before"]["false_alarms_per_hour"] = room_false_alarms(src.path, room_wav)
        result["after"]["false_alarms_per_hour"] = room_false_alarms(work, room_wav)
    result["seconds"] = round(time.time() - t0, 1)
    write_json_atomic(work / TRAINING_FILE, {"personalized_from": src.path.name, "examples": Path(examples).name,
                                             **{k: v for k, v in result.items() if k != "skipped"}})
    return result
