"""Streaming decisions: from per-hop class scores to announced commands.

Like TensorFlow's ``RecognizeCommands`` (tensorflow/examples/speech_commands/recognize_commands.py):
the scores of the last ``average_window_ms`` are averaged; the best class is announced when its
average reaches ``threshold``, its score at this hop alone reaches ``peak_threshold`` (a word heard well in one
window, not a run of middling ones), it is a command (never ``silence`` or ``unknown``), and either it
differs from the last announced label or ``refractory_ms`` have passed since that announcement.
Everything is driven by the time stamps passed in, so it is tested on scripted sequences.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, fields

import numpy as np

from .labels import SILENCE, UNKNOWN

# How often the last 1 s is classified, in the app and in stream-eval / stream-sweep. The decision settings
# below were chosen for this hop. 100 ms gives a word about 5 looks while it lies whole in the window (250 ms gave
# 1-2; 50 ms measured no better than 100), at under 1 % of a core.
DEFAULT_HOP_MS = 100.0
HOP_MS_RANGE = (20.0, 1000.0)  # what the app, its panel and its remembered settings accept


@dataclass(frozen=True)
class DecisionSettings:
    # Chosen by `python -m trainer stream-sweep` for the bundled model (the app's: assets/embedding_model, with its
    # verifier; its stream_sweep_validation.json) on a 30-min validation stream of held-out speakers of both the sample
    # and the gathered recordings at 10 dB SNR (docs/evaluation.md), not by hand: the most correct within 3 % wrong
    # and 6 false alarms per hour. (assets/default_model, the spectrogram model, keeps its own choice in its folder.)
    average_window_ms: float = 250.0
    threshold: float = 0.75
    refractory_ms: float = 1500.0
    minimum_count: int = 2  # at least this many results in the window before deciding
    peak_threshold: float = 0.8  # the label's score at the deciding hop must reach this too (0: no such check)
    # thresholds of their own for some commands, "yes=0.8,no=0.7" (`trainer calibrate` chooses them for a room);
    # the others use `threshold`
    command_thresholds: str = ""


def threshold_grid(step: float = 0.05, lowest: float = 0.3, highest: float = 0.95) -> list[float]:
    """The thresholds tried when one is chosen (stream-sweep: every 0.05; calibrate: every 0.01), rounded to 2 places."""
    n = int(round((highest - lowest) / step))
    return [round(lowest + i * step, 2) for i in range(n + 1)]


def parse_command_thresholds(text: str) -> dict[str, float]:
    """``"yes=0.8,no=0.7"`` -> {"yes": 0.8, "no": 0.7}; a ValueError says what is wrong."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in str(text).split(","))):
        label, sep, value = part.partition("=")
        try:
            th = float(value)
        except ValueError:
            th = None
        if not sep or not label.strip() or th is None or not 0.0 <= th <= 1.0:
            raise ValueError(f"{part!r} is not LABEL=THRESHOLD with a threshold from 0 to 1")
        out[label.strip()] = th
    return out


def format_command_thresholds(thresholds: dict[str, float]) -> str:
    return ",".join(f"{label}={th:g}" for label, th in thresholds.items())


def decision_text(value) -> str:
    """A decision setting as a command-line value."""
    return value if isinstance(value, str) else f"{value:g}"


def decision_flag(name: str) -> str:
    """The command-line flag of a decision setting (``stream-eval --minimum-count`` for ``minimum_count``)."""
    return "--" + name.replace("_", "-")


def decision_args(settings: DecisionSettings) -> list[str]:
    """The settings as ``stream-eval`` / ``stream-sweep`` flags: every field, so none is left behind."""
    return [a for f in fields(DecisionSettings) for a in (decision_flag(f.name), decision_text(getattr(settings, f.name)))]


# the values each decision setting may take (the panel's ranges; a remembered value outside them is not used)
DECISION_RANGES = {"average_window_ms": (0.0, 3000.0), "threshold": (0.0, 1.0), "refractory_ms": (0.0, 5000.0),
                   "minimum_count": (1, 20), "peak_threshold": (0.0, 1.0)}


@dataclass(frozen=True)
class Decision:
    time_ms: float
    label: str            # the best label of the averaged scores (may be silence / unknown)
    score: float          # its averaged score
    is_new_command: bool  # announce it
    scores: np.ndarray    # averaged scores of every class
    # why the best label was not announced: "" (it was), "few_results", "not_command", "threshold", "peak",
    # "refractory" (the first rule it failed, in this order)
    held: str = ""


class RecognizeCommands:
    NOT_ANNOUNCED = (SILENCE, UNKNOWN)

    def __init__(self, labels, settings: DecisionSettings = DecisionSettings()):
        self.labels = tuple(labels)
        self.settings = settings
        self._thresholds = parse_command_thresholds(settings.command_thresholds)
        self._results: deque[tuple[float, np.ndarray]] = deque()
        self._last_label = SILENCE
        self._last_time_ms = -np.inf

    def reset(self) -> None:
        self._results.clear()
        self._last_label = SILENCE
        self._last_time_ms = -np.inf

    @property
    def results_in_window(self) -> int:
        return len(self._results)

    def process(self, scores, time_ms: float) -> Decision:
        scores = np.asarray(scores, dtype=np.float32)
        if scores.shape != (len(self.labels),):
            raise ValueError(f"expected {len(self.labels)} scores, got shape {scores.shape}")
        if self._results and time_ms < self._results[-1][0]:
            raise ValueError(f"time went backwards: {time_ms} ms after {self._results[-1][0]} ms")
        s = self.settings
        self._results.append((time_ms, scores))
        while self._results and self._results[0][0] < time_ms - s.average_window_ms:
            self._results.popleft()
        avg = np.mean([r for _, r in self._results], axis=0)
        best = int(np.argmax(avg))
        label, score = self.labels[best], float(avg[best])
        if len(self._results) < s.minimum_count:
            return Decision(time_ms, label, score, False, avg, "few_results")
        since_last = time_ms - self._last_time_ms
        held = ("not_command" if label in self.NOT_ANNOUNCED
                else "threshold" if score < self._thresholds.get(label, s.threshold)
                else "peak" if scores[best] < s.peak_threshold
                else "refractory" if label == self._last_label and since_last <= s.refractory_ms
                else "")
        is_new = not held
        if is_new:
            self._last_label = label
            self._last_time_ms = time_ms
        elif label in self.NOT_ANNOUNCED and score >= s.threshold:
            # hearing silence or another word between two commands lets the same command be said again
            self._last_label = label
        return Decision(time_ms, label, score, is_new, avg, held)
