"""The window under pytest-qt, offscreen: it builds, menus trigger, settings persist, errors are messages."""

import re
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog

from kwsapp.core.audio import write_wav
from kwsapp.core.decisions import DEFAULT_HOP_MS, DecisionSettings
from kwsapp.gui.main_window import BUNDLED_MODEL

MODEL_TIMEOUT_MS = 60_000


def test_window_builds_loads_the_bundled_model_and_reports_the_missing_microphone(make_window, qtbot):
    w = make_window()
    assert w.windowTitle().startswith("kwsapp")
    titles = [a.text().replace("&", "") for a in w.menuBar().actions()]
    assert titles == ["File", "Audio", "Model", "Help"]
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=MODEL_TIMEOUT_MS)
    assert Path(w.model_info.path) == BUNDLED_MODEL
    assert re.fullmatch(rf"model: {BUNDLED_MODEL.name} \+ its verifier \(loaded in \d+ ms\)", w.status_model.text()), \
        w.status_model.text()
    assert w.model_info.verifier == "verifier"
    # the device does not exist: a message in the window, listening is off, the rest goes on
    assert w.message_bar.isVisible() and "Microphone" in w.message_bar.text()
    assert "no-such-device-kwsapp-test" in w.message_bar.text() or "no microphone" in w.message_bar.text()
    assert not w.menus.audio.listen.isChecked() and not w.mic.is_open


def test_listen_action_retries_and_shows_the_error_again(make_window, qtbot):
    w = make_window()
    qtbot.waitUntil(lambda: "Microphone" in w.message_bar.text())
    n = len(w.message_bar.messages)
    w.menus.audio.listen.trigger()
    assert len(w.message_bar.messages) == n + 1 and not w.menus.audio.listen.isChecked()


def test_no_portaudio_is_a_message(make_window, qtbot, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import sounddevice now fails as it does without it
    w = make_window(device=None)
    qtbot.waitUntil(lambda: "Microphone" in w.message_bar.text())
    assert "sounddevice" in w.message_bar.text()
    w.menus.audio.list_devices()
    assert not w.menus.audio.devices.actions()[0].isEnabled()


def test_a_broken_model_is_a_message_and_the_bundled_one_still_loads(make_window, qtbot, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(BUNDLED_MODEL, broken)
    (broken / "model.tflite").write_bytes(b"\0" * 100)
    w = make_window(model_dir=str(broken))
    qtbot.waitUntil(lambda: "Model not loaded" in w.message_bar.text(), timeout=MODEL_TIMEOUT_MS)
    assert "model.tflite" in w.message_bar.text() and w.model_info is None
    w.menus.model.bundled.trigger()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=MODEL_TIMEOUT_MS)
    assert Path(w.model_info.path) == BUNDLED_MODEL


def test_missing_model_folder_is_a_message(make_window, qtbot, tmp_path):
    w = make_window(model_dir=str(tmp_path / "nowhere"))
    qtbot.waitUntil(lambda: "Model not loaded" in w.message_bar.text(), timeout=MODEL_TIMEOUT_MS)
    assert "nowhere" in w.message_bar.text()


def test_settings_persist_between_launches(make_window, qtbot, settings_file):
    w = make_window()
    w.panel.threshold.setValue(0.7)  # none of them the default, so what comes back was saved
    w.panel.refractory.setValue(2000)
    w.panel.average_window.setValue(750)
    w.panel.minimum_count.setValue(3)
    w.panel.hop.setValue(200)
    w.resize(1000, 640)
    qtbot.waitUntil(lambda: abs(w.worker.decisions.threshold - 0.7) < 1e-9)  # reached the worker thread
    w.close()
    from kwsapp.core.shared_settings import shared_settings_path

    assert "size=" in settings_file.read_text()  # the window's own, in its QSettings
    assert '"threshold": 0.7' in shared_settings_path().read_text()  # the decisions, where the command line reads them
    w2 = make_window()
    assert abs(w2.panel.threshold.value() - 0.7) < 1e-9
    assert w2.panel.refractory.value() == 2000 and w2.panel.average_window.value() == 750 and w2.panel.hop.value() == 200
    assert w2.panel.minimum_count.value() == 3
    assert w2.worker.hop_ms == 200 and w2.size().width() == 1000
    qtbot.waitUntil(lambda: w2.worker.decisions.minimum_count == 3)

    w2.panel.defaults.click()  # back to the sweep's choice, in the panel and in the worker thread
    default = DecisionSettings()
    qtbot.waitUntil(lambda: w2.worker.decisions == default and w2.worker.hop_ms == DEFAULT_HOP_MS)
    assert w2.panel.settings() == default


def test_device_choice_is_remembered(make_window, qtbot, settings_file):
    w = make_window()
    qtbot.waitUntil(lambda: "Microphone" in w.message_bar.text())
    n = len(w.message_bar.messages)
    w.choose_device("another-missing-device")
    assert len(w.message_bar.messages) == n + 1 and not w.mic.is_open  # tried, failed, said so
    w.close()
    w2 = make_window(device=None)
    assert w2.device_spec == "another-missing-device"


@pytest.fixture
def spoken_stop(tmp_path, needs_espeak):
    from trainer.data.synth import RATE_HZ, spoken_sequence

    path = tmp_path / "stop.wav"
    write_wav(path, spoken_sequence(["stop"], [0.2], 1.0, tmp_path), RATE_HZ)
    return path


def test_open_wav_from_the_menu(make_window, qtbot, monkeypatch, spoken_stop):
    w = make_window()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=MODEL_TIMEOUT_MS)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(spoken_stop), "Wave files (*.wav)"))
    w.menus.file.open_wav.trigger()
    qtbot.waitUntil(lambda: len(w.history.entries) == 1, timeout=10_000)
    assert w.history.entries[0][:2] == ("stop.wav", "stop")
    assert w.command.word.text() == "stop"
    assert w.settings.value("files/last_wav_dir") == str(spoken_stop.parent)


