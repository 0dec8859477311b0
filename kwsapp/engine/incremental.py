"""The incremental kind: scores of a stream, 4 feature frames at a time, by a model folder's ``stream_step.tflite``
(written by ``python -m trainer export-stream`` for a ``dscnn_stream`` model; trainer.models.incremental says how it works).
Qt-free and TensorFlow-free. ``IncrementalSource`` is this kind's part of the Listener."""

from __future__ import annotations

import numpy as np

from ..core.modelfolder import ModelFolder, ModelFolderError

STEP_FILE = "stream_step.tflite"
WARM_UP_FRAMES = 100  # floor-valued frames fed first (in whole steps): a second of silence before the stream


class StreamStep:
    """``push(frames)`` takes new feature frames (any number, oldest first) and returns the scores after every
    ``frames_per_step``-th (one row each, oldest first); frames short of a step wait for the next push. Starts as if
    the stream had been silent (floor-valued frames) before. What a step takes is read from the file itself: its
    ``frames`` input (frames_per_step x bins), and every other input is a state whose next value is the output
    ``next_<name>``."""

    def __init__(self, model_dir):
        from .litert import litert_interpreter

        self.folder = ModelFolder.open(model_dir)
        path = self.folder.path / STEP_FILE
        if not path.is_file():
            raise ModelFolderError(f"{self.folder.path}: no {STEP_FILE} (python -m trainer export-stream writes it)")
        self.labels = self.folder.labels
        self.settings = self.folder.features
        self._it = it = litert_interpreter(path)
        runner = it.get_signature_runner()
        inputs, outputs = runner.get_input_details(), runner.get_output_details()
        states = sorted(n for n in inputs if n != "frames")
        missing = [n for n in ("frames",) if n not in inputs]
        missing += [n for n in ("scores",) + tuple("next_" + s for s in states) if n not in outputs]
        if missing or not states:
            raise ModelFolderError(f"{path}: not a stream step (no {missing[0] if missing else 'state'})")
        self.frames_per_step = int(inputs["frames"]["shape"][1])
        del runner  # the tensors by index: a call of the signature runner costs more than the step itself
        # the interpreter's own buffers, as functions that give a view (a view must not be held across invoke)
        self._frames_in, self._scores_out = it.tensor(inputs["frames"]["index"]), it.tensor(outputs["scores"]["index"])
        self._state_io = [(it.tensor(inputs[n]["index"]), it.tensor(outputs["next_" + n]["index"])) for n in states]
        for state_in, _ in self._state_io:
            state_in()[...] = 0
        self._pending = np.empty((0, self.settings.shape[1]), np.float32)
        self.step_ms = self.frames_per_step * self.settings.frame_step_ms  # one result this often
        self.steps = 0
        # a second of silence first, in whole steps: the k-th step after it ends (k + 1) * frames_per_step - 1 frames
        # into the stream
        self.warm_up_frames = -(-WARM_UP_FRAMES // self.frames_per_step) * self.frames_per_step
        self.push(np.full((self.warm_up_frames, self.settings.shape[1]), self.settings.floor, np.float32))
        self.steps = 0

    def push(self, frames: np.ndarray) -> np.ndarray:
        frames = np.concatenate([self._pending, np.asarray(frames, np.float32)])
        k = self.frames_per_step
        n = len(frames) // k
        out = np.empty((n, len(self.labels)), np.float32)
        it = self._it
        for i in range(n):
            self._frames_in()[0] = frames[i * k:(i + 1) * k]
            it.invoke()
            for state_in, state_out in self._state_io:
                np.copyto(state_in(), state_out())
            out[i] = self._scores_out()[0]
        self._pending = frames[n * k:]
        self.steps += n
        return out


class IncrementalSource:
    """The live path of a stream step: audio at ``input_rate_hz`` in, in pieces of any size up to a second ->
    only the feature frames that became complete (kwsapp.core.scrolling, polyphase resampling) -> ``StreamStep``.
    ``feed`` returns (times_ms, scores) of the steps it completed; a step's time is the end of its last frame, in ms
    from the start of what was fed."""

    def __init__(self, step: StreamStep, input_rate_hz: int):
        from ..core.ringbuffer import AudioRingBuffer
        from ..core.scrolling import ScrollingSpectrogram

        self.step = step
        self.labels = step.labels
        self.step_ms = step.step_ms
        self.buffer = AudioRingBuffer(3 * int(input_rate_hz), int(input_rate_hz))
        self.spectrogram = ScrollingSpectrogram(step.settings, 1.0, int(input_rate_hz))
        s = step.settings
        self._frame_ms = s.frame_step_ms
        self._frame_end_ms = s.window_ms

    def feed(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        samples = np.asarray(samples, np.float32)
        first = self.step.steps
        piece = self.buffer.sample_rate_hz // 2  # the picture holds a second of frames: never more at once
        scores = [self._feed(samples[a:a + piece]) for a in range(0, len(samples), piece)]
        scores = np.concatenate(scores) if scores else np.empty((0, len(self.step.labels)), np.float32)
        k = np.arange(first, first + len(scores))
        f = self.step.frames_per_step
        return (f * k + f - 1) * self._frame_ms + self._frame_end_ms, scores

    def _feed(self, samples: np.ndarray) -> np.ndarray:
        self.buffer.write(samples)
        n = self.spectrogram.update(self.buffer)
        return self.step.push(self.spectrogram.columns[len(self.spectrogram.columns) - n:] if n else
                              np.empty((0, self.step.settings.shape[1]), np.float32))
