"""Actions through the real window: announcements fire them once, the master switch stops them, the Commands dialog
asks before a program is enabled, and a model folder cannot carry any."""

import json
import shutil
import sys

import numpy as np
import pytest

from kwsapp.core.labels import LABELS
from kwsapp.gui.main_window import BUNDLED_MODEL
from kwsapp.gui.workers import HopReport


def announce(w, label, new=True, score=0.9):
    w._hop(HopReport(1.0, label, score, new, np.zeros(len(LABELS), np.float32), 0.5))


def writer(path):
    """A program that appends one line to ``path`` each time it runs."""
    return [sys.executable, "-c", "import sys; open(sys.argv[1], 'a').write('x\\n')", str(path)]


def test_an_announcement_runs_its_program_once_and_logs_the_result(make_window, qtbot, tmp_path):
    ran, log = tmp_path / "ran.txt", tmp_path / "detections.jsonl"
    actions = tmp_path / "actions.json"
    actions.write_text(json.dumps({"enabled": True, "bindings": [
        {"label": "yes", "action": "run", "argv": writer(ran), "enabled": True}]}))
    w = make_window(actions_file=str(actions), detections_log=str(log))
    assert w.menus.audio.actions_on.isChecked()
    announce(w, "yes")
    announce(w, "yes", new=False)  # a later hop of the same word: not an announcement
    announce(w, "no")              # no binding
    qtbot.waitUntil(lambda: w.history.count() == 3, timeout=10_000)
    # newest first: "no", then "yes" with its result just below it (not above, as if it were the newest)
    texts = [w.history.item(i).text() for i in range(3)]
    assert " no " in texts[0] and " yes " in texts[1] and "run: ran" in texts[2], texts
    assert ran.read_text() == "x\n"
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert [x["label"] for x in lines if "time_s" in x] == ["yes", "no"]
    assert [x["action"]["ok"] for x in lines if "action" in x] == [True]
    # the master switch off (toolbar / Audio menu): nothing runs, and the file keeps the switch
    w.menus.audio.actions_on.setChecked(False)
    assert json.loads(actions.read_text())["enabled"] is False
    announce(w, "yes")
    qtbot.wait(500)
    assert ran.read_text() == "x\n"


def test_a_model_folder_cannot_carry_actions(make_window, qtbot, tmp_path):
    folder = tmp_path / "model_with_actions"
    shutil.copytree(BUNDLED_MODEL, folder)
    ran = tmp_path / "ran.txt"
    (folder / "actions.json").write_text(json.dumps({"enabled": True, "bindings": [
        {"label": "yes", "action": "run", "argv": writer(ran), "enabled": True}]}))
    w = make_window(model_dir=str(folder))
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=30_000)
    assert w.model_info.path == str(folder)
    assert w.actions.actions.bindings == () and not w.menus.audio.actions_on.isChecked()
    announce(w, "yes")
    qtbot.wait(500)
    assert not ran.exists()


def test_the_commands_dialog_asks_before_a_program_and_keeps_the_answer(make_window, qtbot, tmp_path):
    from kwsapp.core.actions import Binding
    from kwsapp.gui import dialog_openers

    w = make_window()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=30_000)
    asked = []
    dlg = dialog_openers.open_commands(w, confirm=lambda b: asked.append(b.argv) or False)
    dlg.master.setChecked(True)
    dlg.add_row(Binding("yes", "run", argv=("notify-send", "heard; $(rm -rf ~)"), enabled=True))
    dlg.add_row(Binding("up", "keys", keys="ctrl+alt+Up", enabled=True))
    assert dlg.accept_if_valid()
    # asked with exactly what would run, refused: kept, but off
    assert asked == [("notify-send", "heard; $(rm -rf ~)")]
    saved = json.loads(w.settings.value("actions/json"))
    assert saved["enabled"] is True and [b["enabled"] for b in saved["bindings"]] == [False, True]
    assert saved["bindings"][0]["argv"] == ["notify-send", "heard; $(rm -rf ~)"]
    # the same program enabled again, this time accepted; a program already trusted is not asked about again
    dlg = dialog_openers.open_commands(w, confirm=lambda b: asked.append(b.argv) or True)
    dlg.table.cellWidget(0, 3).setChecked(True)
    assert dlg.accept_if_valid() and len(asked) == 2 and w.actions.actions.bindings[0].enabled
    dlg = dialog_openers.open_commands(w, confirm=lambda b: asked.append(b.argv) or True)
    assert dlg.accept_if_valid() and len(asked) == 2
    # a bad row is a one-line message naming it; nothing is saved
    dlg = dialog_openers.open_commands(w, confirm=lambda b: True)
    dlg.add_row(Binding("go", "keys", keys="ctrl+Up"))
    dlg.table.cellWidget(2, 2).setText("hyper+x")
    assert not dlg.accept_if_valid() and dlg.status.text().startswith("row 3 (label 'go'): 'keys':")
    assert len(json.loads(w.settings.value("actions/json"))["bindings"]) == 2