def test_drop_a_wav_on_the_window(make_window, qtbot, spoken_stop, tmp_path):
    w = make_window()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=MODEL_TIMEOUT_MS)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(spoken_stop))])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    w.dropEvent(event)
    qtbot.waitUntil(lambda: len(w.history.entries) == 1, timeout=10_000)
    assert w.history.entries[0][1] == "stop"


def test_an_unreadable_wav_is_a_message(make_window, qtbot, tmp_path):
    w = make_window()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=MODEL_TIMEOUT_MS)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF nonsense")
    w.classify_file(str(bad))
    qtbot.waitUntil(lambda: "bad.wav" in w.message_bar.text(), timeout=10_000)
    assert "not a readable wav" in w.message_bar.text() and not w.history.entries


def test_audio_written_to_the_buffer_is_classified_and_announced(make_window, qtbot, tmp_path, needs_espeak):
    """The worker's own path (timers, ring buffer, decisions) without a sound card: feed the buffer in real time."""
    from PySide6.QtCore import QTimer

    from kwsapp.core.ringbuffer import AudioRingBuffer
    from trainer.data.synth import RATE_HZ, spoken_sequence

    w = make_window(detections_log=str(tmp_path / "log.jsonl"))
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=MODEL_TIMEOUT_MS)
    wave = spoken_sequence(["go"], [0.8], 3.0, tmp_path)
    buf = AudioRingBuffer(RATE_HZ * 10, RATE_HZ)
    w.request_source.emit(buf)
    block = RATE_HZ // 20
    pos = {"i": 0}

    def feed():
        i = pos["i"]
        if i < wave.size:
            buf.write(wave[i:i + block])
            pos["i"] = i + block

    timer = QTimer()
    timer.timeout.connect(feed)
    timer.start(50)
    qtbot.waitUntil(lambda: len(w.announced) >= 1, timeout=15_000)
    timer.stop()
    assert w.announced[0]["label"] == "go" and w.history.entries[0][1] == "go"
    assert (tmp_path / "log.jsonl").read_text().count("\n") == 1
    assert w.spectrogram.frames_shown > 0 and w.level.level_dbfs > -60
    # the picture really shows the spectrogram: many colours across the plot, not one stretched pixel
    img = w.spectrogram.grab().toImage()
    colours = {img.pixel(x, y) for x in range(img.width() // 4, img.width() * 3 // 4, 7)
               for y in range(img.height() // 4, img.height() * 3 // 4, 7)}
    assert len(colours) > 50, len(colours)
    assert "ms/hop" in w.status_inference.text()


def test_menus_open_the_dialogs(make_window, qtbot):
    w = make_window()
    w.menus.model.train.trigger()
    assert w.dialogs.train.isVisible()
    assert not w.dialogs.train.start()  # no folders yet: says so instead of starting
    assert "Choose a data folder" in w.dialogs.train.status.text()
    w.menus.file.export.trigger()
    from kwsapp.bundled import spectrogram_model_dir

    # the model in use when it can write the submission, else the bundled spectrogram model (the Kaggle path)
    assert w.dialogs.export.isVisible() and w.dialogs.export.model.text() in (w.model_dir, str(spectrogram_model_dir()))
    w.dialogs.train.close()
    w.dialogs.export.close()


def test_open_model_folder_from_the_menu_and_remember_it(make_window, qtbot, monkeypatch, tmp_path):
    copy = tmp_path / "my_model"
    shutil.copytree(BUNDLED_MODEL, copy)
    w = make_window()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=MODEL_TIMEOUT_MS)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(copy))
    w.menus.file.open_model.trigger()
    qtbot.waitUntil(lambda: Path(w.model_info.path) == copy, timeout=MODEL_TIMEOUT_MS)
    assert "my_model" in w.status_model.text()
    w.close()
    w2 = make_window()  # the next launch opens it again
    qtbot.waitUntil(lambda: w2.model_info is not None, timeout=MODEL_TIMEOUT_MS)
    assert Path(w2.model_info.path) == copy


def test_a_broken_settings_file_falls_back_to_the_defaults_with_a_note(make_window, qtbot, settings_file):
    # each of these once crashed the app (traceback, exit 1; a huge window, exit 134) or spun a core (hop 0)
    settings_file.write_text(
        "[decisions]\nthreshold=abc\nminimum_count=-3\naverage_window_ms=nan\nrefractory_ms=700\n"
        "[audio]\nhop_ms=0\n"
        "[window]\nsize=@Size(99999999 99999999)\npos=somewhere\nmaximized=perhaps\n"
        "[model]\nlast_dir=@Size(1 2)\n")
    w = make_window()
    d = w.panel.settings()
    default = DecisionSettings()
    assert (d.threshold, d.minimum_count, d.average_window_ms) == (default.threshold, default.minimum_count,
                                                                    default.average_window_ms)
    assert d.refractory_ms == 700  # the good value is kept
    assert w.panel.hop.value() == DEFAULT_HOP_MS and w.worker.hop_ms == DEFAULT_HOP_MS
    assert w.width() < 10_000 and not w.isMaximized()
    notes = [m for m in w.message_bar.messages if m.startswith("Settings")]
    assert len(notes) == 1 and "\n" not in notes[0]
    for key in ("decisions/threshold", "audio/hop_ms", "window/size", "window/maximized", "model/last_dir"):
        assert key in notes[0]
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=MODEL_TIMEOUT_MS)  # the bundled model
    assert Path(w.model_info.path) == BUNDLED_MODEL
    # the bad values were dropped: the next launch has nothing to say
    w.close()
    again = make_window()
    assert not [m for m in again.message_bar.messages if m.startswith("Settings")]


