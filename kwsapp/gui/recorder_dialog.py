"""Model > Record my examples…: pick a command (or type a word of your own), say it N times on cue. Each take is
cut to the second around its word, shown as the model sees it, can be played back and deleted, and is saved as
``<examples>/<label>/take_*.wav`` (kwsapp.core.examples), the layout ``trainer personalize`` reads. Wav files can be
imported as takes too."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from ..core.audio import AudioError, read_wav
from ..core.examples import examples_dir, save_example
from ..core.features import features_from_wave
from ..core.labels import SILENCE, UNKNOWN, label_problem
from ..core.words import take_problem, word_window

TAKE_S = 1.6          # how long each take listens after its cue
TAKES_ASKED = 3       # takes of each word the recorder asks for: the fewest that halve the worst-served quarter's
                      # errors in python -m bench.bench_personalize (docs/experiments.md has the figures by takes)
GAP_MS = 700          # a pause between takes, to breathe


MAX_REFUSED_IN_A_ROW = 3


class RecorderDialog(QDialog):
    def __init__(self, window, labels, folder: Path | None = None):
        super().__init__(window)
        self.setWindowTitle("Record my examples")
        self.resize(720, 520)
        self.window_ = window
        self.folder = folder or examples_dir()
        self.label = QComboBox()
        self.label.setEditable(True)  # a word of your own: type it
        names = [lab for lab in labels if lab not in (SILENCE, UNKNOWN)]
        if self.folder.is_dir():
            names += sorted(p.name for p in self.folder.iterdir() if p.is_dir() and p.name not in names)
        self.label.addItems(names)
        self.count = QSpinBox(minimum=1, maximum=20, value=TAKES_ASKED)
        self.cue = QLabel("Press Record, then say the word each time you are asked.")
        self.cue.setStyleSheet("font-size: 20px;")
        self.cue.setWordWrap(True)
        self.takes = QListWidget()
        self.picture = pg.PlotWidget()
        self.picture.hideAxis("left")
        self.picture.hideAxis("bottom")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(pg.colormap.get("inferno").getLookupTable(nPts=256))
        self.picture.addItem(self.image)
        self.record_button = QPushButton("Record")
        play, delete, import_button = QPushButton("Play"), QPushButton("Delete"), QPushButton("Import wav files…")
        close = QPushButton("Close")
        self.record_button.clicked.connect(self.start)
        play.clicked.connect(self.play_selected)
        delete.clicked.connect(self.delete_selected)
        import_button.clicked.connect(lambda: self.import_files())
        close.clicked.connect(self.close)
        self.label.currentTextChanged.connect(self.refresh)
        self.takes.currentItemChanged.connect(self.show_selected)
        form = QFormLayout()
        form.addRow("word", self.label)
        form.addRow("takes", self.count)
        buttons = QHBoxLayout()
        for b in (self.record_button, play, delete, import_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        middle = QHBoxLayout()
        middle.addWidget(self.takes, 1)
        middle.addWidget(self.picture, 2)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.cue)
        lay.addLayout(middle, 1)
        lay.addWidget(QLabel(f"Saved in {self.folder}"))
        lay.addLayout(buttons)
        self._left = 0
        self.refused = 0          # takes refused (no word in them) since the dialog opened
        self._refused_in_row = 0
        self._from = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._take_done)
        self.refresh()

    def current_label(self) -> str:
        return self.label.currentText().strip()

    def refresh(self) -> None:
        self.takes.clear()
        folder = self.folder / self.current_label()
        if self.current_label() and folder.is_dir():
            for wav in sorted(folder.glob("*.wav")):
                item = QListWidgetItem(wav.name)
                item.setData(Qt.UserRole, str(wav))
                self.takes.addItem(item)

    # -- recording: on cue, TAKE_S of the microphone's ring buffer --------------------------------------------
    def start(self) -> bool:
        label = self.current_label()
        if not label or label in (SILENCE, UNKNOWN):
            self.cue.setText("Choose a command, or type a word of your own.")
            return False
        problem = label_problem(self.label.currentText())
        if problem:
            self.cue.setText(f"Not a name for a word: {problem}.")
            return False
        if self.window_.mic.buffer is None:
            self.cue.setText("Not listening: turn listening on (Audio > Listen) to record.")
            return False
        self._left = self.count.value()
        self.record_button.setEnabled(False)
        self._next()
        return True

    def _next(self) -> None:
        buf = self.window_.mic.buffer
        if self._left <= 0 or buf is None:
            self.record_button.setEnabled(True)
            self.cue.setText(f"Done: {self.takes.count()} takes of '{self.current_label()}'.")
            return
        done = self.count.value() - self._left + 1
        self.cue.setText(f"Say '{self.current_label()}' now ({done} of {self.count.value()})")
        self._from = buf.total_written
        self._timer.start(int(TAKE_S * 1000))

    def _take_done(self) -> None:
        buf = self.window_.mic.buffer
        x = buf.span(self._from, self._from + int(TAKE_S * buf.sample_rate_hz)) if buf is not None else None
        problem = "nothing was recorded" if x is None or not x.size else take_problem(x, buf.sample_rate_hz)
        if problem:  # refused on the spot, and taken again (three in a row: something is wrong with the input)
            self.refused += 1
            self._refused_in_row += 1
            if self._refused_in_row >= MAX_REFUSED_IN_A_ROW:
                self._refused_in_row = 0
                self.record_button.setEnabled(True)
                self.cue.setText(f"Stopped: {MAX_REFUSED_IN_A_ROW} takes in a row were not kept ({problem}). "
                                 "Is the right microphone on, and not muted?")
                return
            self.cue.setText(f"That take was not kept: {problem}. Again…")
            QTimer.singleShot(GAP_MS * 2, self._next)
            return
        self._refused_in_row = 0
        self._left -= 1
        path = save_example(self.current_label(), word_window(x, buf.sample_rate_hz), buf.sample_rate_hz, self.folder)
        self.refresh()
        items = self.takes.findItems(path.name, Qt.MatchExactly)
        if items:
            self.takes.setCurrentItem(items[0])
        self.cue.setText("…")
        QTimer.singleShot(GAP_MS, self._next)

    # -- the takes -----------------------------------------------------------------------------------------
    def selected_path(self) -> Path | None:
        item = self.takes.currentItem()
        return Path(item.data(Qt.UserRole)) if item is not None else None

    def show_selected(self, *_):
        path = self.selected_path()
        if path is None:
            self.image.clear()
            return
        try:
            rate, x = read_wav(path)
        except AudioError as exc:
            self.cue.setText(str(exc))
            return
        settings = self.window_.model_info.settings if self.window_.model_info is not None else None
        feats = features_from_wave(x, rate, settings) if settings is not None else features_from_wave(x, rate)
        self.image.setImage(feats.T, autoLevels=False, levels=(-8.0, 14.0))

    def play_selected(self) -> None:
        path = self.selected_path()
        if path is None:
            return
        try:
            import sounddevice as sd

            rate, x = read_wav(path)
            sd.play(np.asarray(x, np.float32), rate)
        except (AudioError, OSError, ImportError) as exc:
            self.cue.setText(f"Cannot play it: {str(exc).splitlines()[0]}")
        except Exception as exc:  # PortAudio's own errors
            self.cue.setText(f"Cannot play it: {type(exc).__name__}: {str(exc).splitlines()[0]}")

    def delete_selected(self) -> None:
        path = self.selected_path()
        if path is not None:
            path.unlink(missing_ok=True)
            self.refresh()

    def import_files(self, paths: list[str] | None = None) -> int:
        """Copy wav files in as takes of the current word; returns how many (unreadable ones are named, not copied)."""
        label = self.current_label()
        if paths is None:
            paths, _ = QFileDialog.getOpenFileNames(self, "Wav files of '" + label + "'", "", "Wave files (*.wav)")
        copied, bad = 0, []
        for p in paths:
            try:
                read_wav(p, max_seconds=1.0)  # readable at all
            except AudioError as exc:
                bad.append(str(exc))
                continue
            dest = self.folder / label / Path(p).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dest)
            copied += 1
        self.refresh()
        self.cue.setText(f"Imported {copied} take(s)" + (f"; skipped: {bad[0]}" if bad else "."))
        return copied
