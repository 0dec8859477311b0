"""A synthetic dataset in the exact Kaggle layout, spoken by espeak-ng or festival (Debian main's voices).

Each synthetic "speaker" is a voice (espeak-ng's voice + variant, or a festival voice) + pitch + speed, and a
vocal-tract warp (the word resampled so that every frequency moves by the factor: formants and pitch together);
its id (8 hex digits) plays the role of the Kaggle speaker hash in file names and split lists. Words are trimmed of espeak's
trailing silence, placed at a random offset in a 1-s, 16 kHz clip and given a little noise.
The test set (``test/audio/clip_*.wav``) is spoken by speakers of the testing split; its true labels
are in ``test_labels.csv`` beside ``train/`` and ``test/`` so a submission can be scored.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from kwsapp.core.audio import read_wav, resample, write_wav
from kwsapp.core.labels import BACKGROUND_NOISE_DIR, KAGGLE_WORDS, SILENCE, label_of_word
from trainer.data.dataset import TESTING, VALIDATION, which_set

RATE_HZ = 16000
VOICES = ("en-us", "en", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
# festival's English voices in Debian main (festvox-kallpc16k, festvox-kdlpc16k, festvox-us-slt-hts). flite's voices
# are left out on purpose: they are kept to test voices the project never trained on.
FESTIVAL_VOICES = ("kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts")
ENGINES = ("espeak-ng", "festival")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2", "croak", "whisper")


# Words that sound like a command and are not one, a few for each command, spoken as other words (unknown) by
# `synth --near-misses`, so the model learns where a command ends. No homophone of a command ("know", "write"):
# those would teach it to reject the command itself.
NEAR_MISSES: tuple[str, ...] = (
    "yet", "yell", "less", "guess",        # yes
    "nose", "note", "snow", "now",         # no
    "cup", "pup", "app", "hop",            # up
    "town", "gown", "dawn", "sound",       # down
    "lift", "loft", "lest", "theft",       # left
    "bright", "light", "ride", "rice",     # right
    "an", "in", "own", "gone",             # on
    "of", "cough", "oft", "if",            # off
    "top", "shop", "step", "stock",        # stop
    "goal", "show", "grow", "dough",       # go
)


class SynthError(Exception):
    pass


@dataclass(frozen=True)
class Speaker:
    voice: str
    variant: str
    pitch: int
    speed_wpm: int
    engine: str = "espeak-ng"
    warp: float = 1.0  # every frequency times this (the vocal tract shorter above 1), the word 1/warp as long

    @property
    def id(self) -> str:
        extra = "" if (self.engine, self.warp) == ("espeak-ng", 1.0) else f"/{self.engine}/{self.warp:.3f}"
        return hashlib.sha1(f"{self.voice}+{self.variant}/{self.pitch}/{self.speed_wpm}{extra}".encode()).hexdigest()[:8]


def make_speakers(n: int, rng: np.random.Generator, engine: str = "espeak-ng",
                  warp_range: tuple[float, float] | None = None) -> list[Speaker]:
    """``n`` distinct speakers; without a warp range, espeak-ng's are the ones earlier versions drew for a seed."""
    seen, out = set(), []
    while len(out) < n:
        if engine == "festival":
            s = Speaker(str(rng.choice(FESTIVAL_VOICES)), "", int(rng.integers(25, 80)), int(rng.integers(110, 210)),
                        engine)
        else:
            s = Speaker(str(rng.choice(VOICES)), str(rng.choice(VARIANTS)), int(rng.integers(25, 80)),
                        int(rng.integers(110, 210)))
        if warp_range is not None:
            s = Speaker(s.voice, s.variant, s.pitch, s.speed_wpm, engine, round(float(rng.uniform(*warp_range)), 3))
        if s.id not in seen:
            seen.add(s.id)
            out.append(s)
    return out


def _run(cmd: list[str], stdin: str | None = None) -> None:
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=30, input=stdin, text=True)
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr or "").strip().splitlines()
        raise SynthError(f"{cmd[0]} failed (rc {exc.returncode}){': ' + last[-1] if last else ''}") from None
    except subprocess.TimeoutExpired:
        raise SynthError(f"{cmd[0]} took over 30 s for one word") from None


def _festival_cmd(speaker: Speaker, speed_wpm: int, out: Path) -> list[str]:
    """text2wave with the speaker's voice, tempo (150 wpm = festival's own) and, for the diphone voices, pitch
    (``pitch`` 25-80 as espeak-ng's -p: a mean F0 of 80-190 Hz). Only numbers go into the Scheme."""
    cmd = ["text2wave", "-eval", f"(voice_{speaker.voice})",
           "-eval", f"(Parameter.set 'Duration_Stretch {150.0 / max(speed_wpm, 50):.3f})"]
    if speaker.voice.endswith("_diphone"):
        f0 = 80 + (speaker.pitch - 25) * 2
        cmd += ["-eval", f"(set! int_lr_params '((target_f0_mean {f0}) (target_f0_std {max(8, f0 // 8)}) "
                         "(model_f0_mean 170) (model_f0_std 34)))"]
    return cmd + ["-o", str(out)]


