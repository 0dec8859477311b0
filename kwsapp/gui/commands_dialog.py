"""Commands...: what each recognised command does. A table of bindings (label, action, argument, enabled, threshold),
checked as the actions file is; the first time a program is enabled the dialog shows exactly what will run and asks."""

from __future__ import annotations

import shlex

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
)

from ..core.actions import ACTIONS, ActionsError, ActionSet, Binding, binding_from_dict
from ..core.labels import SILENCE, UNKNOWN

COLUMNS = ("label", "action", "argument", "enabled", "threshold")
HINTS = {"run": "program and arguments, e.g. notify-send hello (no shell: ; | $ are plain characters)",
         "keys": "a key combination, e.g. ctrl+alt+Up", "type": "the text to type", "notify": "(nothing)"}


class CommandsDialog(QDialog):
    def __init__(self, actions: ActionSet, labels, parent=None, confirm=None):
        super().__init__(parent)
        self.setWindowTitle("Commands: what each recognised command does")
        self.resize(820, 360)
        self.labels = [lab for lab in labels if lab not in (SILENCE, UNKNOWN)]
        self.before = actions
        self.result_actions: ActionSet | None = None
        # asks before a program is enabled; a test passes its own answer
        self.confirm = confirm or self._ask
        self.master = QCheckBox("Actions on (the master switch: nothing runs while it is off)")
        self.master.setChecked(actions.enabled)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setColumnWidth(2, 380)
        for b in actions.bindings:
            self.add_row(b)
        add, remove = QPushButton("Add"), QPushButton("Remove")
        add.clicked.connect(lambda: self.add_row(Binding(self.labels[0] if self.labels else "yes", "notify")))
        remove.clicked.connect(lambda: self.table.removeRow(self.table.currentRow()))
        self.status = QLabel("Every action starts off. A program runs as the words written, never through a shell, "
                             "and nothing heard is ever added to it.")
        self.status.setWordWrap(True)
        ok, cancel = QPushButton("OK"), QPushButton("Cancel")
        ok.clicked.connect(self.accept_if_valid)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for w in (add, remove):
            buttons.addWidget(w)
        buttons.addStretch(1)
        buttons.addWidget(ok)
        buttons.addWidget(cancel)
        lay = QVBoxLayout(self)
        lay.addWidget(self.master)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.status)
        lay.addLayout(buttons)

    def add_row(self, b: Binding) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        label = QComboBox()
        label.setEditable(True)  # a word of the user's own model
        label.addItems(self.labels)
        label.setCurrentText(b.label)
        if b.label not in self.labels:
            label.setToolTip(f"{b.label!r} is not a label of the loaded model: this binding is inactive")
            label.setStyleSheet(f"color: {label.palette().color(label.palette().ColorRole.PlaceholderText).name()};")
        action = QComboBox()
        action.addItems(ACTIONS)
        action.setCurrentText(b.action)
        argument = QLineEdit(b.argument())
        argument.setPlaceholderText(HINTS[b.action])
        argument.setEnabled(b.action != "notify")
        action.currentTextChanged.connect(lambda a, e=argument: (e.setPlaceholderText(HINTS[a]), e.setEnabled(a != "notify")))
        enabled = QCheckBox()
        enabled.setChecked(b.enabled)
        threshold = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=1.0, singleStep=0.05)
        threshold.setSpecialValueText("any")  # 0: every announcement
        threshold.setValue(b.threshold or 0.0)
        for col, w in enumerate((label, action, argument, enabled, threshold)):
            self.table.setCellWidget(row, col, w)

    def row_entry(self, row: int) -> dict:
        """A row as an entry of the actions file (checked by the same code)."""
        label, action, argument, enabled, threshold = (self.table.cellWidget(row, c) for c in range(len(COLUMNS)))
        act = action.currentText()
        entry = {"label": label.currentText().strip(), "action": act, "enabled": enabled.isChecked()}
        text = argument.text()
        if act == "run":
            try:
                entry["argv"] = shlex.split(text)  # words, as a terminal splits them; never given to a shell
            except ValueError as exc:
                entry["argv"] = None
                self.status.setText(f"row {row + 1}: {exc}")
        elif act == "keys":
            entry["keys"] = text.strip()
        elif act == "type":
            entry["text"] = text
        if threshold.value() > 0:
            entry["threshold"] = round(threshold.value(), 2)
        return entry

    def bindings(self) -> tuple[Binding, ...]:
        return tuple(binding_from_dict(self.row_entry(r), f"row {r + 1}") for r in range(self.table.rowCount()))

    def accept_if_valid(self) -> bool:
        try:
            bindings = list(self.bindings())
        except ActionsError as exc:
            self.status.setText(str(exc))
            self.status.setStyleSheet("color: #b00020;")
            return False
        trusted = {b.argv for b in self.before.bindings if b.action == "run" and b.enabled}
        for i, b in enumerate(bindings):
            if b.action == "run" and b.enabled and b.argv not in trusted and not self.confirm(b):
                bindings[i] = Binding(b.label, b.action, argv=b.argv, enabled=False, threshold=b.threshold)
                self.table.cellWidget(i, 3).setChecked(False)
        self.result_actions = ActionSet(self.master.isChecked(), tuple(bindings))
        self.accept()
        return True

    def _ask(self, b: Binding) -> bool:
        argv = "\n".join(f"  {i}: {a}" for i, a in enumerate(b.argv))
        answer = QMessageBox.question(
            self, "Run a program?",
            f"When '{b.label}' is recognised, kwsapp will run this program, with exactly these arguments "
            f"(no shell; nothing heard is added):\n\n{argv}\n\nEnable it?",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        return answer == QMessageBox.Yes

    def keyPressEvent(self, event):
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):  # Enter edits a cell; OK is a button
            return
        super().keyPressEvent(event)
