"""The speech-embedding front-end's training inputs, computed once and kept (like the feature cache): for every clip
of a data folder, ``copies`` versions of its 1.5-s buffer as the head sees it (9 embeddings x 96), the recipe's
augmentation applied to the waveform first (a shift of the word in the buffer, background noise of the clip's own
split at a random SNR, a gain); copy 0 is the clip alone, centred. Silence: buffers of background noise alone.

    CACHE/<folder key>/meta.json   what was computed, and from what
    CACHE/<folder key>/copy<k>.npy (clips, windows, 96) float16, in the order of the folder's index
    CACHE/<folder key>/silence_<split>.npy

A clip that cannot be read is skipped and counted (its rows stay zero and ``meta.json`` lists it)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kwsapp.core.audio import AudioError, read_wav, resample
from kwsapp.core.files import write_atomic
from kwsapp.engine.embedding import CLIP_BUFFER, clip_buffer
from kwsapp.engine.speech_embedding import RATE_HZ, FrontEndSettings
from trainer.data.dataset import NOISE_SEGMENTS, SplitRule, index_dataset, load_noise

VERSION = 1
NEGATIVES_VERSION = 2  # 2: their noise at the SNR of the placed word, as the other buffers' (1 took the whole clip's)
SILENCE_PER_SPLIT = {"training": 3000, "validation": 400, "testing": 400}


@dataclass(frozen=True)
class CacheRecipe:
    copies: int = 4
    max_offset_s: float = 0.5          # where the 1-s clip starts in the 1.5-s buffer: 0 .. this (copy 0: centred)
    noise_probability: float = 0.8
    snr_db_range: tuple[float, float] = (0.0, 25.0)
    gain_db_range: tuple[float, float] = (-10.0, 10.0)
    band_rate_hz: int = 16000
    seed: int = 0


def folder_key(root, rule: SplitRule, recipe: CacheRecipe) -> str:
    text = json.dumps([str(Path(root).resolve()), rule.salt, rule.validation_percent, rule.testing_percent,
                       rule.use_lists, recipe.__dict__, VERSION], sort_keys=True)
    return f"{Path(root).name}-{hashlib.sha1(text.encode()).hexdigest()[:10]}"


def _to_band16k(x: np.ndarray, rate: int, band_rate_hz: int) -> np.ndarray:
    if band_rate_hz != rate:
        x = resample(x, rate, band_rate_hz)
        rate = band_rate_hz
    return resample(x, rate, RATE_HZ).astype(np.float32) if rate != RATE_HZ else x.astype(np.float32)


def _rms(x: np.ndarray) -> float:
    from trainer.recordings.replay import active_rms

    return active_rms(x, RATE_HZ)


class _Noise:
    def __init__(self, files, band_rate_hz: int):
        recs, self.errors = load_noise(files)
        self.recs = [(r.path, _to_band16k(r.samples, r.sample_rate_hz, band_rate_hz)) for r in recs]

    def window(self, split: str, n: int, rng) -> np.ndarray | None:
        if not self.recs:
            return None
        lo, hi = NOISE_SEGMENTS.get(split, (0.0, 1.0))
        _, x = self.recs[rng.integers(len(self.recs))]
        a, b = int(lo * x.size), int(hi * x.size)
        if b - a <= n:
            seg = np.resize(x[a:b] if b > a else x, n)
        else:
            s = int(rng.integers(a, b - n))
            seg = x[s:s + n]
        r = float(np.sqrt(np.mean(np.square(seg))))
        return seg / r if r > 1e-6 else None


def _buffer(clip16k: np.ndarray, copy: int, split: str, noise: _Noise, recipe: CacheRecipe, rng) -> np.ndarray:
    """Copy 0: the clip centred and alone; the others: shifted, then ``_augment``ed."""
    if copy == 0:
        return clip_buffer(clip16k)
    room = CLIP_BUFFER - RATE_HZ
    return _augment(clip_buffer(clip16k, int(rng.uniform(0, min(recipe.max_offset_s * RATE_HZ, room)))), split,
                    noise, recipe, rng)


def _augment(out: np.ndarray, split: str, noise: _Noise, recipe: CacheRecipe, rng) -> np.ndarray:
    """The recipe's gain, then background noise of the clip's own split at a random SNR (over the word's level)."""
    out *= 10 ** (rng.uniform(*recipe.gain_db_range) / 20)
    if rng.random() < recipe.noise_probability:
        bed = noise.window(split, CLIP_BUFFER, rng)
        level = _rms(out)
        if bed is not None and level > 1e-6:
            out += bed * level / 10 ** (rng.uniform(*recipe.snr_db_range) / 20)
    return np.clip(out, -1.0, 1.0)


def _work(args):
    """One worker: the buffers of a slice of the clips, embedded."""
    paths, splits, first, recipe, noise_files, frontend_dir, windows = args
    from kwsapp.engine.speech_embedding import SpeechEmbedding

    fe = SpeechEmbedding(frontend_dir)
    noise = _Noise(noise_files, recipe.band_rate_hz)
    out = np.zeros((recipe.copies, len(paths), windows, 96), np.float16)
    bad = []
    for i, (p, split) in enumerate(zip(paths, splits)):
        try:
            rate, x = read_wav(p)
        except AudioError as exc:
            bad.append(str(exc))
            continue
        clip = _to_band16k(x, rate, recipe.band_rate_hz)
        rng = np.random.default_rng([recipe.seed, first + i])
        bufs = np.stack([_buffer(clip, c, split, noise, recipe, rng) for c in range(recipe.copies)])
        out[:, i] = fe.embed_waves(bufs)[:, -windows:].astype(np.float16)
    return first, out, bad


def _silence(split: str, count: int, noise: _Noise, recipe: CacheRecipe, frontend_dir, windows: int) -> np.ndarray:
    from kwsapp.engine.speech_embedding import SpeechEmbedding
    from trainer.data.dataset import silence_gains

    fe = SpeechEmbedding(frontend_dir)
    rng = np.random.default_rng([recipe.seed, 7, len(split)])
    gains = silence_gains(count, rng)
    out = np.zeros((count, windows, 96), np.float16)
    for i in range(count):
        bed = noise.window(split, CLIP_BUFFER, rng)
        x = np.zeros(CLIP_BUFFER, np.float32) if bed is None else np.clip(bed * 0.1 * gains[i], -1, 1).astype(np.float32)
        out[i] = fe.embed_waves(x[None])[0, -windows:]
    return out


def build(root, rule: SplitRule, cache_dir, recipe: CacheRecipe = CacheRecipe(), workers: int = 2,
          windows: int = FrontEndSettings().windows, progress: bool = True) -> Path:
    """Compute (or find) the cache of one data folder; returns its directory."""
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    from kwsapp.engine.speech_embedding import bundled_frontend_dir

    index = index_dataset(root, rule)
    where = Path(cache_dir) / folder_key(root, rule, recipe)
    if (where / "meta.json").is_file():
        return where
    where.mkdir(parents=True, exist_ok=True)
    paths = [str(index.audio_dir / p) for p in index.clips["path"]]
    splits = list(index.clips["split"])
    fe_dir = bundled_frontend_dir()
    step = 256
    jobs = [(paths[a:a + step], splits[a:a + step], a, recipe, index.noise_files, fe_dir, windows)
            for a in range(0, len(paths), step)]
    arrays = [np.lib.format.open_memmap(where / f"copy{c}.npy.part", "w+", np.float16, (len(paths), windows, 96))
              for c in range(recipe.copies)]
    bad = []
    with ProcessPoolExecutor(workers) as pool, tqdm(total=len(paths), desc=f"embeddings {Path(root).name}",
                                                      unit="clip", disable=not progress) as bar:
        for first, out, b in pool.map(_work, jobs):
            for c in range(recipe.copies):
                arrays[c][first:first + out.shape[1]] = out[c]
            bad += b
            bar.update(out.shape[1])
    for c, a in enumerate(arrays):
        a.flush()
        del a
        os.replace(where / f"copy{c}.npy.part", where / f"copy{c}.npy")
    noise = _Noise(index.noise_files, recipe.band_rate_hz)
    for split, count in SILENCE_PER_SPLIT.items():
        sil = _silence(split, count, noise, recipe, fe_dir, windows)
        write_atomic(where / f"silence_{split}.npy", lambda p, s=sil: np.save(open(p, "wb"), s))
    meta = {"root": str(Path(root).resolve()), "clips": len(paths), "unreadable": bad, "recipe": recipe.__dict__,
            "windows": windows, "version": VERSION}
    write_atomic(where / "meta.json", lambda p: Path(p).write_text(json.dumps(meta, indent=1)))
    return where


STREAM_KINDS = {
    # kind: (which clips, the label the head learns) -- words as a stream's sliding window shows them
    "other": ("unknown", "unknown"),       # other words anywhere in the buffer, cut by its edges too
    "cut": ("commands", "unknown"),        # a command arriving or leaving: 10-40 % of its word inside the buffer
    "neighbour": ("commands", "own"),      # a command whole, with part of another word before or after it
}
CUT_SHARE = (0.1, 0.4)         # of a cut command's loud frames, inside the buffer
NEIGHBOUR_SHARE = (0.1, 0.6)   # of the other word's loud frames, inside the buffer beside the command


def _word_samples(clip16k: np.ndarray) -> tuple[int, int]:
    """Where the word lies in a 16-kHz clip, in samples (the loud frames; the whole clip when none is loud)."""
    from kwsapp.core.words import frame_energies, frame_length, word_span

    span = word_span(frame_energies(clip16k, RATE_HZ))
    n = frame_length(RATE_HZ)
    return (span[0] * n, min(clip16k.size, span[1] * n)) if span else (0, clip16k.size)


def _stream_buffer(kind: str, clip: np.ndarray, other: np.ndarray | None, rng) -> np.ndarray:
    """One buffer of ``kind`` (STREAM_KINDS) from a 16-kHz clip (and, for neighbour, another word's clip)."""
    if kind == "other":  # where the clip starts: before the buffer, or near its end (cut by the edge)
        return clip_buffer(clip, int(rng.uniform(-0.6, 1.1) * RATE_HZ))
    ws, we = _word_samples(clip)
    if kind == "cut":
        inside = int(rng.uniform(*CUT_SHARE) * (we - ws))
        arriving = rng.random() < 0.5
        return clip_buffer(clip, CLIP_BUFFER - ws - inside if arriving else inside - we)
    offset = int(rng.uniform(0, CLIP_BUFFER - RATE_HZ))
    out = clip_buffer(clip, offset)
    if other is not None:
        os_, oe = _word_samples(other)
        inside = int(rng.uniform(*NEIGHBOUR_SHARE) * (oe - os_))
        level = _rms(out[offset + ws:offset + we]) / max(_rms(other[os_:oe]), 1e-6)
        before = rng.random() < 0.5
        place = inside - oe if before else CLIP_BUFFER - os_ - inside
        bed = clip_buffer(other, place) * level * 10 ** (rng.uniform(-6, 6) / 20)
        first, last = (0, max(0, offset + ws)) if before else (min(CLIP_BUFFER, offset + we), CLIP_BUFFER)
        out[first:last] += bed[first:last]  # only beside the command, never over it
    return out


def _negatives_work(args):
    """Buffers of one STREAM_KINDS kind, augmented as the others, embedded."""
    paths, splits, first, recipe, noise_files, frontend_dir, windows, copies, kind, others = args
    from kwsapp.engine.speech_embedding import SpeechEmbedding

    fe = SpeechEmbedding(frontend_dir)
    noise = _Noise(noise_files, recipe.band_rate_hz)
    out = np.zeros((copies, len(paths), windows, 96), np.float16)
    for i, (p, split) in enumerate(zip(paths, splits)):
        try:
            rate, x = read_wav(p)
        except AudioError:
            continue
        clip = _to_band16k(x, rate, recipe.band_rate_hz)
        rng = np.random.default_rng([recipe.seed, 99, first + i] + ([] if kind == "other" else [len(kind)]))
        bufs = []
        for _ in range(copies):
            other = None
            pool = others.get(split) if others else None
            if pool:
                try:
                    r2, x2 = read_wav(pool[rng.integers(len(pool))])
                    other = _to_band16k(x2, r2, recipe.band_rate_hz)[:RATE_HZ]
                except AudioError:
                    pass
            bufs.append(_augment(_stream_buffer(kind, clip, other, rng), split, noise, recipe, rng))
        out[:, i] = fe.embed_waves(np.stack(bufs))[:, -windows:].astype(np.float16)
    return first, out


def build_negatives(root, rule: SplitRule, cache_dir, recipe: CacheRecipe = CacheRecipe(), copies: int = 2,
                    workers: int = 2, windows: int = FrontEndSettings().windows, kind: str = "other") -> Path:
    """Stream-like windows of one data folder, of one STREAM_KINDS ``kind`` (other words anywhere, cut commands, or
    commands beside part of another word), ``copies`` each: NEG/negatives.npy (copies, rows, windows, 96) and
    NEG/rows.npy (their rows in the folder's index)."""
    from concurrent.futures import ProcessPoolExecutor

    from kwsapp.core.labels import COMMANDS, UNKNOWN
    from kwsapp.engine.speech_embedding import bundled_frontend_dir

    if kind not in STREAM_KINDS:
        raise ValueError(f"{kind!r}: not one of {', '.join(STREAM_KINDS)}")
    index = index_dataset(root, rule)
    name = "negatives" if kind == "other" else kind
    where = Path(cache_dir) / (folder_key(root, rule, recipe) + f"-{name}{copies}-v{NEGATIVES_VERSION}")
    if (where / "rows.npy").is_file():
        return where
    where.mkdir(parents=True, exist_ok=True)
    labels = np.array(index.clips["label"])
    unknown = np.flatnonzero(labels == UNKNOWN)
    rows = unknown if STREAM_KINDS[kind][0] == "unknown" else np.flatnonzero(np.isin(labels, COMMANDS))
    paths = [str(index.audio_dir / p) for p in index.clips["path"].iloc[rows]]
    splits = list(index.clips["split"].iloc[rows])
    others = None
    if kind == "neighbour":
        others = {}
        for r in unknown:
            others.setdefault(index.clips["split"].iloc[r], []).append(str(index.audio_dir / index.clips["path"].iloc[r]))
    step = 256
    jobs = [(paths[a:a + step], splits[a:a + step], a, recipe, index.noise_files, bundled_frontend_dir(), windows,
             copies, kind, others) for a in range(0, len(paths), step)]
    out = np.zeros((copies, len(paths), windows, 96), np.float16)
    with ProcessPoolExecutor(workers) as pool:
        for first, part in pool.map(_negatives_work, jobs):
            out[:, first:first + part.shape[1]] = part
    write_atomic(where / "negatives.npy", lambda p: np.save(open(p, "wb"), out))
    write_atomic(where / "rows.npy", lambda p: np.save(open(p, "wb"), rows))
    return where
