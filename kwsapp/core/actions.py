"""What a recognised command does: the actions bound to labels, read from and written to a JSON file, and run.

Safety rules, which the tests hold: actions live in the user's settings or a file the user names (``--actions``),
never in a model folder, so loading a model can never run anything; a program is an argument list run without a
shell, and nothing the audio or the model produces (label, score, text) is ever put into it.

The file::

    {"enabled": true,
     "bindings": [{"label": "yes", "action": "run", "argv": ["prog", "arg"], "enabled": true},
                  {"label": "up", "action": "keys", "keys": "ctrl+alt+Up", "enabled": true},
                  {"label": "go", "action": "type", "text": "hello", "enabled": false},
                  {"label": "stop", "action": "notify", "enabled": true, "threshold": 0.9}]}

Qt-free: the app gives :class:`ActionRunner` a ``notify`` function (the desktop's notification service, else its
tray icon; it returns None when it notified, else why not) and shows the results.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .files import write_atomic

ACTIONS = ("run", "keys", "type", "notify")
# what each action needs besides label / action / enabled / threshold
ARGUMENT = {"run": "argv", "keys": "keys", "type": "text", "notify": None}
RUN_WAIT_S = 3.0  # a program that ends within this reports its exit status; one that runs on is "started"
MODIFIERS = ("ctrl", "alt", "shift", "super")
MAX_ACTIONS_BYTES = 1 << 20  # an actions file or settings value larger than this is refused unread


class ActionsError(ValueError):
    """A bad actions file or entry; the message is one line that names the file and the entry."""


@dataclass(frozen=True)
class Binding:
    label: str
    action: str
    argv: tuple[str, ...] = ()
    keys: str = ""
    text: str = ""
    enabled: bool = False
    threshold: float | None = None  # the announced score must reach this too (None: every announcement)

    def argument(self) -> str:
        """What it does, in words, for the Commands dialog and the confirmation of a program."""
        if self.action == "run":
            return " ".join(_quote(a) for a in self.argv)
        return {"keys": self.keys, "type": self.text, "notify": ""}[self.action]

    def to_dict(self) -> dict:
        out = {"label": self.label, "action": self.action, "enabled": self.enabled}
        name = ARGUMENT[self.action]
        if name:
            out[name] = list(self.argv) if name == "argv" else getattr(self, name)
        if self.threshold is not None:
            out["threshold"] = self.threshold
        return out


@dataclass(frozen=True)
class ActionSet:
    enabled: bool = False  # the master switch: nothing runs while it is off
    bindings: tuple[Binding, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {"enabled": self.enabled, "bindings": [b.to_dict() for b in self.bindings]}

    def for_label(self, label: str, score: float) -> list[Binding]:
        """The bindings that fire for an announcement of ``label`` at ``score``."""
        if not self.enabled:
            return []
        return [b for b in self.bindings if b.enabled and b.label == label
                and (b.threshold is None or score >= b.threshold)]


def _quote(arg: str) -> str:
    return arg if arg and not any(c.isspace() or c in "'\"\\" for c in arg) else json.dumps(arg)


def parse_keys(keys: str) -> tuple[tuple[str, ...], str]:
    """``"ctrl+alt+Up"`` -> (("ctrl", "alt"), "Up"): modifiers first, then one key (a character or a key name)."""
    parts = keys.split("+")
    if keys.endswith("++"):  # "ctrl++": the plus key itself
        parts = parts[:-2] + ["+"]
    if not keys or any(p == "" for p in parts):
        raise ValueError(f"{keys!r} is not a key combination such as ctrl+alt+Up")
    *mods, key = parts
    bad = [m for m in mods if m.lower() not in MODIFIERS]
    if bad:
        raise ValueError(f"{bad[0]!r} in {keys!r} is not one of the modifiers {', '.join(MODIFIERS)}")
    return tuple(m.lower() for m in mods), key


def binding_from_dict(entry, where: str) -> Binding:
    """One entry of ``bindings``, every value checked (``where`` names it in the error)."""
    if not isinstance(entry, dict):
        raise ActionsError(f"{where}: expected an object with label and action")
    label, action = entry.get("label"), entry.get("action")
    if not isinstance(label, str) or not label:
        raise ActionsError(f"{where}: 'label' must be a label name, got {label!r}")
    where = f"{where} (label {label!r})"
    if action not in ACTIONS:
        raise ActionsError(f"{where}: 'action' must be one of {', '.join(ACTIONS)}, got {action!r}")
    allowed = {"label", "action", "enabled", "threshold"} | ({ARGUMENT[action]} - {None})
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise ActionsError(f"{where}: unknown key {unknown[0]!r} for a {action} action")
    enabled = entry.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ActionsError(f"{where}: 'enabled' must be true or false, got {enabled!r}")
    threshold = entry.get("threshold")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))
                                  or not 0.0 <= threshold <= 1.0):
        raise ActionsError(f"{where}: 'threshold' must be a number from 0 to 1, got {threshold!r}")
    kwargs = {}
    if action == "run":
        argv = entry.get("argv")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) and a for a in argv):
            raise ActionsError(f"{where}: 'argv' must be a list of the program and its arguments (non-empty strings)")
        if any("\0" in a for a in argv):
            raise ActionsError(f"{where}: 'argv' holds a NUL character, which no program argument can carry")
        kwargs["argv"] = tuple(argv)
    elif action == "keys":
        keys = entry.get("keys")
        try:
            parse_keys(keys if isinstance(keys, str) else "")
        except ValueError as exc:
            raise ActionsError(f"{where}: 'keys': {exc}") from None
        kwargs["keys"] = keys
    elif action == "type":
        text = entry.get("text")
        if not isinstance(text, str) or not text:
            raise ActionsError(f"{where}: 'text' must be the text to type")
        if "\0" in text:
            raise ActionsError(f"{where}: 'text' holds a NUL character, which cannot be typed")
        kwargs["text"] = text
    return Binding(label=label, action=action, enabled=enabled,
                   threshold=None if threshold is None else float(threshold), **kwargs)


def actions_from_dict(data, where: str) -> ActionSet:
    if not isinstance(data, dict):
        raise ActionsError(f"{where}: expected a JSON object with 'enabled' and 'bindings'")
    unknown = sorted(set(data) - {"enabled", "bindings"})
    if unknown:
        raise ActionsError(f"{where}: unknown key {unknown[0]!r}")
    enabled = data.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ActionsError(f"{where}: 'enabled' must be true or false, got {enabled!r}")
    bindings = data.get("bindings", [])
    if not isinstance(bindings, list):
        raise ActionsError(f"{where}: 'bindings' must be a list")
    return ActionSet(enabled, tuple(binding_from_dict(b, f"{where}: bindings[{i}]") for i, b in enumerate(bindings)))


def actions_from_json(text: str, where: str) -> ActionSet:
    """Actions from the text of a file or a settings value; any fault is one :class:`ActionsError` naming ``where``."""
    if len(text) > MAX_ACTIONS_BYTES:
        raise ActionsError(f"{where}: {len(text):,} characters, more than an actions file may have "
                           f"({MAX_ACTIONS_BYTES:,})")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ActionsError(f"{where}: not JSON ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise ActionsError(f"{where}: not actions (values nested too deep)") from None
    return actions_from_dict(data, where)


def load_actions(path) -> ActionSet:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_ACTIONS_BYTES:
            raise ActionsError(f"{path}: {size:,} bytes, more than an actions file may have ({MAX_ACTIONS_BYTES:,})")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ActionsError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ActionsError(f"{path}: not JSON ({str(exc).splitlines()[0]})") from None
    return actions_from_json(text, str(path))


def save_actions(path, actions: ActionSet) -> None:
    text = json.dumps(actions.to_dict(), indent=2) + "\n"
    write_atomic(path, lambda p: Path(p).write_text(text, encoding="utf-8"))


@dataclass(frozen=True)
class ActionResult:
    label: str
    action: str
    ok: bool
    detail: str  # one line: what happened, or why it failed

    def to_dict(self) -> dict:
        return asdict(self)


def wayland_session() -> bool:
    return os.environ.get("XDG_SESSION_TYPE") == "wayland" or (bool(os.environ.get("WAYLAND_DISPLAY"))
                                                              and not os.environ.get("DISPLAY"))


def keyboard_unavailable() -> str | None:
    """Why keys and typing cannot work in this session, or None when they can (an X11 display, or Wayland with
    ``wtype``, which speaks the compositor's virtual-keyboard protocol)."""
    if wayland_session():
        if shutil.which("wtype"):
            return None
        return ("a Wayland session does not let one program press keys in another program's window; install wtype "
                "(where the desktop offers a virtual keyboard, as wlroots desktops do) or log in to an X11 session")
    if not os.environ.get("DISPLAY"):
        return "key and type actions need an X11 display (DISPLAY is not set)"
    return None


class ActionRunner:
    """Runs bindings off the caller's thread, one at a time in order, so a slow program never delays listening.
    ``on_result`` gets an :class:`ActionResult` for each (from the runner's thread)."""

    def __init__(self, on_result=None, notify=None):
        self.on_result = on_result or (lambda r: None)
        self.notify = notify
        self._lock = threading.Lock()
        self._queue: list[tuple[Binding, str]] = []
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="actions", daemon=True)
        self._thread.start()

    def fire(self, actions: ActionSet, label: str, score: float) -> int:
        """Queue every binding that fires for this announcement; returns how many."""
        todo = actions.for_label(label, score)
        with self._wake:
            self._queue += [(b, label) for b in todo]
            self._wake.notify()
        return len(todo)

    def close(self, timeout_s: float = 5.0) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout_s)

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if self._closed and not self._queue:
                    return
                binding, label = self._queue.pop(0)
            try:
                result = self.run(binding, label)
            except Exception as exc:  # one action's failure is reported, never fatal
                result = ActionResult(label, binding.action, False, f"{type(exc).__name__}: {exc}".splitlines()[0])
            self.on_result(result)

    def run(self, binding: Binding, label: str) -> ActionResult:
        act = binding.action
        if act == "run":
            return self._run_program(binding, label)
        if act == "notify":
            why = "nothing to notify through" if self.notify is None else self.notify(label)
            if why:
                return ActionResult(label, act, False, why)
            return ActionResult(label, act, True, f"notified: {label}")
        why = keyboard_unavailable()
        if why:
            return ActionResult(label, act, False, why)
        if wayland_session():
            return self._wtype(binding, label)
        from pynput.keyboard import Controller, Key  # X11 through XTest; imported only when used

        kb = Controller()
        if act == "type":
            kb.type(binding.text)
            return ActionResult(label, act, True, f"typed {len(binding.text)} characters")
        mods, key = parse_keys(binding.keys)
        mod_keys = [getattr(Key, {"super": "cmd"}.get(m, m)) for m in mods]
        target = key if len(key) == 1 else getattr(Key, key.lower(), None)
        if target is None:
            return ActionResult(label, act, False, f"unknown key name {key!r}")
        for m in mod_keys:
            kb.press(m)
        try:
            kb.press(target)
            kb.release(target)
        finally:
            for m in reversed(mod_keys):
                kb.release(m)
        return ActionResult(label, act, True, f"pressed {binding.keys}")

    @staticmethod
    def _wtype(binding: Binding, label: str) -> ActionResult:
        """Keys and typing on Wayland, through wtype (its arguments as a list: no shell)."""
        if binding.action == "type":
            argv, done = ["wtype", "--", binding.text], f"typed {len(binding.text)} characters"
        else:
            mods, key = parse_keys(binding.keys)
            names = [{"super": "logo"}.get(m, m) for m in mods]
            argv = ["wtype"] + [a for m in names for a in ("-M", m)] + (["-k", key] if len(key) > 1 else ["--", key])
            if len(key) > 1:
                argv += [a for m in reversed(names) for a in ("-m", m)]
            done = f"pressed {binding.keys}"
        try:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               timeout=RUN_WAIT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return ActionResult(label, binding.action, False, f"wtype: {exc}")
        if r.returncode != 0:
            last = r.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit status {r.returncode}"]
            return ActionResult(label, binding.action, False, f"wtype: {last[0][:200]}")
        return ActionResult(label, binding.action, True, done)

    @staticmethod
    def _run_program(binding: Binding, label: str) -> ActionResult:
        argv = list(binding.argv)  # as written by the user: no shell, nothing from the audio or the model added
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    start_new_session=True, shell=False)
        except OSError as exc:
            return ActionResult(label, "run", False, f"{argv[0]}: {exc.strerror or exc}")
        try:
            _, err = proc.communicate(timeout=RUN_WAIT_S)
        except subprocess.TimeoutExpired:
            # it runs on (a program the user started, not ours to stop); a thread drains its errors and reaps it
            threading.Thread(target=proc.communicate, name="actions-reaper", daemon=True).start()
            return ActionResult(label, "run", True, f"started {argv[0]} (pid {proc.pid})")
        if proc.returncode == 0:
            return ActionResult(label, "run", True, f"ran {argv[0]}")
        last = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return ActionResult(label, "run", False, f"{argv[0]} exited with status {proc.returncode}"
                            + (f": {last[0][:200]}" if last[0] else ""))
