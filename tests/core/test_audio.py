import numpy as np
import pytest
from scipy.io import wavfile

from kwsapp.core.audio import AudioError, fix_length, read_wav, to_float_mono


@pytest.mark.parametrize("dtype,scale", [(np.int16, 32767), (np.int32, 2**31 - 1), (np.float32, 1.0), (np.uint8, None)])
def test_read_any_pcm(tmp_path, dtype, scale):
    x = 0.5 * np.sin(np.linspace(0, 60, 4000))
    if dtype is np.uint8:
        data = (x * 127 + 128).astype(np.uint8)
    else:
        data = (x * scale).astype(dtype)
    wavfile.write(tmp_path / "a.wav", 22050, data)
    rate, y = read_wav(tmp_path / "a.wav")
    assert rate == 22050 and y.dtype == np.float32
    np.testing.assert_allclose(y, x, atol=0.02)  # 8-bit quantisation


def test_stereo_is_averaged(tmp_path):
    left = np.full(100, 1000, np.int16)
    right = np.full(100, 3000, np.int16)
    wavfile.write(tmp_path / "s.wav", 16000, np.stack([left, right], axis=1))
    _, y = read_wav(tmp_path / "s.wav")
    assert y.shape == (100,)
    np.testing.assert_allclose(y, 2000 / 32768, rtol=1e-6)


@pytest.mark.parametrize("content,problem", [
    (b"", "not a readable wav"),
    (b"RIFF\x10\x00\x00\x00WAVEfmt ", "not a readable wav"),
    (b"hello, this is text and not audio" * 10, "not a readable wav"),
])
def test_bad_files_raise_one_line_error_naming_file(tmp_path, content, problem):
    p = tmp_path / "bad.wav"
    p.write_bytes(content)
    with pytest.raises(AudioError) as e:
        read_wav(p)
    msg = str(e.value)
    assert str(p) in msg and problem in msg and "\n" not in msg


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        read_wav(tmp_path / "nope.wav")


def test_fix_length_pads_front():
    y = fix_length(np.ones(3, np.float32), 5)
    assert y.tolist() == [0, 0, 1, 1, 1]
    assert fix_length(np.arange(10), 4).tolist() == [0, 1, 2, 3]
    assert to_float_mono(np.array([-32768], np.int16))[0] == -1.0


@pytest.mark.parametrize("rate", [100_000_000, 2_000_000_000, 500, 0])
def test_a_header_rate_outside_the_sane_range_is_refused_before_anything_is_made_of_it(tmp_path, rate):
    # a 32 KB file that says 100 MHz once made predict build a 100-million-sample window (3.6 GB)
    p = tmp_path / "liar.wav"
    wavfile.write(p, 16000, np.zeros(16000, np.int16))
    raw = bytearray(p.read_bytes())
    raw[24:28] = int(rate).to_bytes(4, "little")  # the fmt chunk's sample rate, and its byte rate to match
    raw[28:32] = (2 * int(rate) % 2**32).to_bytes(4, "little")
    p.write_bytes(bytes(raw))
    with pytest.raises(AudioError) as e:
        read_wav(p)
    msg = str(e.value)
    assert str(p) in msg and "sample rate" in msg and "\n" not in msg


def test_max_seconds_reads_only_the_window_of_a_long_file(tmp_path):
    x = (np.arange(16000 * 30) % 1000).astype(np.int16)  # 30 s
    wavfile.write(tmp_path / "long.wav", 16000, x)
    rate, y = read_wav(tmp_path / "long.wav", max_seconds=1.0)
    assert rate == 16000 and y.shape == (16000,)
    np.testing.assert_allclose(y, x[:16000] / 32768.0, rtol=1e-6)
    assert read_wav(tmp_path / "long.wav")[1].shape == (16000 * 30,)


def test_looking_for_audio_devices_again_prints_nothing():
    """PortAudio's back-ends print ALSA and JACK lines as they look for devices; the app looks every few seconds
    while the sound server is down, so those lines are kept off the terminal."""
    import subprocess
    import sys

    code = ("from kwsapp.audio_input import AudioInputError, rescan_devices\n"
            "try:\n    rescan_devices(); rescan_devices()\nexcept AudioInputError as e:\n    print('skip', e)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    if r.stdout.startswith("skip"):
        pytest.skip(r.stdout.strip())
    assert r.returncode == 0 and r.stderr == "", r.stderr
