"""A second real window for the key-action tests: it takes the keyboard focus and writes every key it receives
(Qt's key name and the modifiers held) to a file, one line each.

    python tests/key_receiver.py OUT.txt     (prints "ready" once it has the focus)
"""

import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit

MODIFIERS = ((Qt.ControlModifier, "ctrl"), (Qt.AltModifier, "alt"), (Qt.ShiftModifier, "shift"), (Qt.MetaModifier, "super"))


class Receiver(QLineEdit):
    def __init__(self, out):
        super().__init__()
        self.out = out

    def keyPressEvent(self, event):
        mods = [name for flag, name in MODIFIERS if event.modifiers() & flag]
        key = QKeySequence(event.key()).toString() if event.key() not in (Qt.Key_Control, Qt.Key_Alt, Qt.Key_Shift,
                                                                          Qt.Key_Meta) else None
        if key:
            with open(self.out, "a") as f:
                f.write("+".join(mods + [key]) + (f" text={event.text()!r}" if event.text() else "") + "\n")
        super().keyPressEvent(event)


def main():
    app = QApplication(sys.argv[:1])
    w = Receiver(sys.argv[1])
    w.setWindowTitle("key receiver")
    w.resize(300, 60)
    w.show()

    def focus():
        w.activateWindow()
        w.setFocus()
        if w.hasFocus():
            print("ready", flush=True)
        else:
            QTimer.singleShot(100, focus)

    QTimer.singleShot(200, focus)
    app.exec()


if __name__ == "__main__":
    main()
