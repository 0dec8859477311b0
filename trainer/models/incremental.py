"""A streaming (incremental) form of a ``dscnn_stream`` model, as google-research's kws_streaming builds them: every
4 new feature frames (40 ms), one new time position of each layer is computed from the layer's last inputs (kept
as state), and the scores are the last 16 positions averaged, then the same dense layer. After frames ``0..4n+3``
its scores are the full model's on frames ``4n-96 .. 4n+2`` (a test checks): the same numbers for a tenth of the
work, since the full model recomputes every position of a 1-s window at each hop.

``python -m trainer export-stream --model DIR`` writes ``DIR/stream_step.tflite`` (kwsapp.engine.incremental runs it).
"""

from __future__ import annotations

from pathlib import Path

from kwsapp.core.files import write_atomic
from kwsapp.core.modelfolder import ModelFolder, ModelFolderError
from kwsapp.engine.incremental import STEP_FILE
from trainer.models.architectures import STREAM_TIME_LAYERS

FRAMES_PER_STEP = 4  # the model's stride in time: one new position of its last layer every 4 frames (40 ms)
# the step's states (the runtime reads them from the file): the last input frames, then each layer's last outputs
STATE_NAMES = ("state_frames", "state_conv", "state_dw1", "state_dw2", "state_dw3", "state_positions")


def step_model(model):
    """The step model of a trained ``dscnn_stream`` model: inputs ``frames`` (4 x bins) and the states, outputs
    ``scores`` and the next states (named ``next_<state>``); the trained layers themselves, shared."""
    import keras
    from keras import layers

    def get(name):
        try:
            return model.get_layer(name)
        except ValueError:
            raise ModelFolderError(f"{model.name}: not a dscnn_stream model (no layer {name!r})") from None

    bins = model.input_shape[-1]
    (conv_name, conv_k, conv_s), *blocks = STREAM_TIME_LAYERS
    n_positions = model.get_layer("mean_over_time").pool_size[0]
    frames = keras.Input((FRAMES_PER_STEP, bins), name="frames")
    inputs, outputs = {"frames": frames}, {}

    def with_state(name, x, keep):
        """``x`` after the state ``name`` (its last ``keep`` rows before), and the next state."""
        state = keras.Input((keep,) + tuple(x.shape[2:]), name=name)
        inputs[name] = state
        joined = layers.Concatenate(axis=1, name=f"{name}_join")([state, x])
        outputs["next_" + name] = joined[:, -keep:]
        return joined

    def apply(x, names):
        for n in names:
            x = get(n)(x)
        return x

    x = with_state(STATE_NAMES[0], frames, conv_k - conv_s)  # 8 frames before the 4 new: 2 new conv positions
    x = apply(x, ["as_image", "bn_in", f"{conv_name}_pad", conv_name, f"{conv_name}_bn", f"{conv_name}_relu"])
    for state_name, (name, k, s) in zip(STATE_NAMES[1:], blocks):
        # a block's window of k rows, its start on the stride's grid: the first (stride 2) keeps 2 rows before its
        # 2 new ones, the others 2 before their 1 new
        x = with_state(state_name, x, k - 1)
        x = apply(x, [f"{name}_pad", name, f"{name}_bn", f"{name}_relu", f"{name}_pw", f"{name}_pw_bn",
                      f"{name}_pw_relu"])
    x = with_state(STATE_NAMES[-1], x, n_positions - 1)
    scores = apply(x, ["mean_over_time", "flatten", "scores"])
    outputs = {"scores": scores, **outputs}
    return keras.Model(inputs, outputs, name="stream_step")


def export_step(model_dir) -> Path:
    """Write ``MODEL_DIR/stream_step.tflite`` from its ``model.keras`` (a ``dscnn_stream`` model)."""
    from kwsapp.engine.litert import quiet_stderr
    from trainer.models.keras_model import load_keras_model

    folder = ModelFolder.open(model_dir)
    step = step_model(load_keras_model(folder.keras_path))
    out = Path(folder.path) / STEP_FILE

    def write(tmp: Path) -> None:
        with quiet_stderr():
            step.export(str(tmp), format="litert", verbose=False)

    write_atomic(out, write, suffix=".tflite")
    return out


def check_step(model_dir, seconds: float = 3.0, seed: int = 0) -> float:
    """Largest difference between the step's scores (``stream_step.tflite``) over a random stream of features and
    the whole model's (``model.keras``) on the same 99 frames (frames ``4k-96 .. 4k+2`` after step ``k``)."""
    import numpy as np

    from kwsapp.engine.incremental import StreamStep
    from trainer.models.keras_model import KerasScorer

    step, whole = StreamStep(model_dir), KerasScorer(model_dir)
    frames, bins = step.settings.shape
    n = int(seconds * 1000 / step.settings.frame_step_ms) // FRAMES_PER_STEP * FRAMES_PER_STEP
    feats = (np.random.default_rng(seed).normal(size=(n, bins)) * 3 - 10).astype(np.float32)
    got = step.push(feats)
    warm = step.warm_up_frames
    padded = np.concatenate([np.full((warm, bins), step.settings.floor, np.float32), feats])
    ends = warm + FRAMES_PER_STEP * np.arange(len(got)) + FRAMES_PER_STEP - 1  # exclusive end of each window
    want = whole.scores(np.stack([padded[e - frames:e] for e in ends]))
    return float(np.abs(got - want).max())