def test_help_about_names_the_version_the_settings_file_and_the_shortcuts(make_window, monkeypatch, settings_file):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    w = make_window()
    help_menu = [a for a in w.menuBar().actions() if a.text().replace("&", "") == "Help"][0].menu()
    [a for a in help_menu.actions() if "About" in a.text()][0].trigger()
    assert len(shown) == 1 and str(settings_file) in shown[0] and "Ctrl+L" in shown[0] and "kwsapp 0." in shown[0]


def test_one_number_for_an_announcement_said_the_same_way_everywhere(make_window, qtbot, tmp_path):
    import numpy as np

    from kwsapp.core.audio import write_wav
    from kwsapp.core.labels import LABELS
    from kwsapp.gui.workers import HopReport

    w = make_window()

    def hop(label, score, new):
        scores = np.zeros(len(LABELS), np.float32)
        scores[LABELS.index(label)] = score
        w._hop(HopReport(time_s=1.0, label=label, score=score, is_new_command=new, scores=scores, compute_ms=1.0))

    hop("stop", 0.60, True)
    hop("stop", 0.85, False)  # the average goes on rising while the word is in the window: the bar shows it ...
    assert w.scores.value("stop") == 850
    assert "score 60%" in w.command.confidence.text()  # ... the announcement keeps its own number, as the history
    assert w.history.item(0).text().split()[1:] == ["stop", "60%"]
    # a wav opened from the menu: its scores stay on the bars while its result is shown, whatever the microphone says
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=30_000)
    write_wav(tmp_path / "tone.wav", np.sin(np.arange(16000) * 0.2).astype(np.float32) * 0.3, 16000)
    w.classify_file(str(tmp_path / "tone.wav"))
    qtbot.waitUntil(lambda: "tone.wav" in w.command.confidence.text(), timeout=30_000)
    shown = [w.scores.value(lab) for lab in LABELS]
    hop("yes", 0.95, False)
    assert [w.scores.value(lab) for lab in LABELS] == shown


