"""The user's own examples from the window: "That was wrong" keeps the audio of the last announcement as an example
of ``unknown`` (kwsapp.core.examples), for the next fine-tune (trainer personalize)."""

from __future__ import annotations

from ..core.examples import save_wrong


def mark_wrong(window) -> str:
    """Save the last announcement's audio as ``unknown``; the message shown says what happened."""
    if not window.announced:
        text = "Nothing was announced yet: there is no command to mark as wrong."
    elif window.mic.buffer is None:
        text = "Not listening: the audio of the last command is gone."
    else:
        last = window.announced[-1]
        try:
            path = save_wrong(window.mic.buffer, last["time_s"])
        except OSError as exc:
            path, text = None, f"{exc.filename}: cannot save the example ({exc.strerror})"
        else:
            text = (f"Saved the '{last['label']}' at {last['time_s']:.1f} s as an example of unknown: {path} "
                    "(for the next fine-tune)." if path else
                    "The audio of the last command has already left the 10-s buffer: say it again, then mark it.")
    window.message_bar.show_message(text, error=False)
    return text
