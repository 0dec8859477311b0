"""The live window's scrolling spectrogram, computed a few columns at a time: only the frames that became complete
since the last update, from only the audio they need.

The model's features resample each 1-s window by FFT, as the notebook did; the picture does not need that: it
resamples with a polyphase filter, which is local in time, so a piece of the recording gives the same samples as the
whole recording (away from the piece's edges, which are given a margin). Each update costs a few frames' work
whatever the input rate, where recomputing the whole picture cost a 3-s FFT resample whose speed depends on the
length's factors.
"""

from __future__ import annotations

from dataclasses import replace
from math import ceil, gcd

import numpy as np

from .features import FeatureSettings, log_specgram

FILTER_HALF_WIDTH = 10  # scipy.signal.resample_poly's default filter reaches this many input periods either side


class ScrollingSpectrogram:
    """The last ``seconds`` of log-spectrogram columns (``columns``: frames x bins, oldest first) of a stream read
    from an :class:`~kwsapp.core.ringbuffer.AudioRingBuffer` at ``input_rate_hz``."""

    def __init__(self, settings: FeatureSettings, seconds: float, input_rate_hz: int):
        self.settings = settings
        g = gcd(settings.sample_rate_hz, int(input_rate_hz))
        self.up, self.down = settings.sample_rate_hz // g, int(input_rate_hz) // g
        self.frame_samples = settings.nperseg
        self.step = settings.nperseg - settings.noverlap
        self.columns = np.full(replace(settings, clip_duration_ms=int(round(seconds * 1000))).shape, settings.floor,
                               np.float32)
        # input samples either side of what a piece needs, so that its edges do not show (whole periods of `down`)
        self.margin = (ceil(FILTER_HALF_WIDTH * max(self.up, self.down) / self.up / self.down) + 1) * self.down
        self.next_frame: int | None = None  # the first frame (counted from the stream's start) not yet computed
        self.frames_computed = 0
        self.fir = None  # resample_poly's own filter, designed once here instead of on every update
        if self.up != self.down:
            from scipy import signal  # lazily: see kwsapp.core.audio

            rate = max(self.up, self.down)
            self.fir = signal.firwin(2 * FILTER_HALF_WIDTH * rate + 1, 1.0 / rate, window=("kaiser", 5.0))

    def update(self, buffer) -> int:
        """Add the frames that are complete in ``buffer`` now; returns how many were added (0: the picture is the
        same)."""
        written = buffer.total_written
        # target-rate samples that are final: the resampler needs `margin` input samples after them
        final = (written - self.margin) * self.up // self.down
        last = (final - self.frame_samples) // self.step  # the newest frame whose samples are all final
        if last < 0:
            return 0
        shown = len(self.columns)
        # the oldest frame whose piece (margin and rounding included) is still in the buffer
        oldest = written - buffer.capacity + self.margin + self.down
        first_possible = 0 if oldest <= 0 else -(-oldest * self.up // (self.down * self.step))
        start = max(self.next_frame if self.next_frame is not None else 0, last - shown + 1, first_possible)
        if start > last:
            return 0
        a_t, b_t = start * self.step, last * self.step + self.frame_samples  # target samples needed
        a_in = max(0, (a_t * self.down // self.up - self.margin) // self.down * self.down)
        b_in = -(-b_t * self.down // self.up) + self.margin
        x = buffer.span(a_in, b_in)
        if x is None:  # overwritten meanwhile (the reader was held up): start again from what is there
            self.next_frame = None
            return 0
        y = x.astype(np.float64)
        if self.up != self.down:
            from scipy import signal  # lazily: see kwsapp.core.audio

            y = signal.resample_poly(y, self.up, self.down, window=self.fir)
        offset = a_t - a_in * self.up // self.down
        frames = log_specgram(y[offset:offset + b_t - a_t], self.settings)
        n = len(frames)
        gap = start - self.next_frame if self.next_frame is not None else shown
        moved = min(shown, n + max(gap, 0))
        self.columns[:shown - moved] = self.columns[moved:]
        self.columns[shown - moved:] = self.settings.floor
        self.columns[shown - n:] = frames[-shown:] if n > shown else frames
        self.next_frame = last + 1
        self.frames_computed += n
        return n
