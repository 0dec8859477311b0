"""Single widgets as a user reads them: the command display before and after a command, the history with long names,
the score bars, the level meter and the spectrogram (and that the live ones repaint only when what they show changed)."""

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from kwsapp.core.labels import LABELS
from kwsapp.gui.command_label import PLACEHOLDER, CommandDisplay
from kwsapp.gui.history import HistoryList
from kwsapp.gui.level_meter import FLOOR_DBFS, LevelMeter
from kwsapp.gui.scores import ScoreBars


def test_the_command_display_says_what_to_say_until_a_command_comes(qtbot):
    d = CommandDisplay()
    qtbot.addWidget(d)
    assert d.word.text() == PLACEHOLDER == "no command yet" and "bold" not in d.word.styleSheet()
    assert d.confidence.text() == "say: yes, no, up, down, left, right, on, off, stop, go" and d.confidence.wordWrap()
    d.set_labels(("yes", "no", "lights", "silence", "unknown"))  # a model with a word of its own
    assert d.confidence.text() == "say: yes, no, lights"
    d.show_command("lights", 0.8)
    assert d.word.text() == "lights" and "bold" in d.word.styleSheet() and "80%" in d.confidence.text()
    d.set_labels(LABELS)  # once a command is shown, another model's hint does not replace its score
    assert "80%" in d.confidence.text()


def test_history_shows_a_files_name_and_keeps_its_path_as_tooltip(qtbot):
    h = HistoryList()
    qtbot.addWidget(h)
    path = "/home/someone/recordings/a_rather_long_folder_name/and_a_long_file_name_take_17.wav"
    h.add("yes", 0.91, source=path)
    h.add("stop", 0.84)
    newest, oldest = h.item(0), h.item(1)
    assert "stop" in newest.text() and "84%" in newest.text() and newest.toolTip() == ""
    assert oldest.text().endswith("yes     91%  (and_a_long_file_name_take_17.wav)") and oldest.toolTip() == path
    assert "/home" not in oldest.text() and h.textElideMode() == Qt.ElideRight


class CountingPaints(QObject):
    """Counts the paint events a widget gets."""

    def __init__(self, widget):
        super().__init__()
        self.paints = 0
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def test_score_bars_show_each_score_and_repaint_only_when_what_they_show_changes(qtbot):
    bars = ScoreBars(LABELS)
    qtbot.addWidget(bars)
    bars.show()
    qtbot.waitExposed(bars)
    counter = CountingPaints(bars)
    scores = np.full(len(LABELS), 0.01)
    scores[0] = 0.87
    bars.set_scores(scores)
    qtbot.waitUntil(lambda: counter.paints == 1)
    assert bars.value("yes") == 870 and bars.value("no") == 10
    img = bars.grab().toImage()
    row = [img.pixelColor(x, 9).name() for x in range(img.width())]  # the row through the middle of the yes bar
    highlight = bars.palette().color(QPalette.ColorRole.Highlight).name()
    assert row.count(highlight) > 0.5 * img.width() * 0.87 * 0.8  # most of the bar's 87 % is filled
    counter.paints = 1  # grab() painted it once more
    for _ in range(5):
        bars.set_scores(scores + 0.0004)  # the same whole percents: nothing to repaint
        QApplication.processEvents()
    assert counter.paints == 1
    scores[1] = 0.2
    bars.set_scores(scores)
    qtbot.waitUntil(lambda: counter.paints == 2)
    bars.set_labels(("yes", "lights", "silence", "unknown"))
    assert bars.value("lights") == 0 and bars.sizeHint().height() < 12 * 18


def test_level_meter_repaints_only_when_its_text_or_peak_changes(qtbot):
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.show()
    qtbot.waitExposed(meter)
    counter = CountingPaints(meter)
    meter.set_level(-30.0)
    qtbot.waitUntil(lambda: counter.paints == 1)
    for _ in range(5):
        meter.set_level(-30.01)  # shown as the same -30.0 dBFS
        QApplication.processEvents()
    assert counter.paints == 1 and meter.text == "-30.0 dBFS"
    meter.set_level(0.0)
    qtbot.waitUntil(lambda: counter.paints == 2)
    assert meter.text.endswith("CLIP") and meter.level_dbfs == 0.0
    meter.set_level(-200.0)
    assert meter.level_dbfs == FLOOR_DBFS


def test_the_spectrogram_coloured_by_the_worker_is_what_pyqtgraph_would_draw(qtbot):
    """colour_image gives, pixel for pixel, the picture pyqtgraph made from the log spectrogram with the colour
    map and levels (what the view did before the worker coloured it)."""
    import pyqtgraph as pg

    from kwsapp.gui.spectrogram import LEVELS, SpectrogramView, colour_image

    feats = np.random.default_rng(0).uniform(LEVELS[0] - 3, LEVELS[1] + 3, (300, 81)).astype(np.float32)
    views = [SpectrogramView(), SpectrogramView()]
    for v in views:
        qtbot.addWidget(v)
        v.resize(640, 400)
        v.show()
    ref = views[0].image
    ref.setLookupTable(pg.colormap.get("inferno").getLookupTable(nPts=256))
    ref.setImage(feats.T, autoLevels=False, levels=LEVELS)
    ref.setRect(-3, 0, 3, 4000)
    views[1].show_image(colour_image(feats))
    QApplication.processEvents()
    a, b = (v.grab().toImage() for v in views)
    assert a.size() == b.size()
    colours = {a.pixel(x, y) for x in range(0, a.width(), 7) for y in range(0, a.height(), 7)}
    assert len(colours) > 50  # a picture, not a flat field
    assert all(a.pixel(x, y) == b.pixel(x, y) for x in range(0, a.width(), 3) for y in range(0, a.height(), 3))
