"""Microphone capture with sounddevice (PortAudio), Qt-free.

The audio callback does one thing: copy the block into an :class:`AudioRingBuffer` and count input
overflows. No Qt, no logging, no model. Everything else (display, inference) pulls from the buffer.

Every failure a person can meet (no PortAudio library, no input device, an unknown device name, a
device that stops delivering audio) is an :class:`AudioInputError` with a one-line message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .core.ringbuffer import AudioRingBuffer

PREFERRED_RATES_HZ = (16000, 48000, 44100)  # 16 kHz first: the cheapest to bring down to 8 kHz
BUFFER_SECONDS = 10.0
BLOCK_MS = 20  # one callback per 20 ms: far below the hop, and few enough that the GIL is rarely fought over


class AudioInputError(Exception):
    """The microphone cannot be used; the message says why, in one line."""


def _sounddevice():
    from .engine.litert import quiet_stderr

    try:
        with quiet_stderr():  # PortAudio's ALSA and JACK back-ends print lines of their own as they look for devices
            import sounddevice as sd
    except OSError as exc:  # "PortAudio library not found"
        raise AudioInputError(f"no audio: {exc} (install PortAudio, e.g. apt install libportaudio2)") from None
    except ImportError as exc:
        raise AudioInputError(f"no audio: the sounddevice package is missing ({exc}); pip install sounddevice") from None
    return sd


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    default_rate_hz: int
    is_default: bool

    def describe(self) -> str:
        return f"{self.index}: {self.name}" + (" (default)" if self.is_default else "")


def rescan_devices() -> None:
    """Make PortAudio look for devices again: it lists them once, when it starts, so a microphone plugged in (or an
    audio server started) later is never seen otherwise. Only while no stream is open: it closes them all."""
    sd = _sounddevice()
    try:
        from .engine.litert import quiet_stderr

        with quiet_stderr():  # the same lines on every look (the health timer looks every few seconds)
            sd._terminate()
            sd._initialize()
    except Exception as exc:  # PortAudioError
        raise AudioInputError(f"cannot look for audio devices again: {exc}") from None


def list_input_devices() -> list[InputDevice]:
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
        default_in = sd.default.device[0]
    except Exception as exc:  # PortAudioError when the host API is broken
        raise AudioInputError(f"cannot list audio devices: {exc}") from None
    return [InputDevice(i, d["name"], int(d["default_samplerate"]), i == default_in)
            for i, d in enumerate(devices) if d["max_input_channels"] > 0]


def find_input_device(spec: str | int | None) -> InputDevice:
    """The device a person named (an index, or part of a name, case-insensitive), or the default input."""
    devices = list_input_devices()
    if not devices:
        raise AudioInputError("no microphone found (PortAudio lists no input device)")
    if spec is None or spec == "":
        for d in devices:
            if d.is_default:
                return d
        return devices[0]
    text = str(spec).strip()
    if text.lstrip("-").isdigit():
        for d in devices:
            if d.index == int(text):
                return d
        raise AudioInputError(f"no input device with index {text} (inputs: "
                              + ", ".join(d.describe() for d in devices) + ")")
    matches = [d for d in devices if text.lower() in d.name.lower()]
    exact = [d for d in matches if d.name.lower() == text.lower()]
    if exact:
        return exact[0]
    if not matches:
        raise AudioInputError(f"no input device matching {text!r} (inputs: "
                              + ", ".join(d.describe() for d in devices) + ")")
    return matches[0]


class Microphone:
    """One open input stream feeding a ring buffer. ``start`` picks the device and rate, ``stop`` closes."""

    def __init__(self):
        self.device: InputDevice | None = None
        self.sample_rate_hz: int = 0
        self.buffer: AudioRingBuffer | None = None
        self._stream = None
        self._callbacks = 0
        self._last_callback = 0.0
        self._started_at = 0.0

    # -- the audio thread -------------------------------------------------------------------------
    def _callback(self, indata, frames, time_info, status):
        self.buffer.write(indata[:, 0], bool(status.input_overflow))
        self._callbacks += 1
        self._last_callback = time.monotonic()

    # -- the caller's thread ----------------------------------------------------------------------
    def start(self, device_spec: str | int | None = None) -> None:
        from .engine.litert import quiet_stderr

        self.stop()
        sd = _sounddevice()
        device = find_input_device(device_spec)
        with quiet_stderr():  # ALSA's lines as PortAudio tries the device's rates
            rate = self._pick_rate(sd, device)
        buffer = AudioRingBuffer(int(rate * BUFFER_SECONDS), rate)
        self.device, self.sample_rate_hz, self.buffer = device, rate, buffer
        self._callbacks, self._last_callback = 0, 0.0
        try:
            with quiet_stderr():
                stream = sd.InputStream(device=device.index, channels=1, samplerate=rate, dtype="float32",
                                        blocksize=rate * BLOCK_MS // 1000, callback=self._callback)
                stream.start()
        except Exception as exc:
            raise AudioInputError(f"cannot open {device.name!r} at {rate} Hz: {exc}") from None
        self._stream = stream
        self._started_at = time.monotonic()

    def start_looking_again(self, device_spec: str | int | None = None, or_default: bool = False) -> str | None:
        """``start``; when that fails, look for devices again once (one may have appeared since PortAudio last
        looked) and start again; when the device is still not there and ``or_default``, start the default one and
        return why the asked one could not be used (None when it was)."""
        try:
            self.start(device_spec)
            return None
        except AudioInputError:
            self.stop()
            rescan_devices()
        try:
            self.start(device_spec)
            return None
        except AudioInputError as exc:
            if not (or_default and device_spec):
                raise
            self.stop()
            self.start(None)
            return str(exc)

    @staticmethod
    def _pick_rate(sd, device: InputDevice) -> int:
        for rate in (*PREFERRED_RATES_HZ, device.default_rate_hz):
            try:
                sd.check_input_settings(device=device.index, channels=1, samplerate=rate, dtype="float32")
                return int(rate)
            except Exception:
                continue
        raise AudioInputError(f"{device.name!r} accepts none of the rates "
                              f"{', '.join(map(str, PREFERRED_RATES_HZ))} Hz or its default {device.default_rate_hz} Hz")

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:
                pass  # the device may already be gone

    @property
    def is_open(self) -> bool:
        return self._stream is not None

    @property
    def callbacks(self) -> int:
        return self._callbacks

    def health(self, stall_s: float = 2.0, first_block_s: float = 5.0) -> str | None:
        """None while audio flows, else a one-line reason (the device stopped or went away)."""
        if self._stream is None:
            return None
        now = time.monotonic()
        if not self._stream.active:
            return f"the input device {self.device.name!r} stopped (unplugged?)"
        if self._callbacks == 0:
            if now - self._started_at > first_block_s:
                return f"no audio from {self.device.name!r} after {first_block_s:g} s"
            return None
        if now - self._last_callback > stall_s:
            return f"the input device {self.device.name!r} stopped delivering audio (unplugged?)"
        return None
