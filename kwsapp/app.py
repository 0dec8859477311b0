"""``python -m kwsapp``: the desktop app.

    python -m kwsapp [--model DIR] [--device NAME_OR_INDEX] [--hop-ms N] [--detections-log FILE]
                     [--actions FILE.json] [--minimized] [--quit-after SECONDS] [--screenshot FILE]

It prints one line when the model is ready and one when audio first arrives (``kwsapp: ...``), so
scripts can tell when it is listening. No traceback reaches the user: an unexpected error is one line
in the window and on standard error (KWSAPP_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from .core.decisions import DEFAULT_HOP_MS, HOP_MS_RANGE


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="kwsapp", description="Listen to the microphone and show the spoken command "
                                 "(yes no up down left right on off stop go).")
    ap.add_argument("--model", help="model folder (default: the last one opened, else the bundled model)")
    ap.add_argument("--device", help="input device: its index or part of its name (default: the last one chosen, "
                                     "else the system default)")
    ap.add_argument("--hop-ms", type=float, help=f"classify the last 1 s every N ms (default {DEFAULT_HOP_MS:g})")
    ap.add_argument("--detections-log", metavar="FILE",
                    help='append one JSON object per announced command: {"time_s": ..., "label": ..., "score": ...}')
    ap.add_argument("--actions", metavar="FILE.json",
                    help="what recognised commands do, with the file's own switches (edits are saved to it); "
                         "default: the actions kept in the settings (File > Commands…)")
    ap.add_argument("--minimized", action="store_true", help="start in the tray (or minimised, without a tray)")
    ap.add_argument("--quit-after", type=float, metavar="SECONDS", help="quit after this many seconds")
    ap.add_argument("--screenshot", metavar="FILE", help="save a picture of the window just before --quit-after ends it")
    ap.add_argument("--new-instance", action="store_true",
                    help="open another window that listens too (by default a second start brings the first forward)")
    ap.add_argument("--toggle-listening", action="store_true",
                    help="turn the running kwsapp's listening on or off, then exit (for a desktop keyboard shortcut, "
                         "where a global hotkey cannot work, as on Wayland)")
    ap.add_argument("--install-desktop-entry", action="store_true",
                    help="add kwsapp and its icon to the desktop's application menu (for this user), then exit")
    ap.add_argument("--uninstall-desktop-entry", action="store_true",
                    help="remove the menu entry, the icon and the start-at-login entry, then exit")
    return ap


def desktop_entry_command(args) -> int | None:
    """--install-desktop-entry / --uninstall-desktop-entry: done here, no window; None when neither was asked."""
    if not (args.install_desktop_entry or args.uninstall_desktop_entry):
        return None
    from . import desktop

    try:
        if args.install_desktop_entry:
            for p in desktop.install_menu_entry():
                print(f"wrote {p}")
        else:
            removed = desktop.uninstall_menu_entry()
            print("\n".join(f"removed {p}" for p in removed) or "nothing to remove")
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


def argument_problem(args) -> str | None:
    """What is wrong with the command line (checked before any window), as the one line to print, or None."""
    lo, hi = HOP_MS_RANGE
    if args.hop_ms is not None and not lo <= args.hop_ms <= hi:
        return f"--hop-ms must be between {lo:g} and {hi:g}"
    if args.screenshot and args.quit_after is None:
        return "--screenshot needs --quit-after (the picture is taken just before the app quits)"
    if args.actions:
        from .core.actions import ActionsError, load_actions

        try:
            load_actions(args.actions)  # checked before any window: a bad file is one line, exit 2
        except ActionsError as exc:
            return str(exc)
    if (sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
            and not os.environ.get("QT_QPA_PLATFORM")):
        return ("no screen (DISPLAY is not set): run it on a desktop, or under xvfb-run, "
                "or with QT_QPA_PLATFORM=offscreen")
    return None


def toggle_running() -> int:
    """--toggle-listening: ask the running kwsapp to turn listening on or off."""
    from PySide6.QtCore import QCoreApplication

    from .gui.single_instance import SingleInstance

    _app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])  # noqa: F841 (the socket needs one)
    if SingleInstance().forward_to_running(b"toggle"):
        print("kwsapp: listening toggled")
        return 0
    print("error: kwsapp is not running (start it first)", file=sys.stderr)
    return 2


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    done = desktop_entry_command(args)
    if done is not None:
        return done
    if args.toggle_listening:
        return toggle_running()
    problem = argument_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        print(f"error: cannot start Qt: {exc}", file=sys.stderr)
        return 2

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("kwsapp")
    app.setOrganizationName("kwsapp")
    app.setDesktopFileName("kwsapp")
    from .gui.single_instance import SingleInstance, answer_for

    instance = None
    if not args.new_instance:
        instance = SingleInstance()
        if instance.forward_to_running():
            print("kwsapp: already running: its window was brought forward (--new-instance opens another)", flush=True)
            return 0
    from .gui.main_window import MainWindow

    window = MainWindow(model_dir=args.model, device=args.device, hop_ms=args.hop_ms,
                        detections_log=args.detections_log, actions_file=args.actions)
    if instance is not None:
        answer_for(window, instance)

    def excepthook(kind, value, tb):
        if os.environ.get("KWSAPP_DEBUG"):
            traceback.print_exception(kind, value, tb)
        line = f"unexpected {kind.__name__}: {value}".splitlines()[0]
        print(f"kwsapp: error: {line}", file=sys.stderr, flush=True)
        try:
            window.message_bar.show_message(f"Something went wrong: {line}")
        except Exception:
            pass

    sys.excepthook = excepthook
    if not args.minimized:
        window.show()
    elif window.tray is None:
        window.showMinimized()  # no tray to live in
    QTimer.singleShot(0, lambda: print("kwsapp: window shown", flush=True))  # runs once the first paint is done
    code = {"value": 0}
    if args.quit_after is not None:
        def finish():
            if args.screenshot:
                if not window.grab().save(args.screenshot):
                    print(f"kwsapp: error: cannot write the screenshot {args.screenshot}", file=sys.stderr)
                    code["value"] = 1
            window.close()
            app.quit()

        QTimer.singleShot(int(args.quit_after * 1000), finish)
    try:
        rc = app.exec()
    except KeyboardInterrupt:
        rc = 130
    window.shutdown()
    return code["value"] or rc


def run() -> None:
    """Entry point of ``python -m kwsapp`` and the ``kwsapp`` launcher."""
    raise SystemExit(main())


if __name__ == "__main__":
    run()
