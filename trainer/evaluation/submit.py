"""The Kaggle submission: one ``fname,label`` row for every ``test/audio/*.wav``.

Features are computed in parallel worker processes in bounded chunks while the parent runs the
model on large batches, so memory stays flat whatever the number of clips. The CSV is written to a
temporary file beside the target and renamed at the end: an interrupted export leaves no file.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from kwsapp.core.files import write_atomic
from kwsapp.core.labels import LABELS, UNKNOWN
from trainer.data.augment import apply_gain_db, shift_frames
from trainer.data.extract import iter_feature_chunks

# A clip that cannot be read still needs a row; "unknown" is the most frequent class of the real test set.
FALLBACK_LABEL = UNKNOWN
TTA_SHIFTS_FRAMES = (-5, 5)   # +-50 ms
TTA_GAINS_DB = (6.0,)


class SubmitError(Exception):
    pass


def test_audio_dir(root: str | Path) -> Path:
    """Where the clips to label are: ROOT/test/audio of a data root, or the audio folder itself."""
    root = Path(root)
    if (root / "test" / "audio").is_dir():
        return root / "test" / "audio"
    if root.is_dir() and next(root.glob("*.wav"), None) is not None:
        return root
    raise SubmitError(f"{root}: expected test/audio/*.wav under it (or a folder of .wav files), found neither")


def list_test_clips(root: str | Path) -> list[Path]:
    test = test_audio_dir(root)
    files = sorted(test.glob("*.wav"), key=lambda p: p.name)
    if not files:
        raise SubmitError(f"{test}: no .wav files")
    return files


def tta_scores(predictor, feats: np.ndarray) -> np.ndarray:
    s = predictor.settings
    scores = predictor.scores(feats)
    variants = [shift_frames(feats, k, s.floor) for k in TTA_SHIFTS_FRAMES]
    variants += [apply_gain_db(feats, g, s.log_eps) for g in TTA_GAINS_DB]
    for v in variants:
        scores += predictor.scores(v)
    return scores / (1 + len(variants))


def predict_files(predictor, files: list[Path], tta: bool = False, workers: int | None = None):
    """Yield (start, scores, errors) chunk by chunk, in file order."""
    for start, feats, errs in iter_feature_chunks([str(f) for f in files], predictor.settings, workers=workers,
                                                  desc=None):
        scores = tta_scores(predictor, feats) if tta else predictor.scores(feats)
        yield start, scores, errs


def write_submission(predictor, root: str | Path, out_csv: str | Path, tta: bool = False,
                     workers: int | None = None, progress: bool = True) -> dict:
    files = list_test_clips(root)
    if list(predictor.labels) != list(LABELS):
        raise SubmitError(f"the model's labels {list(predictor.labels)} are not the 12 challenge classes")
    out_csv = Path(out_csv)
    labels = np.array(predictor.labels)
    unreadable = []
    counts: dict[str, int] = {}

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as f, tqdm(total=len(files), desc="export", unit="clip", disable=not progress) as bar:
            rows = csv.writer(f, lineterminator="\n")  # a file name may hold a comma, a quote or a newline
            rows.writerow(("fname", "label"))
            for start, scores, errs in predict_files(predictor, files, tta, workers):
                pred = np.argmax(scores, axis=1)
                out_labels = labels[pred]
                for i, msg in errs:
                    out_labels[i - start] = FALLBACK_LABEL
                    unreadable.append(msg)
                for lab in out_labels:
                    counts[lab] = counts.get(lab, 0) + 1
                rows.writerows((files[start + j].name, lab) for j, lab in enumerate(out_labels))
                bar.update(len(pred))

    # a full disk or a folder that cannot be written is an OSError naming out_csv (one line from the command line)
    write_atomic(out_csv, write)
    for msg in unreadable[:20]:
        print(f"warning: {msg}; labelled {FALLBACK_LABEL!r}", file=sys.stderr)
    if len(unreadable) > 20:
        print(f"warning: ... and {len(unreadable) - 20} more unreadable clips", file=sys.stderr)
    return {"rows": len(files), "unreadable": len(unreadable), "out": str(out_csv),
            "predicted": {lab: counts.get(lab, 0) for lab in labels}}
