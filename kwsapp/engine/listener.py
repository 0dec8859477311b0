"""One path from samples to announcements, for the app and for every command that replays a recording.

``Listener.feed(samples)`` takes audio at the input's rate, in pieces of any size, and returns a :class:`Hop` for
every result the model gave meanwhile: its raw scores, the decision (kwsapp.core.decisions), the verifier's word when
it was asked, and whether the hop announces. The caller hands audio; the Listener keeps its own buffers (openWakeWord's
``Model.predict(chunk)`` is the model of this). The model's kind decides how audio becomes scores (kwsapp.engine.kinds);
everything after the scores is written once, here."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..core.audio import fix_length, samples
from ..core.decisions import DEFAULT_HOP_MS, Decision, DecisionSettings, RecognizeCommands


@dataclass(frozen=True)
class Hop:
    time_ms: float             # the end of the audio the scores are of, from the first sample fed
    scores: np.ndarray         # the model's raw scores, in label order
    decision: Decision         # after averaging and the rules (is_new_command: what the decision class said)
    announced: bool            # announce it (the verifier, when asked, agreed)
    verified: float | None     # the verifier's score for the label, when it was asked
    compute_ms: float          # this hop's share of the time feed() took
    verifier_scores: np.ndarray | None = None  # every hop's, when the Listener was asked for them (sweeps)


class Gate:
    """The decision class and the verifier after it: ``decide(time_ms, scores, verifier_scores_fn)``. An
    announcement the verifier refuses leaves the decision class's state as it is (its refractory time runs)."""

    def __init__(self, labels, settings: DecisionSettings, verifier=None):
        self.labels = tuple(labels)
        self.commands = RecognizeCommands(self.labels, settings)
        self.verifier = verifier

    def decide(self, time_ms: float, scores, verifier_scores) -> tuple[Decision, bool, float | None]:
        """``verifier_scores``: a function giving the verifier's scores of this hop (asked only on announcements)."""
        d = self.commands.process(scores, time_ms)
        if not d.is_new_command or self.verifier is None:
            return d, d.is_new_command, None
        j = self.verifier.index.get(d.label)
        checked = None if j is None else float(verifier_scores()[j])
        return d, self.verifier.keeps(checked), checked


class Listener:
    """Audio in, announcements out. ``source``: the model kind's part (kwsapp.engine.kinds.open_source), which turns
    audio into (times_ms, scores); ``verifier``: kwsapp.engine.window.Verifier or None."""

    def __init__(self, source, input_rate_hz: int, decisions: DecisionSettings = DecisionSettings(), verifier=None,
                 verify_every_hop: bool = False):
        self.source = source
        self.labels = tuple(source.labels)
        self.rate = int(input_rate_hz)
        self.step_ms = source.step_ms
        self.verifier = verifier
        self.verify_every_hop = verify_every_hop and verifier is not None
        self.gate = Gate(self.labels, decisions, verifier)
        self.decisions = decisions
        # the newest audio, for the verifier's window
        self._keep = samples(self.rate, verifier.CLIP_MS) if verifier is not None else 0
        self._tail = np.zeros(0, np.float32)
        self._fed = 0

    def set_decisions(self, decisions: DecisionSettings) -> None:
        self.decisions = decisions
        self.gate = Gate(self.labels, decisions, self.verifier)

    def reset(self) -> None:
        """Forget what was decided (the decision class's results and last announcement); the audio goes on."""
        self.gate = Gate(self.labels, self.decisions, self.verifier)

    def feed(self, x: np.ndarray) -> list[Hop]:
        t0 = time.perf_counter()
        x = np.asarray(x, np.float32)
        times, scores = self.source.feed(x)
        start = self._fed - self._tail.size
        if self._keep:
            buf = np.concatenate([self._tail, x])
        self._fed += x.size
        made = []
        for t, s in zip(times, scores):
            vs = None
            if self._keep:
                end = min(self._fed, samples(self.rate, t)) - start

                def window(end=end):  # the newest second before the hop's end, cut only when the verifier is asked
                    return fix_length(buf[max(0, end - self._keep):max(0, end)], self._keep)

                if self.verify_every_hop:
                    vs = self.verifier.scores(window(), self.rate)
                d, announced, checked = self.gate.decide(t, s, (lambda v=vs, w=window: v if v is not None
                                                                else self.verifier.scores(w(), self.rate)))
            else:
                d, announced, checked = self.gate.decide(t, s, None)
            made.append((float(t), s, d, announced, checked, vs))
        if self._keep:
            self._tail = buf[-self._keep:]
        each = (time.perf_counter() - t0) * 1000 / len(made) if made else 0.0
        return [Hop(t, s, d, announced, checked, each, vs) for t, s, d, announced, checked, vs in made]


def open_listener(model_dir, input_rate_hz: int, decisions: DecisionSettings = DecisionSettings(),
                  hop_ms: float = DEFAULT_HOP_MS, runtime: str = "litert", verify_every_hop: bool = False) -> Listener:
    """The Listener of a model folder: its kind's source and its verifier (kwsapp.engine.kinds)."""
    from .kinds import open_source
    from .window import load_verifier

    source = open_source(model_dir, int(input_rate_hz), hop_ms, runtime)
    verifier = load_verifier(model_dir) if runtime != "incremental" else None
    return Listener(source, input_rate_hz, decisions, verifier, verify_every_hop)
