"""Input level in dBFS, with the peak of the last second held, painted as one widget (repainted only when what it
shows changed)."""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

FLOOR_DBFS = -60.0
PEAK_HOLD_S = 1.0
CLIP_DBFS = -0.5
HEIGHT_PX = 18
BAR_HEIGHT_PX = 12
TEXT_WIDTH_PX = 110


class LevelMeter(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._peak, self._peak_t = FLOOR_DBFS, 0.0
        self.level_dbfs = FLOOR_DBFS
        self.text = "-- dBFS"
        self._shown = None

    def set_level(self, dbfs: float) -> None:
        self.level_dbfs = max(FLOOR_DBFS, min(0.0, dbfs))
        now = time.monotonic()
        if self.level_dbfs >= self._peak or now - self._peak_t > PEAK_HOLD_S:
            self._peak, self._peak_t = self.level_dbfs, now
        self.text = f"{self.level_dbfs:5.1f} dBFS" + ("  CLIP" if dbfs > CLIP_DBFS else "")
        shown = (self.text, round(self._peak))
        if shown != self._shown:
            self._shown = shown
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(300, HEIGHT_PX)

    def minimumSizeHint(self) -> QSize:
        return QSize(180, HEIGHT_PX)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        pal = self.palette()
        fm = self.fontMetrics()
        name_w = fm.horizontalAdvance("level") + 6
        p.setPen(pal.color(QPalette.ColorRole.WindowText))
        p.drawText(QRectF(0, 0, name_w, HEIGHT_PX), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "level")
        bar = QRectF(name_w, (HEIGHT_PX - BAR_HEIGHT_PX) / 2, max(1, self.width() - name_w - TEXT_WIDTH_PX),
                     BAR_HEIGHT_PX)
        p.fillRect(bar, pal.color(QPalette.ColorRole.Base))
        share = (self.level_dbfs - FLOOR_DBFS) / -FLOOR_DBFS
        p.fillRect(QRectF(bar.x(), bar.y(), bar.width() * share, bar.height()), pal.color(QPalette.ColorRole.Highlight))
        peak_x = bar.x() + bar.width() * (self._peak - FLOOR_DBFS) / -FLOOR_DBFS
        p.fillRect(QRectF(min(peak_x, bar.right() - 2), bar.y(), 2, bar.height()),
                   QColor("red") if self._peak > CLIP_DBFS else pal.color(QPalette.ColorRole.Text))
        p.drawText(QRectF(bar.right() + 6, 0, TEXT_WIDTH_PX - 6, HEIGHT_PX),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.text)
        p.end()