def test_import_and_export_of_actions(make_window, tmp_path):
    from kwsapp.gui import dialog_openers

    w = make_window()
    good = tmp_path / "in.json"
    good.write_text(json.dumps({"enabled": False, "bindings": [{"label": "stop", "action": "notify", "enabled": True}]}))
    dialog_openers.import_actions(w, str(good))
    assert [b.label for b in w.actions.actions.bindings] == ["stop"]
    dialog_openers.export_actions(w, str(tmp_path / "out.json"))
    assert json.loads((tmp_path / "out.json").read_text()) == json.loads(good.read_text())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"bindings": [{"label": "stop", "action": "shell"}]}))
    dialog_openers.import_actions(w, str(bad))
    assert str(bad) in w.message_bar.text() and "bindings[0]" in w.message_bar.text()
    assert [b.label for b in w.actions.actions.bindings] == ["stop"]  # unchanged


@pytest.mark.parametrize("content", ["{not json", json.dumps({"bindings": [{"label": "yes", "action": "run"}]}),
                                     "[" * 2000 + "]" * 2000])
def test_a_bad_actions_file_stops_the_app_with_one_line(tmp_path, content):
    import subprocess

    f = tmp_path / "actions.json"
    f.write_text(content)
    r = subprocess.run([sys.executable, "-m", "kwsapp", "--actions", str(f)], capture_output=True, text=True,
                       timeout=60, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2 and r.stderr.startswith(f"error: {f}") and r.stderr.count("\n") == 1, r.stderr


def test_a_binding_the_model_cannot_announce_shows_as_inactive(make_window, qtbot):
    from kwsapp.core.actions import ActionSet, Binding
    from kwsapp.gui import dialog_openers

    w = make_window()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=30_000)
    w.actions.set_actions(ActionSet(True, (Binding("lights", "notify", enabled=True), Binding("yes", "notify"))))
    dlg = dialog_openers.open_commands(w)
    lights, yes = dlg.table.cellWidget(0, 0), dlg.table.cellWidget(1, 0)
    assert "not a label of the loaded model" in lights.toolTip()
    assert lights.palette().color(lights.palette().ColorRole.PlaceholderText).name() in lights.styleSheet()  # greyed
    assert yes.toolTip() == "" and yes.styleSheet() == ""
    dlg.close()


def test_that_was_wrong_saves_the_last_command_as_unknown(make_window, tmp_path, monkeypatch):
    from kwsapp.core.ringbuffer import AudioRingBuffer

    monkeypatch.setenv("KWSAPP_DATA_DIR", str(tmp_path / "data"))
    w = make_window()
    w.menus.audio.wrong.trigger()
    assert "Nothing was announced yet" in w.message_bar.text()
    buf = AudioRingBuffer(16000 * 10, 16000)
    buf.write(np.full(16000 * 5, 0.05, np.float32))
    monkeypatch.setattr(w.mic, "buffer", buf)
    w.announced.append({"time_s": 4.0, "label": "go", "score": 0.8})
    w.menus.audio.wrong.trigger()
    saved = list((tmp_path / "data" / "examples" / "unknown").glob("wrong_*.wav"))
    assert len(saved) == 1 and "Saved the 'go' at 4.0 s as an example of unknown" in w.message_bar.text()


def test_the_app_starts_whatever_the_settings_hold_as_actions(make_window, settings_file):
    from PySide6.QtCore import QSettings

    for bad in ["[" * 2000 + "]" * 2000, "{not json", json.dumps({"enabled": True, "bindings": [{"label": 3}]})]:
        s = QSettings(str(settings_file), QSettings.Format.IniFormat)
        s.setValue("actions/json", bad)
        s.sync()
        w = make_window()
        assert w.actions.actions.bindings == () and not w.menus.audio.actions_on.isChecked()
        assert w.actions.load_problem and w.actions.load_problem.endswith("actions are off")
        assert "\n" not in w.actions.load_problem


def test_actions_pause_while_recording_calibrating_or_fine_tuning(make_window, qtbot, tmp_path, monkeypatch):
    from kwsapp.gui import dialog_openers

    monkeypatch.setenv("KWSAPP_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "ran.txt"
    actions = tmp_path / "actions.json"
    actions.write_text(json.dumps({"enabled": True, "bindings": [
        {"label": "yes", "action": "run", "argv": writer(out), "enabled": True}]}))
    w = make_window(actions_file=str(actions))
    rec = dialog_openers.open_recorder(w)
    assert "paused while recording examples" in w.message_bar.text()
    announce(w, "yes")
    assert w.actions.fire("yes", 0.9) == 0
    cal = dialog_openers.open_calibrate(w)
    rec.close()
    assert "paused while calibrating" in w.message_bar.text()
    cal.close()
    assert not w.actions.paused_for and not (w.message_bar.isVisible() and "paused" in w.message_bar.text())
    announce(w, "yes")
    qtbot.waitUntil(lambda: out.is_file() and out.read_text() == "x\n", timeout=10_000)  # once: after the dialogs
