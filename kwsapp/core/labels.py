"""The 12 classes scored by the Kaggle challenge and the word -> label mapping."""

from __future__ import annotations

COMMANDS: tuple[str, ...] = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
SILENCE = "silence"
UNKNOWN = "unknown"
LABELS: tuple[str, ...] = COMMANDS + (SILENCE, UNKNOWN)
BACKGROUND_NOISE_DIR = "_background_noise_"

# The 30 words of the Kaggle (v0.01) training set.
KAGGLE_WORDS: tuple[str, ...] = tuple(
    "bed bird cat dog down eight five four go happy house left marvin nine no off on one right "
    "seven sheila six stop three tree two up wow yes zero".split()
)


def label_of_word(word: str) -> str:
    """Map a training folder name to one of the 12 labels.

    The noise folder maps to ``silence`` (the notebook tested for a misspelt name and never did);
    every word that is not one of the 10 commands is ``unknown``.
    """
    if word == BACKGROUND_NOISE_DIR:
        return SILENCE
    if word in COMMANDS:
        return word
    return UNKNOWN



MAX_LABEL_LENGTH = 40


def label_problem(label) -> str | None:
    """What is wrong with a name for a word of one's own (one rule, checked wherever a label is made: the recorder,
    the examples folder, personalize), or None. A label becomes a folder name, a line of labels.json and a key of
    ``LABEL=THRESHOLD,...``: no comma, ``=``, slash, control character, leading dot or surrounding spaces."""
    if not isinstance(label, str) or not label:
        return "a label cannot be empty"
    if label != label.strip():
        return f"{label!r}: a label cannot start or end with a space"
    if len(label) > MAX_LABEL_LENGTH:
        return f"{label[:20]!r}...: a label has at most {MAX_LABEL_LENGTH} characters"
    if label.startswith("."):
        return f"{label!r}: a label cannot start with a dot"
    bad = next((c for c in label if c in ",=/\\" or not c.isprintable()), None)
    if bad is not None:
        return f"{label!r}: a label cannot hold {bad!r}"
    return None
