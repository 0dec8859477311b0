"""Scoring a model on a split: accuracy, per-class figures, confusion matrix."""

from __future__ import annotations

import numpy as np

from kwsapp.core.labels import COMMANDS, LABELS, UNKNOWN
from trainer.data.sources import EvalSet, Source


def metrics_from_predictions(y_true: np.ndarray, y_pred: np.ndarray, labels=LABELS) -> dict:
    k = len(labels)
    conf = np.zeros((k, k), dtype=np.int64)
    np.add.at(conf, (y_true, y_pred), 1)
    n = int(conf.sum())
    per_class = {}
    recalls = []
    for i, lab in enumerate(labels):
        support = int(conf[i].sum())
        correct = int(conf[i, i])
        predicted = int(conf[:, i].sum())
        per_class[lab] = {
            "n": support,
            "correct": correct,
            "accuracy": correct / support if support else None,
            "precision": correct / predicted if predicted else None,
        }
        if support:
            recalls.append(correct / support)
    # what a user meets: commands heard as themselves, other words kept quiet, and the command heard worst
    cmd = [i for i, lab in enumerate(labels) if lab in COMMANDS and conf[i].sum()]
    n_cmd = int(sum(conf[i].sum() for i in cmd))
    unk = labels.index(UNKNOWN) if UNKNOWN in labels else None
    weakest = min(cmd, key=lambda i: conf[i, i] / conf[i].sum()) if cmd else None
    return {
        "commands_right": float(sum(conf[i, i] for i in cmd) / n_cmd) if n_cmd else None,
        "unknown_right": float(conf[unk, unk] / conf[unk].sum()) if unk is not None and conf[unk].sum() else None,
        "weakest_command": ({"label": labels[weakest], "accuracy": float(conf[weakest, weakest] / conf[weakest].sum())}
                            if weakest is not None else None),
        "accuracy": float(np.trace(conf) / n) if n else None,
        "balanced_accuracy": float(np.mean(recalls)) if recalls else None,
        "n": n,
        "labels": list(labels),
        "per_class": per_class,
        "confusion": conf.tolist(),
    }


def evaluate(predictor, sources: list[Source], es: EvalSet, batch_size: int = 1024) -> dict:
    preds = []
    for feats in es.batches(sources, batch_size):
        preds.append(np.argmax(predictor.scores(feats), axis=1))  # read batch_size at a time, scored as it is fastest
    y_pred = np.concatenate(preds) if preds else np.zeros(0, np.int64)
    labels = list(predictor.labels)
    if labels != list(LABELS):
        raise ValueError(f"model labels {labels} differ from the 12 Kaggle classes")
    return metrics_from_predictions(es.y, y_pred, LABELS)


def format_metrics(m: dict, title: str) -> str:
    if not m["n"]:
        return f"{title}: no clips"
    lines = [f"{title}: accuracy {m['accuracy']:.4f} on {m['n']} clips (balanced {m['balanced_accuracy']:.4f})"]
    if m.get("commands_right") is not None:
        w = m["weakest_command"]
        unknown = f"{m['unknown_right']:.3f}" if m.get("unknown_right") is not None else "-"
        lines.append(f"  command words right {m['commands_right']:.3f}, other words called unknown {unknown}, "
                     f"weakest command {w['label']} {w['accuracy']:.3f}")
    for lab, pc in m["per_class"].items():
        if pc["n"]:
            lines.append(f"  {lab:>8}: {pc['accuracy']:.3f}  ({pc['correct']}/{pc['n']})")
    return "\n".join(lines)
