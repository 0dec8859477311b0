"""Single widgets as a user reads them: the command display before and after a command, the history with long names."""

from PySide6.QtCore import Qt

from kwsapp.core.labels import LABELS
from kwsapp.gui.command_label import PLACEHOLDER, CommandDisplay
from kwsapp.gui.history import HistoryList


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
    assert "stop" in newest.text() and "0.84" in newest.text() and newest.toolTip() == ""
    assert oldest.text().endswith("yes    0.91  (and_a_long_file_name_take_17.wav)") and oldest.toolTip() == path
    assert "/home" not in oldest.text() and h.textElideMode() == Qt.ElideRight
