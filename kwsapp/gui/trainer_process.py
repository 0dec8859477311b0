"""Runs a ``python -m trainer ...`` command in its own process (QProcess), so the window stays responsive.

Cancel sends SIGINT, the trainer's own Ctrl-C: training keeps its last finished epoch (resumable),
an export leaves no half-written CSV. Its standard error is read line by line (tqdm's carriage
returns count as line ends) for progress and the last error line.
"""

from __future__ import annotations

import os
import re
import signal
import sys

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

# Isolated mode (-I): neither the working directory, nor PYTHONPATH, nor the user's site folder is on the path, so a
# trainer/ folder where the app was started can never run in place of the product's; the product's trainer is found
# where it is installed beside kwsapp (pip install, or setup.sh's editable install of the clone).
TRAINER = ["-I", "-u", "-m", "trainer"]
PROGRESS = re.compile(r"(\d+)/(\d+)")


class TrainerProcess(QObject):
    line = Signal(str)
    progress = Signal(int, int)         # done, total (from the trainer's progress bars)
    finished = Signal(int, str)         # exit code, last line that says what happened

    def __init__(self, parent=None):
        super().__init__(parent)
        self.proc: QProcess | None = None
        self._partial = ""
        self.last_lines: list[str] = []

    def start(self, args: list[str]) -> None:
        if self.running:
            raise RuntimeError("a trainer command is already running")
        proc = QProcess(self)
        proc.setProcessEnvironment(QProcessEnvironment.systemEnvironment())
        proc.setProcessChannelMode(QProcess.MergedChannels)
        proc.readyReadStandardOutput.connect(self._read)
        proc.finished.connect(self._finished)
        proc.errorOccurred.connect(self._error)
        self.proc, self._partial, self.last_lines = proc, "", []
        proc.start(sys.executable, [*TRAINER, *map(str, args)])

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.state() != QProcess.NotRunning

    def cancel(self) -> None:
        if self.running:
            pid = self.proc.processId()
            if pid > 0:
                os.kill(pid, signal.SIGINT)

    def stop(self, wait_ms: int = 10000) -> None:
        """Cancel as Ctrl-C would, give it ``wait_ms`` to save and leave, then kill it."""
        if self.running:
            self.cancel()
            if self.proc is not None:
                self.proc.waitForFinished(wait_ms)
            self.kill()

    def kill(self) -> None:
        if self.running:
            self.proc.kill()
            self.proc.waitForFinished(3000)

    def _read(self) -> None:
        text = self._partial + bytes(self.proc.readAllStandardOutput()).decode("utf-8", "replace")
        parts = re.split(r"[\r\n]", text)
        self._partial = parts.pop()
        for part in parts:
            part = part.strip()
            if not part:
                continue
            m = PROGRESS.search(part)
            if m and "|" in part:
                self.progress.emit(int(m.group(1)), int(m.group(2)))
                continue
            self.last_lines = (self.last_lines + [part])[-50:]
            self.line.emit(part)

    def _finished(self, code: int, status) -> None:
        self._read()
        if self._partial.strip():
            self.last_lines.append(self._partial.strip())
        errors = [ln for ln in self.last_lines if ln.startswith(("error:", "interrupted"))]
        summary = errors[-1] if errors else (self.last_lines[-1] if self.last_lines else "")
        self.finished.emit(code if status == QProcess.NormalExit else -1, summary)

    def _error(self, err) -> None:
        if err == QProcess.FailedToStart:
            self.finished.emit(-1, f"cannot start {sys.executable} -m trainer")
