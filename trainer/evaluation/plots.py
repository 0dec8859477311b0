"""Pictures for a model folder: training curves and the confusion matrix (matplotlib, no screen)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_curves(history_csv: Path, out_png: Path) -> None:
    import pandas as pd

    h = pd.read_csv(history_csv)
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    ep = h["epoch"] + 1
    for col, ax in (("loss", a), ("accuracy", b)):
        if col in h:
            ax.plot(ep, h[col], "o-", label="training")
        if f"val_{col}" in h:
            ax.plot(ep, h[f"val_{col}"], "o-", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(col)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("Training curves")
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


def save_confusion(metrics: dict, out_png: Path, title: str) -> None:
    plt = _plt()
    conf = np.array(metrics["confusion"], dtype=float)
    labels = metrics["labels"]
    norm = conf / np.maximum(conf.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if conf[i, j]:
                ax.text(j, i, int(conf[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    acc = metrics.get("accuracy")
    ax.set_title(f"{title}" + (f" (accuracy {acc:.3f}, n={metrics['n']})" if acc is not None else ""))
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