def speak_word(word: str, speaker: Speaker, workdir: Path, speed_jitter: int = 0) -> np.ndarray:
    """Speak one word; float32 at 16 kHz, warped, leading and trailing silence trimmed."""
    out = Path(tempfile.mkstemp(suffix=".wav", dir=workdir)[1])
    speed = speaker.speed_wpm + speed_jitter
    try:
        if speaker.engine == "festival":
            _run(_festival_cmd(speaker, speed, out), stdin=word)
        else:
            _run(["espeak-ng", "-v", f"{speaker.voice}+{speaker.variant}", "-p", str(speaker.pitch),
                  "-s", str(speed), "-w", str(out), "--", word])
        rate, x = read_wav(out)
    finally:
        out.unlink(missing_ok=True)
    x = resample(x, rate, RATE_HZ)
    if speaker.warp != 1.0:  # played back faster by `warp`: formants and pitch up, the word shorter
        x = resample(x, int(round(RATE_HZ * speaker.warp)), RATE_HZ)
    return trim_silence(x)


def engine_problem(engine: str) -> str | None:
    """Why ``engine`` cannot speak here (one line), or None."""
    if engine not in ENGINES:
        return f"{engine!r} is not one of the engines ({', '.join(ENGINES)})"
    if engine == "festival":
        if shutil.which("text2wave") is None:
            return "festival is not installed (Debian: apt-get install festival festvox-kallpc16k festvox-kdlpc16k)"
        return None
    if shutil.which("espeak-ng") is None:
        return "espeak-ng is not installed (Debian: apt-get install espeak-ng)"
    return None


def spoken_sequence(words, onsets_s, total_s: float, workdir: Path, speaker: Speaker | None = None,
                    noise_rms: float = 0.003, peak: float = 0.5, seed: int = 0) -> np.ndarray:
    """A 16 kHz recording: each word spoken by espeak-ng at its onset (seconds), over white noise."""
    speaker = speaker or Speaker("en-us", "m3", 50, 140)
    rng = np.random.default_rng(seed)
    wave = rng.normal(0, noise_rms, int(RATE_HZ * total_s)).astype(np.float32)
    for word, onset in zip(words, onsets_s):
        x = speak_word(word, speaker, Path(workdir))
        x = peak * x / max(float(np.abs(x).max()), 1e-9)
        b = int(onset * RATE_HZ)
        seg = x[:max(0, wave.size - b)]
        wave[b:b + seg.size] += seg
    return wave


def trim_silence(x: np.ndarray, threshold_db: float = -40.0, frame: int = 160) -> np.ndarray:
    """Cut leading and trailing frames whose RMS is threshold_db below the loudest frame."""
    n = x.size // frame
    if n == 0:
        return x
    rms = np.sqrt(np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1)) + 1e-12
    loud = np.nonzero(20 * np.log10(rms / rms.max()) > threshold_db)[0]
    if loud.size == 0:
        return x[:0]
    return x[loud[0] * frame:(loud[-1] + 1) * frame]


def place_in_clip(word: np.ndarray, rng: np.random.Generator, noise_level: float) -> np.ndarray:
    """A 1-s clip with the word (shortened to fit) at a random offset, peak-normalised to a random level."""
    word = word[:RATE_HZ]
    if word.size and np.abs(word).max() > 0:
        word = word / np.abs(word).max() * rng.uniform(0.2, 0.9)
    clip = rng.normal(0.0, noise_level, RATE_HZ).astype(np.float32)
    start = int(rng.integers(0, RATE_HZ - word.size + 1))
    clip[start:start + word.size] += word
    return np.clip(clip, -1.0, 1.0)


