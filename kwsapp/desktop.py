"""kwsapp on the Linux desktop, Qt-free: its menu entry and icon (freedesktop .desktop file, hicolor theme), starting
at login (XDG autostart), and notifications through the desktop's notification service
(org.freedesktop.Notifications, reached with ``notify-send`` or ``gdbus``, so that they work with or without a tray).

    kwsapp --install-desktop-entry      # the menu entry and the icon, for this user
    kwsapp --uninstall-desktop-entry    # and away again (the autostart entry too)
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from .core.files import write_atomic

APP_ID = "kwsapp"
ICON_NAME = "kwsapp"
NOTIFY_TIMEOUT_MS = 4000


def icon_path() -> Path:
    """The icon (SVG) shipped with the app."""
    from .bundled import assets_dir

    return assets_dir() / "icons" / "kwsapp.svg"


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def menu_entry_path() -> Path:
    return data_home() / "applications" / f"{APP_ID}.desktop"


def installed_icon_path() -> Path:
    return data_home() / "icons" / "hicolor" / "scalable" / "apps" / f"{ICON_NAME}.svg"


def autostart_path() -> Path:
    return config_home() / "autostart" / f"{APP_ID}.desktop"


def launcher_command() -> list[str]:
    """How to start this kwsapp: its launcher beside this Python when installed, else this Python with -m."""
    beside = Path(sys.executable).with_name("kwsapp")
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    return [sys.executable, "-m", "kwsapp"]


def _exec_line(args: list[str]) -> str:
    """An Exec= value: each argument quoted as the Desktop Entry spec asks (reserved characters in double quotes)."""
    out = []
    for a in args:
        if any(c in a for c in ' \t\n"\'\\><~|&;$*?#()`%='):
            a = '"' + a.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$") + '"'
        out.append(a.replace("%", "%%"))
    return " ".join(out)


def desktop_entry(extra_args: list[str] = (), autostart: bool = False) -> str:
    lines = ["[Desktop Entry]", "Type=Application", "Name=kwsapp",
             "GenericName=Voice commands",
             "Comment=Listens to the microphone and shows the spoken command (yes, no, up, down, ...)",
             f"Exec={_exec_line(launcher_command() + list(extra_args))}", f"Icon={ICON_NAME}", "Terminal=false",
             "Categories=Utility;Accessibility;", "Keywords=speech;voice;command;keyword;microphone;",
             "StartupNotify=true", f"StartupWMClass={APP_ID}"]
    if autostart:
        lines += ["X-GNOME-Autostart-enabled=true", "NoDisplay=true"]
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda p: Path(p).write_text(text, encoding="utf-8"))


def install_menu_entry() -> list[Path]:
    """The .desktop file in the user's applications and the icon in the hicolor theme; returns what was written."""
    _write(menu_entry_path(), desktop_entry())
    icon = installed_icon_path()
    icon.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(icon_path(), icon)
    _refresh_caches()
    return [menu_entry_path(), icon]


def uninstall_menu_entry() -> list[Path]:
    removed = []
    for p in (menu_entry_path(), installed_icon_path(), autostart_path()):
        if p.exists():
            p.unlink()
            removed.append(p)
    _refresh_caches()
    return removed


def _refresh_caches() -> None:
    """Tell the desktop (when its tools are there; nothing happens otherwise)."""
    for argv in (["update-desktop-database", str(menu_entry_path().parent)],
                 ["gtk-update-icon-cache", "-q", "-t", str(data_home() / "icons" / "hicolor")]):
        if shutil.which(argv[0]) and Path(argv[-1]).is_dir():
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=False)


def autostart_enabled() -> bool:
    return autostart_path().is_file()


def set_autostart(on: bool) -> Path:
    """Start kwsapp, minimised and listening, when the user logs in (an XDG autostart entry); off removes it."""
    p = autostart_path()
    if on:
        _write(p, desktop_entry(["--minimized"], autostart=True))
    elif p.exists():
        p.unlink()
    return p


def notify(summary: str, body: str = "") -> str | None:
    """A notification through the desktop's notification service; None when it was delivered, else one line that
    says why not. The text goes as arguments, never through a shell."""
    if shutil.which("notify-send"):
        argv = ["notify-send", f"--app-name={APP_ID}", f"--icon={ICON_NAME}", f"--expire-time={NOTIFY_TIMEOUT_MS}",
                "--", summary, body]
    elif shutil.which("gdbus"):
        argv = ["gdbus", "call", "--session", "--dest", "org.freedesktop.Notifications", "--object-path",
                "/org/freedesktop/Notifications", "--method", "org.freedesktop.Notifications.Notify",
                json.dumps(APP_ID), "0", json.dumps(ICON_NAME), json.dumps(summary), json.dumps(body), "[]", "{}",
                str(NOTIFY_TIMEOUT_MS)]
    else:
        return "no notify-send or gdbus to reach the desktop's notification service"
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{argv[0]}: {exc}"
    if r.returncode != 0:
        last = r.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit status {r.returncode}"]
        return f"the notification service did not take it ({shlex.quote(argv[0])}: {last[0][:160]})"
    return None
