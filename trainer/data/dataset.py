"""Indexing a dataset in the Kaggle layout, splitting it by speaker and labelling it.

    ROOT/train/audio/<word>/<speaker>_nohash_<n>.wav
    ROOT/train/audio/_background_noise_/*.wav
    ROOT/train/validation_list.txt, ROOT/train/testing_list.txt   (optional)
    ROOT/test/audio/*.wav                                          (for the submission)

A clip is identified by its path relative to ``train/audio`` (file names repeat across words).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kwsapp.core.audio import AudioError, read_wav
from kwsapp.core.labels import BACKGROUND_NOISE_DIR, COMMANDS, label_of_word

TRAIN, VALIDATION, TESTING = "training", "validation", "testing"
SPLITS = (TRAIN, VALIDATION, TESTING)
UNUSED = "unused"  # clips left out by keep_training_speakers / leave_out_speakers
# Same constant as TensorFlow's speech_commands input_data.py.
MAX_NUM_WAVS_PER_CLASS = 2**27 - 1
# Each background-noise recording is cut in time so silence in one split never overlaps another.
NOISE_SEGMENTS = {TRAIN: (0.0, 0.8), VALIDATION: (0.8, 0.9), TESTING: (0.9, 1.0)}


class DatasetError(Exception):
    """The data folder is not usable; the message says what was expected where."""


@dataclass(frozen=True)
class SplitRule:
    """How clips are split when the dataset has no validation/testing lists.

    The default is TensorFlow's ``which_set``: 10 % validation, 10 % testing by a hash of the speaker.
    ``salt`` changes which speakers land where (needed for data that is itself one hash band, such as
    the Speech Commands test set).
    """

    validation_percent: float = 10.0
    testing_percent: float = 10.0
    salt: str = ""
    use_lists: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


def speaker_of(filename: str) -> str:
    """The speaker id: the file name before ``_nohash_`` (the whole stem when there is none)."""
    base = Path(filename).name
    return re.sub(r"_nohash_.*$", "", base) if "_nohash_" in base else Path(base).stem


def which_set(filename: str, validation_percent: float, testing_percent: float, salt: str = "") -> str:
    """TensorFlow's speech_commands rule: a stable hash of the speaker decides the split."""
    hash_name = re.sub(r"_nohash_.*$", "", Path(filename).name)
    digest = hashlib.sha1((salt + hash_name).encode("utf-8")).hexdigest()
    percentage = (int(digest, 16) % (MAX_NUM_WAVS_PER_CLASS + 1)) * (100.0 / MAX_NUM_WAVS_PER_CLASS)
    if percentage < validation_percent:
        return VALIDATION
    if percentage < testing_percent + validation_percent:
        return TESTING
    return TRAIN


def speaker_share_point(speaker: str) -> float:
    """Where a speaker falls in 0..1 by a stable hash (its own salt, independent of the split): the speakers
    below a share S are a subset of those below any larger share."""
    digest = hashlib.sha1(("kwsapp-train-share/" + speaker).encode("utf-8")).hexdigest()
    return int(digest[:12], 16) / float(16 ** 12)


def keep_training_speakers(index: "DatasetIndex", share: float) -> tuple[int, int]:
    """Keep only ``share`` of the training split's speakers (the rest become ``UNUSED``; validation and testing
    are untouched), for learning curves. Returns (speakers kept, training speakers there were)."""
    train = index.clips["split"] == TRAIN
    speakers = index.clips.loc[train, "speaker"].unique()
    keep = {s for s in speakers if speaker_share_point(s) < share}
    index.clips.loc[train & ~index.clips["speaker"].isin(keep), "split"] = UNUSED
    return len(keep), len(speakers)


def leave_out_speakers(index: "DatasetIndex", speakers) -> int:
    """Neither train nor validate on ``speakers`` (their training and validation clips become ``UNUSED``; testing
    is untouched), to judge a model on people it never heard. Returns how many clips were left out."""
    out = index.clips["split"].isin((TRAIN, VALIDATION)) & index.clips["speaker"].isin(set(speakers))
    index.clips.loc[out, "split"] = UNUSED
    return int(out.sum())


