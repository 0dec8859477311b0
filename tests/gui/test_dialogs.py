"""Train... and Export submission... for real: the trainer runs in its own process while the window stays live."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kwsapp.bundled import spectrogram_model_dir
from kwsapp.gui import dialog_openers

BUNDLED_MODEL = spectrogram_model_dir()  # the Train dialog's recipe and the Kaggle export are this model's

pytestmark = pytest.mark.slow


def test_train_cancel_resume_and_load(make_window, qtbot, synth_root, tmp_path):
    w = make_window()
    dlg = dialog_openers.open_train(w)
    out = tmp_path / "model"
    dlg.data.setText(str(synth_root))
    dlg.out.setText(str(out))
    dlg.epochs.setValue(30)
    assert dlg.start()
    # live curves come from history.csv; cancel once two epochs are in
    qtbot.waitUntil(lambda: dlg.progress.value() >= 2, timeout=300_000)
    assert len(dlg.curves["val_accuracy"].getData()[0]) >= 2
    dlg.cancel()
    qtbot.waitUntil(lambda: not dlg.process.running, timeout=120_000)
    assert "Cancelled" in dlg.status.text(), dlg.status.text()
    assert dlg.resume.isChecked() and (out / ".checkpoint").is_dir() and not (out / "model.keras").exists()
    done = dlg.progress.value()
    dlg.epochs.setValue(done + 1)
    assert dlg.start()
    qtbot.waitUntil(lambda: not dlg.process.running, timeout=300_000)
    assert dlg.load_button.isEnabled(), dlg.status.text() + "\n" + "\n".join(dlg.process.last_lines[-10:])
    assert "Validation accuracy" in dlg.status.text() and "{" not in dlg.status.text()
    assert int(w.settings.value("train/epochs")) == done + 1  # the next Train dialog opens with these epochs
    assert dlg.progress.value() == done + 1
    assert w.settings.value("train/out_dir") == str(out)
    dlg.load_button.click()
    qtbot.waitUntil(lambda: w.model_info is not None and Path(w.model_info.path) == out, timeout=60_000)
    assert (out / "model.tflite").is_file()  # train wrote what the app runs
    trained = json.loads((out / "training.json").read_text())  # the dialog's default recipe: the bundled model's
    bundled = json.loads((Path(BUNDLED_MODEL) / "training.json").read_text())
    assert (trained["arch"], trained["lr_schedule"]) == (bundled["arch"], bundled["lr_schedule"])
    assert trained["epochs"] == done + 1
    dlg.close()


def test_export_submission_with_progress(make_window, qtbot, synth_root, tmp_path):
    w = make_window()
    dlg = dialog_openers.open_export(w)
    csv = tmp_path / "sub.csv"
    dlg.data.setText(str(synth_root))
    dlg.model.setText(str(BUNDLED_MODEL))
    dlg.out.setText(str(csv))
    seen = []
    dlg.process.progress.connect(lambda done, total: seen.append((done, total)))
    assert dlg.start()
    qtbot.waitUntil(lambda: not dlg.process.running, timeout=300_000)
    assert dlg.status.text().startswith("Written"), dlg.status.text()
    sub = pd.read_csv(csv)
    n = len(list((synth_root / "test" / "audio").glob("*.wav")))
    assert len(sub) == n and list(sub.columns) == ["fname", "label"]
    assert seen and seen[-1] == (n, n) and dlg.progress.value() == n


def test_export_errors_are_one_line_in_the_dialog(make_window, qtbot, tmp_path, synth_root):
    w = make_window()
    dlg = dialog_openers.open_export(w)
    # a data folder without clips is refused at once, before any process starts
    dlg.data.setText(str(tmp_path / "no-data-here"))
    dlg.model.setText(str(BUNDLED_MODEL))
    dlg.out.setText(str(tmp_path / "sub.csv"))
    assert not dlg.start() and not dlg.process.running
    assert dlg.status.text().startswith("Export failed: ") and "no-data-here" in dlg.status.text()
    # a missing model is refused at once too, in one line that names it
    dlg.data.setText(str(synth_root))
    dlg.model.setText(str(tmp_path / "no-model-here"))
    assert not dlg.start() and not dlg.process.running
    assert dlg.status.text().startswith("Export failed: ") and "no-model-here" in dlg.status.text(), dlg.status.text()
    assert "\n" not in dlg.status.text() and not (tmp_path / "sub.csv").exists()


def test_export_takes_the_test_audio_folder_itself(make_window, qtbot, synth_root, tmp_path):
    w = make_window()
    dlg = dialog_openers.open_export(w)
    dlg.data.setText(str(synth_root / "test" / "audio"))  # what a user picks in the folder dialog
    dlg.model.setText(str(BUNDLED_MODEL))
    dlg.out.setText(str(tmp_path / "sub.csv"))
    assert dlg.start()
    qtbot.waitUntil(lambda: not dlg.process.running, timeout=300_000)
    assert dlg.status.text().startswith("Written"), dlg.status.text()
    assert len(pd.read_csv(tmp_path / "sub.csv")) == len(list((synth_root / "test" / "audio").glob("*.wav")))


def test_evaluate_on_a_recording_from_the_menu(make_window, qtbot, synth_root, tmp_path):
    from tests.helpers import run_cli

    wav, truth = tmp_path / "s.wav", tmp_path / "s.csv"
    run_cli("make-stream", "--data", synth_root, "--split", "test", "--out", wav, "--truth", truth, "--minutes", 0.5)
    w = make_window()
    w.panel.threshold.setValue(0.6)
    w.panel.minimum_count.setValue(3)  # every setting of the panel travels, this one was once left behind
    w.menus.model.stream_eval.trigger()
    dlg = w.dialogs.stream_eval
    assert "--threshold" in dlg.arguments() and "0.6" in dlg.arguments()  # the window's own settings
    assert dlg.model.text() == w.model_dir  # the window's model to begin with; another folder can be chosen
    dlg.wav.setText(str(wav))
    dlg.truth.setText(str(truth))
    dlg.model.setText("")
    assert not dlg.start() and "Choose the model" in dlg.status.text()
    other = tmp_path / "other_model"
    shutil.copytree(BUNDLED_MODEL, other)
    dlg.model.setText(str(other))
    assert dlg.start()
    qtbot.waitUntil(lambda: not dlg.process.running, timeout=120_000)
    assert dlg.result is not None, dlg.status.text()
    assert dlg.status.text().startswith("correct ") and "false alarms per hour" in dlg.status.text()
    assert dlg.result["intervals"]["text"] in dlg.status.text()  # how far other speakers could move it
    assert "false alarms per hour" in w.message_bar.text()  # the result shows in the window too
    assert dlg.result["decisions"]["threshold"] == 0.6 and dlg.result["decisions"]["minimum_count"] == 3
    assert dlg.result["model"] == str(other)
    dlg.close()


def test_export_offers_only_a_model_that_can_write_the_submission(make_window, qtbot, tmp_path):
    """A model with a word of its own (or of another kind) is not pre-filled; chosen by hand, it is refused at once."""
    import json
    import shutil

    from kwsapp.gui import dialog_openers

    personal = tmp_path / "personal"
    shutil.copytree(BUNDLED_MODEL, personal)
    (personal / "labels.json").write_text(json.dumps(list(json.loads((personal / "labels.json").read_text())) + ["lights"]))
    w = make_window(model_dir=str(personal))
    w.model_dir = str(personal)
    dlg = dialog_openers.open_export(w)
    assert dlg.model.text() != str(personal) and "lights" in dlg.status.text()
    (tmp_path / "test" / "audio").mkdir(parents=True)
    (tmp_path / "test" / "audio" / "a.wav").write_bytes(b"")
    dlg.data.setText(str(tmp_path))
    dlg.model.setText(str(personal))
    dlg.out.setText(str(tmp_path / "s.csv"))
    assert not dlg.start() and "lights" in dlg.status.text() and not dlg.process.running


def test_the_train_dialog_can_say_the_data_is_one_part_of_a_split(qtbot):
    from kwsapp.gui.train_dialog import TrainDialog

    dlg = TrainDialog("/data/sample", "/tmp/m")
    qtbot.addWidget(dlg)
    assert "--split-salt" not in dlg.arguments()
    dlg.split.setCurrentIndex(1)
    args = dlg.arguments()
    assert args[args.index("--split-salt") + 1] == "kwsapp" and args[args.index("--test-percent") + 1] == "15"
