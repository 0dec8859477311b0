"""Hop, averaging window, threshold, peak threshold, refractory time and minimum results, editable while listening; a button
puts back the defaults (chosen by the sweep on the validation stream)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QPushButton, QSpinBox

from ..core.decisions import DECISION_RANGES, DEFAULT_HOP_MS, HOP_MS_RANGE, DecisionSettings


class DecisionPanel(QGroupBox):
    decisions_changed = Signal(object)  # DecisionSettings
    hop_changed = Signal(float)

    def __init__(self, decisions: DecisionSettings, hop_ms: float, parent=None):
        super().__init__("Decisions", parent)
        r = DECISION_RANGES
        self.hop = QSpinBox(suffix=" ms", minimum=int(HOP_MS_RANGE[0]), maximum=int(HOP_MS_RANGE[1]), singleStep=10,
                            value=int(hop_ms))
        self.average_window = QSpinBox(suffix=" ms", minimum=int(r["average_window_ms"][0]),
                               maximum=int(r["average_window_ms"][1]), singleStep=50,
                               value=int(decisions.average_window_ms))
        self.threshold = QDoubleSpinBox(decimals=2, minimum=r["threshold"][0], maximum=r["threshold"][1],
                                        singleStep=0.05, value=decisions.threshold)
        self.refractory = QSpinBox(suffix=" ms", minimum=int(r["refractory_ms"][0]), maximum=int(r["refractory_ms"][1]),
                                   singleStep=100, value=int(decisions.refractory_ms))
        self.minimum_count = QSpinBox(minimum=r["minimum_count"][0], maximum=r["minimum_count"][1],
                                      value=int(decisions.minimum_count))
        self.minimum_count.setToolTip("results needed in the averaging window before a command is announced")
        self.peak_threshold = QDoubleSpinBox(decimals=2, minimum=r["peak_threshold"][0], maximum=r["peak_threshold"][1],
                                             singleStep=0.05, value=decisions.peak_threshold)
        self.peak_threshold.setSpecialValueText("off")  # 0: no such check
        self.peak_threshold.setToolTip("the command's score in the newest window alone must reach this too (0: off)")
        self.command_thresholds = decisions.command_thresholds
        self.per_command = QLabel()
        self.per_command.setWordWrap(True)
        self.per_command.setToolTip("thresholds of their own for some commands (python -m trainer calibrate chooses "
                                    "them for your room); Defaults clears them")
        self._show_per_command()
        self.defaults = QPushButton("Defaults")
        self.defaults.setToolTip("the settings chosen by the sweep on the validation stream (README)")
        form = QFormLayout(self)
        form.addRow("hop", self.hop)
        form.addRow("averaging window", self.average_window)
        form.addRow("threshold", self.threshold)
        form.addRow("peak threshold", self.peak_threshold)
        form.addRow("refractory time", self.refractory)
        form.addRow("minimum results", self.minimum_count)
        form.addRow("per command", self.per_command)
        form.addRow(self.defaults)
        for w in (self.average_window, self.refractory, self.minimum_count):
            w.valueChanged.connect(self._emit)
        self.threshold.valueChanged.connect(self._emit)
        self.peak_threshold.valueChanged.connect(self._emit)
        self.hop.valueChanged.connect(lambda v: self.hop_changed.emit(float(v)))
        self.defaults.clicked.connect(self.restore_defaults)

    def settings(self) -> DecisionSettings:
        return DecisionSettings(average_window_ms=float(self.average_window.value()), threshold=float(self.threshold.value()),
                                refractory_ms=float(self.refractory.value()),
                                minimum_count=int(self.minimum_count.value()),
                                peak_threshold=float(self.peak_threshold.value()),
                                command_thresholds=self.command_thresholds)

    def set_command_thresholds(self, text: str) -> None:
        self.command_thresholds = text
        self._show_per_command()
        self._emit()

    def _show_per_command(self) -> None:
        self.per_command.setText(self.command_thresholds.replace(",", ", ").replace("=", " ") or "none")

    def restore_defaults(self) -> None:
        d = DecisionSettings()
        self.hop.setValue(int(DEFAULT_HOP_MS))
        boxes = (self.average_window, self.threshold, self.refractory, self.minimum_count, self.peak_threshold)
        for box in boxes:  # one decisions_changed for them all, not one each
            box.blockSignals(True)
        self.average_window.setValue(int(d.average_window_ms))
        self.threshold.setValue(d.threshold)
        self.refractory.setValue(int(d.refractory_ms))
        self.minimum_count.setValue(int(d.minimum_count))
        self.peak_threshold.setValue(d.peak_threshold)
        self.command_thresholds = d.command_thresholds
        self._show_per_command()
        for box in boxes:
            box.blockSignals(False)
        self._emit()

    def _emit(self, *_):
        self.decisions_changed.emit(self.settings())
