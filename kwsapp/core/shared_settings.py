"""The settings the command line and the app share: the decision settings (thresholds, averaging, refractory time,
the per-command thresholds that ``trainer calibrate`` chooses). One JSON file, read and written here, Qt-free, so
that a command run in a terminal keeps its thresholds where the app reads them. The app's own settings (window,
device, actions) stay in its QSettings (kwsapp.gui.settings_store).

The file sits beside the app's settings: ``$KWSAPP_SETTINGS`` with ``.shared.json`` for its suffix when that is set
(tests, portable installs), else the user's configuration folder (platformdirs)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, fields
from pathlib import Path

from .decisions import DECISION_RANGES, DecisionSettings, parse_command_thresholds
from .files import write_atomic

FILE_NAME = "shared.json"
MAX_BYTES = 1 << 16


def shared_settings_path() -> Path:
    env = os.environ.get("KWSAPP_SETTINGS")
    if env:
        p = Path(env)
        return p.with_name(p.stem + ".shared.json")
    from platformdirs import user_config_dir

    return Path(user_config_dir("kwsapp", appauthor=False)) / FILE_NAME


def read_decisions(path: Path | None = None) -> tuple[DecisionSettings | None, list[str]]:
    """The decision settings kept in the file (None when there is none), and one line for each value that was not
    usable and fell back to its default. A file that is not readable JSON is one such line, never an error."""
    path = path or shared_settings_path()
    if not path.is_file():
        return None, []
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES} bytes")
        data = json.loads(path.read_text(encoding="utf-8")).get("decisions", {})
        if not isinstance(data, dict):
            raise ValueError("'decisions' is not an object")
    except (OSError, ValueError, AttributeError, RecursionError) as exc:
        return DecisionSettings(), [f"{path}: not usable ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
                                    "the decision settings are the defaults"]
    default, values, problems = DecisionSettings(), {}, []
    for f in fields(DecisionSettings):
        if f.name not in data:
            continue
        raw = data[f.name]
        if f.name == "command_thresholds":
            try:
                parse_command_thresholds(raw if isinstance(raw, str) else "?")
                values[f.name] = raw
            except ValueError as exc:
                problems.append(f"{path}: decisions.{f.name} {str(raw)[:40]!r} ({exc})")
            continue
        lo, hi = DECISION_RANGES[f.name]
        ok = isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw) and lo <= raw <= hi
        if ok and isinstance(getattr(default, f.name), int) and not float(raw).is_integer():
            ok = False
        if ok:
            values[f.name] = type(getattr(default, f.name))(raw)
        else:
            problems.append(f"{path}: decisions.{f.name} {str(raw)[:40]!r} is not a number from {lo:g} to {hi:g}")
    return DecisionSettings(**values), problems


def write_decisions(decisions: DecisionSettings, path: Path | None = None) -> Path:
    """Keep the decision settings (the file's other keys are kept as they are); returns the file's path."""
    path = path or shared_settings_path()
    data = {}
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        data = data if isinstance(data, dict) else {}
    except (OSError, ValueError, RecursionError):
        data = {}
    data["decisions"] = asdict(decisions)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2) + "\n"
    write_atomic(path, lambda p: Path(p).write_text(text, encoding="utf-8"))
    return path
