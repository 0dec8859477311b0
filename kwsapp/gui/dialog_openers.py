"""The main window's three dialogs: each opens with the fields it had last time (QSettings) and is wired
back to the window (a trained model loads, an evaluation's result shows in the message bar)."""

from __future__ import annotations

from pathlib import Path

from .settings_store import SettingsReader


def _remember(window, dlg, fields: dict):
    """Save each field's text under its key when the dialog's job starts."""
    dlg.started.connect(lambda: [window.settings.setValue(key, edit.text()) for key, edit in fields.items()])


def open_train(window):
    from .train_dialog import TrainDialog

    s = SettingsReader(window.settings)
    dlg = TrainDialog(s.text("train/data_dirs", ""), s.text("train/out_dir", ""), s.number("train/epochs", 0, 0, 500), window)
    dlg.model_ready.connect(window.load_model)
    _remember(window, dlg, {"train/data_dirs": dlg.data, "train/out_dir": dlg.out})
    dlg.started.connect(lambda: window.settings.setValue("train/epochs", dlg.epochs.value()))
    dlg.show()
    return dlg


def open_export(window):
    from .export_dialog import ExportDialog

    s = SettingsReader(window.settings)
    dlg = ExportDialog(s.text("export/data_dir", ""), window.model_dir, s.text("export/out_csv", ""), window)
    _remember(window, dlg, {"export/data_dir": dlg.data, "export/out_csv": dlg.out})
    dlg.show()
    return dlg


def open_stream_eval(window):
    from .stream_eval_dialog import StreamEvalDialog

    s = SettingsReader(window.settings)
    dlg = StreamEvalDialog(window.model_dir, window.panel.settings(), float(window.panel.hop.value()),
                           s.text("stream_eval/wav", ""), s.text("stream_eval/truth", ""), window)
    _remember(window, dlg, {"stream_eval/wav": dlg.wav, "stream_eval/truth": dlg.truth})
    dlg.result_ready.connect(lambda r: window.message_bar.show_message(
        f"{Path(r['wav']).name}: correct {r['correct']:.1%}, wrong {r['wrong']:.1%}, missed {r['missed']:.1%}, "
        f"{r['false_alarms_per_hour']:.1f} false alarms per hour", error=False))
    dlg.show()
    return dlg
