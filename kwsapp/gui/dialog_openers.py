"""The main window's dialogs: each opens with the fields it had last time (QSettings) and is wired back to the window
(a trained model loads, an evaluation's result shows in the message bar); the window keeps the last one of each kind
in ``window.dialogs``."""

from __future__ import annotations

from pathlib import Path

from .settings_store import SettingsReader


class Dialogs:
    """The last dialog of each kind the window opened (None until then)."""

    def __init__(self):
        self.train = self.export = self.stream_eval = self.commands = None
        self.recorder = self.finetune = self.calibrate = None


def _remember(window, dlg, fields: dict):
    """Save each field's text under its key when the dialog's job starts."""
    dlg.started.connect(lambda: [window.settings.setValue(key, edit.text()) for key, edit in fields.items()])


def open_train(window):
    from .train_dialog import TrainDialog

    s = SettingsReader(window.settings)
    dlg = TrainDialog(s.text("train/data_dirs", ""), s.text("train/out_dir", ""), s.number("train/epochs", 0, 0, 500), window)
    window.dialogs.train = dlg
    dlg.model_ready.connect(window.load_model)
    _remember(window, dlg, {"train/data_dirs": dlg.data, "train/out_dir": dlg.out})
    dlg.started.connect(lambda: window.settings.setValue("train/epochs", dlg.epochs.value()))
    dlg.show()
    return dlg


def open_export(window):
    from ..bundled import spectrogram_model_dir
    from .export_dialog import ExportDialog, kaggle_model_problem

    s = SettingsReader(window.settings)
    model, why = window.model_dir, kaggle_model_problem(window.model_dir)
    if why:  # offer a model that can write it, and say why the one in use cannot
        model = str(spectrogram_model_dir())
    dlg = ExportDialog(s.text("export/data_dir", ""), model, s.text("export/out_csv", ""), window)
    if why:
        dlg.status.setText(f"The model in use cannot write the submission ({why}); the bundled DS-CNN is chosen.")
    window.dialogs.export = dlg
    _remember(window, dlg, {"export/data_dir": dlg.data, "export/out_csv": dlg.out})
    dlg.show()
    return dlg


def open_stream_eval(window):
    from .stream_eval_dialog import StreamEvalDialog

    s = SettingsReader(window.settings)
    dlg = StreamEvalDialog(window.model_dir, window.panel.settings(), float(window.panel.hop.value()),
                           s.text("stream_eval/wav", ""), s.text("stream_eval/truth", ""), window)
    window.dialogs.stream_eval = dlg
    _remember(window, dlg, {"stream_eval/wav": dlg.wav, "stream_eval/truth": dlg.truth})
    dlg.result_ready.connect(lambda r: window.message_bar.show_message(
        f"{Path(r['wav']).name}: correct {r['correct']:.1%}, wrong {r['wrong']:.1%}, missed {r['missed']:.1%}, "
        f"{r['false_alarms_per_hour']:.1f} false alarms per hour", error=False))
    dlg.show()
    return dlg


def open_commands(window, confirm=None):
    """File > Commands…: edit the bindings; OK keeps them where the actions live (settings or the --actions file)."""
    from .commands_dialog import CommandsDialog

    labels = window.model_info.labels if window.model_info is not None else window.scores.labels
    dlg = CommandsDialog(window.actions.actions, labels, window, confirm=confirm)
    dlg.accepted.connect(lambda: window.actions.set_actions(dlg.result_actions))
    window.dialogs.commands = dlg
    dlg.show()
    return dlg


def import_actions(window, path: str | None = None):
    from PySide6.QtWidgets import QFileDialog

    from ..core.actions import ActionsError

    path = path or QFileDialog.getOpenFileName(window, "Import actions", "", "JSON (*.json)")[0]
    if path:
        try:
            window.actions.import_file(path)
            window.message_bar.show_message(f"Actions imported from {path}.", error=False)
        except ActionsError as exc:
            window.message_bar.show_message(str(exc))


def export_actions(window, path: str | None = None):
    from PySide6.QtWidgets import QFileDialog

    path = path or QFileDialog.getSaveFileName(window, "Export actions", "actions.json", "JSON (*.json)")[0]
    if path:
        try:
            window.actions.export_file(path)
            window.message_bar.show_message(f"Actions written to {path}.", error=False)
        except OSError as exc:
            window.message_bar.show_message(f"{exc.filename}: cannot write the actions ({exc.strerror})")


def show_about(window):
    """Help > About: the version, the model, where the settings live, the shortcuts."""
    from importlib.metadata import PackageNotFoundError, version

    from PySide6.QtWidgets import QMessageBox

    try:
        v = version("kwsapp")
    except PackageNotFoundError:
        v = "(not installed)"
    QMessageBox.about(window, "kwsapp", f"kwsapp {v}: say one of yes, no, up, down, left, right, on, off, stop, go.\n\n"
                      f"Model: {window.model_dir}\nSettings: {window.settings.fileName()}\n\n"
                      "Shortcuts: Ctrl+L listen on/off, Ctrl+Shift+A actions on/off, Ctrl+O open a wav file, Ctrl+Q quit.")


def open_recorder(window):
    from .recorder_dialog import RecorderDialog

    labels = window.model_info.labels if window.model_info is not None else window.scores.labels
    dlg = window.dialogs.recorder = RecorderDialog(window, labels)
    pause_actions_while(window, dlg, "recording examples")
    dlg.show()
    return dlg


def open_finetune(window):
    from .finetune_dialog import FinetuneDialog

    dlg = window.dialogs.finetune = FinetuneDialog(window.model_dir, window)
    dlg.model_ready.connect(window.load_model)
    pause_actions_while(window, dlg, "fine-tuning")
    dlg.show()
    return dlg


def open_calibrate(window):
    from .calibrate_dialog import CalibrateDialog

    dlg = window.dialogs.calibrate = CalibrateDialog(window)
    pause_actions_while(window, dlg, "calibrating")
    dlg.show()
    return dlg


def pause_actions_while(window, dlg, reason: str) -> None:
    """No action runs while the dialog is open: the words said for it are not commands (and the window says so)."""
    window.actions.pause(reason)
    dlg.finished.connect(lambda *_: window.actions.resume(reason))