def test_a_model_that_fails_to_load_leaves_the_old_one_named_and_listening(make_window, qtbot, tmp_path):
    w = make_window()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=30_000)
    (tmp_path / "broken").mkdir()
    w.load_model(str(tmp_path / "broken"))
    qtbot.waitUntil(lambda: "Model not loaded" in w.message_bar.text(), timeout=30_000)
    assert w.status_model.text().startswith(f"model: {BUNDLED_MODEL.name} (the one asked for did not load)")
    assert Path(w.worker.model_dir) == BUNDLED_MODEL and Path(w.model_info.path) == BUNDLED_MODEL  # still the one heard


def test_the_menu_option_writes_and_removes_the_autostart_entry(make_window, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    from kwsapp import desktop

    w = make_window()
    assert not w.menus.file.autostart.isChecked()
    w.menus.file.autostart.setChecked(True)
    assert desktop.autostart_enabled() and "start at login" in w.message_bar.text()
    w.menus.file.autostart.setChecked(False)
    assert not desktop.autostart_enabled()


def test_without_a_tray_the_keep_in_tray_option_cannot_be_ticked(make_window):
    w = make_window()
    if w.tray is not None:
        pytest.skip("this desktop has a system tray")
    assert not w.menus.audio.close_to_tray.isEnabled() and not w.menus.audio.close_to_tray.isChecked()
    assert "no system tray" in w.menus.audio.close_to_tray.text()


def test_a_dark_scheme_keeps_every_text_readable(make_window, qtbot, tmp_path):
    """The desktop switches to a dark scheme (its palette): the window follows, and the command, its score and the
    bars stay readable (light on dark). A screenshot of each scheme is kept when KWSAPP_KEEP_SCREENSHOT_DIR is set."""
    import os

    import numpy as np
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    from kwsapp.core.labels import LABELS
    from kwsapp.gui.workers import HopReport

    app = QApplication.instance()
    light = app.palette()
    w = make_window()
    w.resize(1180, 680)
    scores = np.linspace(0.1, 0.9, len(LABELS)).astype(np.float32)

    def contrast(label):
        fg = QColor(label.styleSheet().split("color:")[1].split(";")[0].strip())
        bg = label.palette().color(QPalette.ColorRole.Window)
        return abs(fg.lightness() - bg.lightness())

    shots = os.environ.get("KWSAPP_KEEP_SCREENSHOT_DIR")
    try:
        for name, pal in (("light", light), ("dark", dark_palette())):
            app.setPalette(pal)
            w._hop(HopReport(1.0, "yes", 0.91, True, scores, 1.0))
            qtbot.wait(50)
            assert contrast(w.command.word) >= 90 and contrast(w.command.confidence) >= 60, name
            if shots:
                w.grab().save(os.path.join(shots, f"screenshot-{name}.png"))
    finally:
        app.setPalette(light)


def dark_palette():
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
                         (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.AlternateBase, "#2b2b2b"),
                         (QPalette.ColorRole.Text, "#e6e6e6"), (QPalette.ColorRole.Button, "#353535"),
                         (QPalette.ColorRole.ButtonText, "#e6e6e6"), (QPalette.ColorRole.Highlight, "#3d7bd9"),
                         (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.PlaceholderText, "#9a9a9a"),
                         (QPalette.ColorRole.Link, "#7fb2ff")):
        p.setColor(role, QColor(colour))
    return p
