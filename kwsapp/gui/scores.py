"""One bar per class with its averaged score."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget


class ScoreBars(QWidget):
    def __init__(self, labels, parent=None):
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setVerticalSpacing(2)
        self.bars: dict[str, QProgressBar] = {}
        self.set_labels(labels)

    def set_labels(self, labels) -> None:
        while self.grid.count():
            w = self.grid.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.labels = tuple(labels)
        self.bars = {}
        for row, name in enumerate(self.labels):
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setFormat("%p%")
            bar.setFixedHeight(16)
            self.grid.addWidget(QLabel(name), row, 0)
            self.grid.addWidget(bar, row, 1)
            self.bars[name] = bar

    def set_scores(self, scores: np.ndarray) -> None:
        for name, s in zip(self.labels, np.asarray(scores, dtype=float)):
            self.bars[name].setValue(int(round(1000 * float(s))))
