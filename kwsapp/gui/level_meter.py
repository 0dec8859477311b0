"""Input level in dBFS, with the peak of the last second held."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

FLOOR_DBFS = -60.0


class LevelMeter(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(int(FLOOR_DBFS), 0)
        self.bar.setTextVisible(False)
        self.bar.setValue(int(FLOOR_DBFS))
        self.bar.setFixedHeight(12)
        self.text = QLabel("-- dBFS")
        self.text.setMinimumWidth(90)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("level"))
        lay.addWidget(self.bar, 1)
        lay.addWidget(self.text)
        self._peak, self._peak_t = FLOOR_DBFS, 0.0
        self.level_dbfs = FLOOR_DBFS

    def set_level(self, dbfs: float) -> None:
        self.level_dbfs = max(FLOOR_DBFS, min(0.0, dbfs))
        now = time.monotonic()
        if self.level_dbfs >= self._peak or now - self._peak_t > 1.0:
            self._peak, self._peak_t = self.level_dbfs, now
        self.bar.setValue(int(round(self.level_dbfs)))
        self.text.setText(f"{self.level_dbfs:5.1f} dBFS" + ("  CLIP" if dbfs > -0.5 else ""))