def background_noises(seconds: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Noise recordings for _background_noise_: white, pink, brown, mains hum and a fan-like band noise."""
    n = seconds * RATE_HZ
    white = rng.normal(0, 1, n)
    spec = np.fft.rfft(rng.normal(0, 1, n))
    f = np.fft.rfftfreq(n, 1 / RATE_HZ)
    f[0] = f[1]
    pink = np.fft.irfft(spec / np.sqrt(f), n)
    brown = np.fft.irfft(spec / f, n)
    t = np.arange(n) / RATE_HZ
    hum = sum(np.sin(2 * np.pi * 50 * k * t + rng.uniform(0, 6.3)) / k for k in range(1, 8)) + 0.1 * white
    band = np.fft.irfft(spec * ((f > 200) & (f < 1200)), n) * (1 + 0.3 * np.sin(2 * np.pi * 0.5 * t))
    out = {}
    for name, x in {"white_noise": white, "pink_noise": pink, "brown_noise": brown, "mains_hum": hum, "fan": band}.items():
        out[name] = (x / np.abs(x).max() * 0.5).astype(np.float32)
    return out


def synthesize(out: str | Path, per_word: int = 40, test_clips: int = 200, seed: int = 0,
               n_speakers: int = 60, words: tuple[str, ...] = KAGGLE_WORDS, workers: int = 4,
               noise_seconds: int = 60, progress: bool = True, engine: str = "espeak-ng",
               warp_range: tuple[float, float] | None = None) -> dict:
    """Write a Kaggle-layout dataset under ``out``; returns counts. Deterministic for a seed, and words added
    at the end of ``words`` leave the training clips of the words before them as they were (the test clips,
    drawn after all training clips, change)."""
    problem = engine_problem(engine)
    if problem:
        raise SynthError(problem)
    out = Path(out)
    audio = out / "train" / "audio"
    test_audio = out / "test" / "audio"
    rng = np.random.default_rng(seed)
    speakers = make_speakers(n_speakers, rng, engine, warp_range)
    test_speakers = [s for s in speakers if which_set(s.id + "_nohash_0.wav", 10, 10) == TESTING] or speakers[:3]

    # Plan every clip up front from the one RNG, so the output does not depend on thread timing.
    jobs = []  # (kind, word, speaker, n, clip_seed)
    for word in words:
        counts: dict[str, int] = {}
        for _ in range(per_word):
            spk = speakers[rng.integers(len(speakers))]
            n = counts.get(spk.id, 0)
            counts[spk.id] = n + 1
            jobs.append(("train", word, spk, n, int(rng.integers(2**31))))
    test_plan = []
    for i in range(test_clips):
        kind = rng.random()
        word = SILENCE if kind < 1 / 12 else str(rng.choice(words))
        spk = test_speakers[rng.integers(len(test_speakers))]
        test_plan.append(("test", word, spk, i, int(rng.integers(2**31))))
    jobs += test_plan

    for d in (audio, test_audio):
        d.mkdir(parents=True, exist_ok=True)
    noises = background_noises(noise_seconds, np.random.default_rng(seed + 1))
    (audio / BACKGROUND_NOISE_DIR).mkdir(exist_ok=True)
    for name, x in noises.items():
        write_wav(audio / BACKGROUND_NOISE_DIR / f"{name}.wav", x, RATE_HZ)
    noise_list = list(noises.values())

    with tempfile.TemporaryDirectory() as tmp:
        def run(job):
            kind, word, spk, n, clip_seed = job
            r = np.random.default_rng(clip_seed)
            if word == SILENCE:
                src = noise_list[r.integers(len(noise_list))]
                b = int(r.integers(0, src.size - RATE_HZ))
                clip = src[b:b + RATE_HZ] * r.uniform(0.0, 0.3)
            else:
                w = speak_word(word, spk, Path(tmp), speed_jitter=int(r.integers(-15, 16)))
                clip = place_in_clip(w, r, noise_level=10 ** r.uniform(-4, -2))
            if kind == "train":
                path = audio / word / f"{spk.id}_nohash_{n}.wav"
                path.parent.mkdir(exist_ok=True)
                write_wav(path, clip, RATE_HZ)
                return None
            name = f"clip_{hashlib.sha1(f'{seed}/{n}'.encode()).hexdigest()[:9]}.wav"
            write_wav(test_audio / name, clip, RATE_HZ)
            return name, label_of_word(word) if word != SILENCE else SILENCE, word

        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(tqdm(pool.map(run, jobs), total=len(jobs), desc="synth", unit="clip", disable=not progress))

    truth = pd.DataFrame([r for r in results if r is not None], columns=["fname", "label", "word"]).sort_values("fname")
    truth.to_csv(out / "test_labels.csv", index=False)
    val, test = [], []
    for kind, word, spk, n, _ in jobs:
        if kind != "train":
            continue
        rel = f"{word}/{spk.id}_nohash_{n}.wav"
        s = which_set(rel, 10, 10)
        (val if s == VALIDATION else test if s == TESTING else []).append(rel)
    (out / "train" / "validation_list.txt").write_text("".join(p + "\n" for p in sorted(set(val))))
    (out / "train" / "testing_list.txt").write_text("".join(p + "\n" for p in sorted(set(test))))
    return {"train_clips": per_word * len(words), "test_clips": len(truth), "speakers": len(speakers),
            "validation": len(set(val)), "testing": len(set(test)), "noise_files": len(noises)}
