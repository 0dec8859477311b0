"""One bar per class with its averaged score, painted as one widget.

A QProgressBar repaints itself at once on every setValue that changes it, twelve of them on every hop: here the
scores are kept as whole per-mille values, the widget is marked for repainting only when a shown percent changed,
and Qt paints it with the rest of the window.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

ROW_PX = 18
BAR_HEIGHT_PX = 14
GAP_PX = 6


class ScoreBars(QWidget):
    def __init__(self, labels, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.set_labels(labels)

    def set_labels(self, labels) -> None:
        self.labels = tuple(labels)
        self.permille = np.zeros(len(self.labels), dtype=int)
        self.updateGeometry()
        self.update()

    def value(self, label: str) -> int:
        """The bar of ``label``, in thousandths."""
        return int(self.permille[self.labels.index(label)])

    def set_scores(self, scores: np.ndarray) -> None:
        new = np.rint(1000 * np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)).astype(int)
        if len(new) != len(self.permille):
            return
        seen = not np.array_equal(np.rint(new / 10), np.rint(self.permille / 10))  # what the bars and text show
        self.permille = new
        if seen:
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(220, ROW_PX * len(self.labels))

    def minimumSizeHint(self) -> QSize:
        return QSize(160, ROW_PX * len(self.labels))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        pal = self.palette()
        fm = self.fontMetrics()
        name_w = max((fm.horizontalAdvance(n) for n in self.labels), default=0) + GAP_PX
        bar_w = max(1, self.width() - name_w)
        for row, (name, v) in enumerate(zip(self.labels, self.permille)):
            y = row * ROW_PX
            text_rect = QRectF(0, y, name_w, ROW_PX)
            p.setPen(pal.color(QPalette.ColorRole.WindowText))
            p.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
            bar = QRectF(name_w, y + (ROW_PX - BAR_HEIGHT_PX) / 2, bar_w, BAR_HEIGHT_PX)
            p.fillRect(bar, pal.color(QPalette.ColorRole.Base))
            p.fillRect(QRectF(bar.x(), bar.y(), bar.width() * v / 1000, bar.height()),
                       pal.color(QPalette.ColorRole.Highlight))
            p.setPen(pal.color(QPalette.ColorRole.Text))
            p.drawText(bar, Qt.AlignmentFlag.AlignCenter, f"{v / 10:.0f}%")
        p.end()
