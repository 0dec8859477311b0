"""Hop, averaging window, threshold and refractory time, editable while listening."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QGroupBox, QSpinBox

from ..core.decisions import DecisionSettings


class DecisionPanel(QGroupBox):
    decisions_changed = Signal(object)  # DecisionSettings
    hop_changed = Signal(float)

    def __init__(self, decisions: DecisionSettings, hop_ms: float, parent=None):
        super().__init__("Decisions", parent)
        self.hop = QSpinBox(suffix=" ms", minimum=50, maximum=1000, singleStep=50, value=int(hop_ms))
        self.window = QSpinBox(suffix=" ms", minimum=0, maximum=3000, singleStep=50,
                               value=int(decisions.average_window_ms))
        self.threshold = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=1.0, singleStep=0.05,
                                        value=decisions.threshold)
        self.refractory = QSpinBox(suffix=" ms", minimum=0, maximum=5000, singleStep=100,
                                   value=int(decisions.refractory_ms))
        self._minimum_count = decisions.minimum_count
        form = QFormLayout(self)
        form.addRow("hop", self.hop)
        form.addRow("averaging window", self.window)
        form.addRow("threshold", self.threshold)
        form.addRow("refractory time", self.refractory)
        for w in (self.window, self.refractory):
            w.valueChanged.connect(self._emit)
        self.threshold.valueChanged.connect(self._emit)
        self.hop.valueChanged.connect(lambda v: self.hop_changed.emit(float(v)))

    def settings(self) -> DecisionSettings:
        return DecisionSettings(average_window_ms=float(self.window.value()), threshold=float(self.threshold.value()),
                                refractory_ms=float(self.refractory.value()), minimum_count=self._minimum_count)

    def _emit(self, *_):
        self.decisions_changed.emit(self.settings())
