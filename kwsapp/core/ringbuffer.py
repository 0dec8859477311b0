"""A fixed-size ring buffer of float32 audio, written by the audio callback and read by timers.

The callback side (:meth:`write`) only copies samples and counts overflows; it takes a lock for a
few microseconds and allocates nothing. Readers take the newest ``n`` samples with :meth:`latest`.
"""

from __future__ import annotations

import threading

import numpy as np


class AudioRingBuffer:
    def __init__(self, capacity_samples: int, sample_rate_hz: int):
        if capacity_samples <= 0:
            raise ValueError("capacity must be positive")
        self.sample_rate_hz = int(sample_rate_hz)
        self._buf = np.zeros(int(capacity_samples), dtype=np.float32)
        self._lock = threading.Lock()
        self._written = 0          # samples written since creation
        self.overflows = 0         # input overflows reported by the audio driver

    @property
    def capacity(self) -> int:
        return self._buf.size

    @property
    def total_written(self) -> int:
        return self._written

    def write(self, samples: np.ndarray, overflowed: bool = False) -> None:
        """Append samples (1-D or frames x channels; channels are averaged). Safe to call from the audio thread."""
        x = samples if samples.ndim == 1 else samples.mean(axis=1)
        n = x.shape[0]
        cap = self._buf.size
        with self._lock:
            if overflowed:
                self.overflows += 1
            if n >= cap:
                self._written += n
                # sample number k lives at k % cap: rotate the newest cap samples into place
                self._buf[:] = np.roll(x[-cap:], self._written % cap)
                return
            start = self._written % cap
            end = start + n
            if end <= cap:
                self._buf[start:end] = x
            else:
                k = cap - start
                self._buf[start:] = x[:k]
                self._buf[:end - cap] = x[k:]
            self._written += n

    def span(self, start: int, stop: int) -> np.ndarray | None:
        """Samples number ``start`` to ``stop`` since creation (``stop`` clipped to what was written), or None when
        some of them are no longer in the buffer. Read under one hold of the lock, so a write meanwhile cannot shift
        them."""
        cap = self._buf.size
        with self._lock:
            written = self._written
            stop = min(stop, written)
            if start < max(0, written - cap) or stop <= start:
                return None
            a, b = start % cap, stop % cap
            if a < b:
                return self._buf[a:b].copy()
            return np.concatenate([self._buf[a:], self._buf[:b]])

    def latest(self, n: int) -> np.ndarray:
        """The newest ``n`` samples, oldest first; zeros in front when fewer were written."""
        cap = self._buf.size
        if n > cap:
            raise ValueError(f"asked for {n} samples from a buffer of {cap}")
        out = np.zeros(n, dtype=np.float32)
        with self._lock:
            have = min(n, self._written)
            end = self._written % cap
            start = end - have
            if start >= 0:
                out[n - have:] = self._buf[start:end]
            else:
                out[n - have:n - have - start] = self._buf[start:]
                out[n - have - start:] = self._buf[:end]
        return out