def read_speaker_list(path: str | Path) -> tuple[str, ...]:
    """Speaker ids, one per line (blank lines and ``#`` comments ignored)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read the speaker list ({exc.__class__.__name__}: {exc})") from None
    speakers = tuple(dict.fromkeys(s for s in (line.split("#", 1)[0].strip() for line in text.splitlines()) if s))
    if not speakers:
        raise DatasetError(f"{path}: no speaker ids in it (one per line)")
    return speakers


def _read_list(path: Path) -> set[str]:
    return {line.strip().replace("\\", "/") for line in path.read_text().splitlines() if line.strip()}


@dataclass
class DatasetIndex:
    root: Path
    clips: pd.DataFrame  # columns: path, word, label, speaker, split
    noise_files: list[Path]
    split_source: str  # "lists" or a description of the hash rule

    @property
    def audio_dir(self) -> Path:
        return self.root / "train" / "audio"

    def split(self, name: str) -> pd.DataFrame:
        if name == "all":
            return self.clips
        return self.clips[self.clips["split"] == name]

    def summary(self) -> str:
        counts = self.clips.groupby("split")["path"].count().reindex(SPLITS, fill_value=0)
        speakers = self.clips.groupby("split")["speaker"].nunique().reindex(SPLITS, fill_value=0)
        parts = [f"{s}: {counts[s]} clips / {speakers[s]} speakers" for s in SPLITS]
        return f"{self.root}: {len(self.clips)} clips, {len(self.noise_files)} noise files; split by {self.split_source}; " + "; ".join(parts)


def train_audio_dir(root: str | Path) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: no such folder (expected a data ROOT holding train/audio/<word>/*.wav)")
    audio = root / "train" / "audio"
    if not audio.is_dir():
        hint = " (this looks like train/ itself; pass its parent)" if (root / "audio").is_dir() else ""
        raise DatasetError(f"{root}: expected train/audio/<word>/*.wav under it, found no train/audio folder{hint}")
    return audio


def index_dataset(root: str | Path, rule: SplitRule = SplitRule()) -> DatasetIndex:
    """List every clip under ROOT/train/audio with its word, label, speaker and split."""
    root = Path(root)
    audio = train_audio_dir(root)
    rows = []
    for word_dir in sorted(p for p in audio.iterdir() if p.is_dir()):
        if word_dir.name == BACKGROUND_NOISE_DIR or word_dir.name.startswith("."):
            continue
        for wav in sorted(word_dir.glob("*.wav")):
            rows.append((f"{word_dir.name}/{wav.name}", word_dir.name, label_of_word(word_dir.name), speaker_of(wav.name)))
    noise_dir = audio / BACKGROUND_NOISE_DIR
    noise_files = sorted(noise_dir.glob("*.wav")) if noise_dir.is_dir() else []
    if not rows:
        raise DatasetError(f"{audio}: no clips found (expected <word>/*.wav folders such as yes/, no/, ...)")
    clips = pd.DataFrame(rows, columns=["path", "word", "label", "speaker"])

    val_list, test_list = root / "train" / "validation_list.txt", root / "train" / "testing_list.txt"
    if rule.use_lists and (val_list.is_file() or test_list.is_file()):
        val = _read_list(val_list) if val_list.is_file() else set()
        test = _read_list(test_list) if test_list.is_file() else set()
        clips["split"] = [VALIDATION if p in val else TESTING if p in test else TRAIN for p in clips["path"]]
        source = "validation_list.txt / testing_list.txt"
    else:
        split_of_speaker = {
            s: which_set(s + "_nohash_0.wav", rule.validation_percent, rule.testing_percent, rule.salt)
            for s in clips["speaker"].unique()
        }
        clips["split"] = clips["speaker"].map(split_of_speaker)
        salt = f", salt {rule.salt!r}" if rule.salt else ""
        source = f"speaker hash ({rule.validation_percent:g}% validation, {rule.testing_percent:g}% testing{salt})"
    return DatasetIndex(root=root, clips=clips, noise_files=noise_files, split_source=source)


def split_warnings(index: DatasetIndex) -> list[str]:
    """Problems with a split worth telling the user before a long training run."""
    out = []
    n = len(index.clips)
    n_train = int((index.clips["split"] == TRAIN).sum())
    if n_train < 0.5 * n:
        out.append(
            f"{index.root}: only {n_train} of {n} clips are in the training split ({index.split_source}); "
            "for data that is itself a test partition pass --split-salt (see README)"
        )
    if not index.noise_files:
        out.append(f"{index.root}: no {BACKGROUND_NOISE_DIR} recordings: no silence examples and no noise augmentation")
    return out


# ---------------------------------------------------------------- background noise and silence

@dataclass
class NoiseRecording:
    path: Path
    sample_rate_hz: int
    samples: np.ndarray


def load_noise(files: list[Path]) -> tuple[list[NoiseRecording], list[str]]:
    """Read the background-noise recordings; unreadable or too short ones are skipped and reported."""
    out, errors = [], []
    for f in files:
        try:
            rate, x = read_wav(f)
        except AudioError as exc:
            errors.append(str(exc))
            continue
        if x.size < 2 * rate:
            errors.append(f"{f}: too short for background noise ({x.size / rate:.2f} s, need >= 2 s)")
            continue
        out.append(NoiseRecording(f, rate, x))
    return out, errors


def noise_windows(noise: list[NoiseRecording], split: str, count: int, rng: np.random.Generator) -> list[tuple[np.ndarray, int]]:
    """``count`` random 1-s windows (samples, rate) from the part of each recording reserved for ``split``."""
    lo, hi = NOISE_SEGMENTS[split]
    out = []
    if not noise:
        return out
    for _ in range(count):
        rec = noise[rng.integers(len(noise))]
        n, L = rec.samples.size, rec.sample_rate_hz
        start, stop = int(lo * n), int(hi * n)
        if stop - start <= L:  # segment shorter than 1 s: take what there is from its start
            seg = rec.samples[start:start + L]
        else:
            b = int(rng.integers(start, stop - L))
            seg = rec.samples[b:b + L]
        out.append((seg, L))
    return out


def silence_gains(count: int, rng: np.random.Generator) -> np.ndarray:
    """Gains for silence clips: log-uniform from -60 dB to 0 dB, and 5 % of them exactly zero."""
    g = 10.0 ** rng.uniform(-3.0, 0.0, size=count)
    g[rng.random(count) < 0.05] = 0.0
    return g.astype(np.float32)


def mean_command_count(clips: pd.DataFrame) -> int:
    cmd = clips[clips["label"].isin(COMMANDS)]
    per = cmd.groupby("label")["path"].count()
    return int(round(per.mean())) if len(per) else 0
