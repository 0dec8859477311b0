"""Resampling a stream that arrives in pieces: the same samples, whatever the pieces' sizes, as
``scipy.signal.resample_poly`` gives for the whole recording (its filter is local in time; each piece is given a
margin so that its edges do not show, as kwsapp.core.scrolling does for the picture)."""

from __future__ import annotations

from math import ceil, gcd

import numpy as np

from .scrolling import FILTER_HALF_WIDTH


class StreamResampler:
    """``feed(samples)`` at ``rate_in_hz`` returns the samples at ``rate_out_hz`` that became final (the filter needs a
    margin of input after them); ``total_out`` counts those returned so far."""

    def __init__(self, rate_in_hz: int, rate_out_hz: int):
        g = gcd(int(rate_in_hz), int(rate_out_hz))
        self.up, self.down = int(rate_out_hz) // g, int(rate_in_hz) // g
        self.margin = (ceil(FILTER_HALF_WIDTH * max(self.up, self.down) / self.up / self.down) + 1) * self.down
        self.fir = None
        if self.up != self.down:
            from scipy import signal  # lazily: see kwsapp.core.audio

            rate = max(self.up, self.down)
            self.fir = signal.firwin(2 * FILTER_HALF_WIDTH * rate + 1, 1.0 / rate, window=("kaiser", 5.0))
        self._kept = np.empty(0, np.float64)  # input from sample `_kept_from` on
        self._kept_from = 0
        self.total_in = 0
        self.total_out = 0

    def feed(self, samples: np.ndarray) -> np.ndarray:
        samples = np.asarray(samples, np.float64).ravel()
        if self.up == self.down:
            self.total_in += samples.size
            self.total_out += samples.size
            return samples.astype(np.float32)
        self._kept = np.concatenate([self._kept, samples])
        self.total_in += samples.size
        final = max(0, (self.total_in - self.margin) * self.up // self.down)
        if final <= self.total_out:
            return np.empty(0, np.float32)
        a_t, b_t = self.total_out, final
        a_in = max(0, (a_t * self.down // self.up - self.margin) // self.down * self.down)
        b_in = min(self.total_in, -(-b_t * self.down // self.up) + self.margin)
        from scipy import signal

        x = self._kept[a_in - self._kept_from:b_in - self._kept_from]
        y = signal.resample_poly(x, self.up, self.down, window=self.fir)
        offset = a_t - a_in * self.up // self.down
        out = y[offset:offset + b_t - a_t].astype(np.float32)
        self.total_out = b_t
        # keep only what the next call can need
        next_a_in = max(0, (b_t * self.down // self.up - self.margin) // self.down * self.down)
        if next_a_in > self._kept_from:
            self._kept = self._kept[next_a_in - self._kept_from:]
            self._kept_from = next_a_in
        return out
