"""The window's actions: where they are kept (the user's settings, or the file given with ``--actions``), the master
switch, and running them once per announcement (kwsapp.core.actions). Results come back on the GUI thread."""

from __future__ import annotations

import json

from PySide6.QtCore import QObject, QSettings, Signal

from ..core.actions import ActionResult, ActionRunner, ActionsError, ActionSet, actions_from_json, load_actions, save_actions

SETTINGS_KEY = "actions/json"


class ActionsController(QObject):
    result = Signal(object)          # ActionResult, delivered on the GUI thread
    changed = Signal(object)         # ActionSet
    problem = Signal(str)            # a one-line message for the window
    paused = Signal(str)             # what the window says while actions are paused ("" when they are not)

    def __init__(self, settings: QSettings, actions_file: str | None = None, parent=None):
        super().__init__(parent)
        self.settings = settings
        self.actions_file = actions_file
        self.tray_message = None  # set by the window when it has a tray icon: the fallback of notifications
        self.actions = ActionSet()
        self.load_problem: str | None = None
        self.paused_for: set[str] = set()
        try:
            self.actions = self._load()
        except ActionsError as exc:
            self.load_problem = f"{exc}; actions are off"
        # the runner's thread emits; Qt queues the signal to this object's (the GUI) thread
        self._runner = ActionRunner(on_result=self.result.emit, notify=self._notify)

    def _load(self) -> ActionSet:
        if self.actions_file:
            return load_actions(self.actions_file)
        raw = self.settings.value(SETTINGS_KEY, None)
        if raw is None:
            return ActionSet()
        return actions_from_json(str(raw), f"{self.settings.fileName()}: {SETTINGS_KEY}")

    def _notify(self, label: str) -> str | None:
        """The desktop's notification service (with or without a tray); the tray's balloon when there is none.
        Runs on the actions' thread; None when notified, else why not."""
        from ..desktop import notify

        why = notify(f"heard: {label}", "kwsapp")
        if why is None:
            return None
        if self.tray_message is not None:
            self.tray_message(label)  # QSystemTrayIcon.showMessage queues to the GUI thread
            return None
        return why

    def set_actions(self, actions: ActionSet) -> None:
        """Keep ``actions`` where they came from (the ``--actions`` file, else the settings)."""
        self.actions = actions
        try:
            if self.actions_file:
                save_actions(self.actions_file, actions)
            else:
                self.settings.setValue(SETTINGS_KEY, json.dumps(actions.to_dict()))
        except OSError as exc:
            self.problem.emit(f"{exc.filename}: cannot save the actions ({exc.strerror})")
        self.changed.emit(actions)

    def set_enabled(self, on: bool) -> None:
        if on != self.actions.enabled:
            self.set_actions(ActionSet(on, self.actions.bindings))

    def fire(self, label: str, score: float) -> int:
        if self.paused_for:
            return 0  # recording examples, calibrating or fine-tuning: a command said for them runs nothing
        return self._runner.fire(self.actions, label, score)

    def pause(self, reason: str) -> None:
        """Run nothing while ``reason`` lasts (several may overlap); ``resume(reason)`` ends it."""
        self.paused_for.add(reason)
        self.paused.emit(self.pause_text())

    def resume(self, reason: str) -> None:
        if reason in self.paused_for:
            self.paused_for.discard(reason)
            self.paused.emit(self.pause_text())

    def pause_text(self) -> str:
        """What the window says of it ("" when nothing is paused)."""
        if not self.paused_for or not self.actions.enabled:
            return ""
        return f"Actions are paused while {' and '.join(sorted(self.paused_for))}."

    def import_file(self, path: str) -> None:
        self.set_actions(load_actions(path))  # ActionsError goes to the caller, which shows it

    def export_file(self, path: str) -> None:
        save_actions(path, self.actions)

    def close(self) -> None:
        self._runner.close(timeout_s=2.0)


def describe_result(r: ActionResult) -> str:
    return f"{r.action}: {r.detail}" if r.ok else f"{r.action} failed: {r.detail}"


def attach_actions(window, actions_file: str | None) -> ActionsController:
    """Give the window its actions: the controller, the tray icon (which the notify action uses), the results in
    the history and the detections log, and the master switch kept in step with the actions."""
    from .menus import check_quietly
    from .tray import make_tray

    ctl = ActionsController(window.settings, actions_file, window)
    window.menus.audio.actions_on.setChecked(ctl.actions.enabled)
    window.menus.audio.actions_on.toggled.connect(ctl.set_enabled)
    ctl.changed.connect(lambda a: window.menus.audio.actions_on.setChecked(a.enabled))
    ctl.problem.connect(window.message_bar.show_message)
    ctl.paused.connect(lambda text: window.message_bar.show_message(text, error=False, topic="actions-paused") if text
                       else window.message_bar.clear("actions-paused"))
    if ctl.load_problem:
        window.message_bar.show_message(ctl.load_problem)

    def done(r: ActionResult) -> None:
        window.history.add_note(describe_result(r), ok=r.ok, label=r.label)
        window.append_detection({"label": r.label, "action": r.to_dict()})

    ctl.result.connect(done)
    window.tray = make_tray(window)
    if window.tray is None:  # nothing to keep listening in: the option cannot be ticked, and says why
        # the remembered choice stays for a desktop with a tray
        check_quietly(window.menus.audio.close_to_tray, False)
        window.menus.audio.close_to_tray.setEnabled(False)
        window.menus.audio.close_to_tray.setText("Keep listening in the tray (this desktop shows no system tray)")
    if window.tray is not None:
        ctl.tray_message = lambda label: window.tray.showMessage("kwsapp", f"heard: {label}")
    return ctl
