"""Where a stream's words are lost: for every command word not announced correctly, the first stage of the live path
that lost it, and for every false alarm, what it fired on (``stream-eval --anatomy``).

The stages, in the order the path runs them, for the hops in reach of the word (trainer.recordings.scoring):

- ``never_on_top``: the word's class was never the best of the averaged scores (what was: ``on_top_instead``);
- ``under_threshold``: it was, but its average stayed under the threshold (or its own score under the peak one);
- ``too_few_results``: on top and high enough only while the window held too few results;
- ``refractory``: held back because the same command was announced a moment before;
- ``verifier_refused``: announced by the decision rule and refused by the verifier;
- ``other_word_first``: another command was announced first (a *wrong* word);
- ``outside_reach``: announced, but before or after the word's reach (it counts as a false alarm there).

False alarms: ``on_other_word`` (an ``unknown`` word: which ones, ``fired_on_words``), ``repeat`` (a command word
announced a second time), ``on_command_word`` (a command word of another label, once it was counted), ``in_noise``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from kwsapp.core.labels import COMMANDS
from trainer.recordings.scoring import EARLY_S, LATE_S, in_reach, match_words

STAGES = ("never_on_top", "under_threshold", "too_few_results", "refractory", "verifier_refused",
          "other_word_first", "outside_reach")
FALSE_ALARM_KINDS = ("on_other_word", "repeat", "on_command_word", "in_noise")
STAGE_TEXT = {"never_on_top": "never on top", "under_threshold": "on top, under the threshold",
              "too_few_results": "too few results", "refractory": "refractory time",
              "verifier_refused": "verifier refused", "other_word_first": "another word first",
              "outside_reach": "announced out of reach"}


def anatomy(hops, truth) -> dict:
    """The miss anatomy of one stream from its Listener's hops (kwsapp.engine.listener.Hop): counts per stage and per
    false-alarm kind, and one row per lost word."""
    t_s = np.array([h.time_ms for h in hops], float) / 1000.0
    found = [(h.time_ms / 1000.0, h.decision.label) for h in hops if h.announced]
    outcomes, taken = match_words(found, truth)
    loose = [(t, lab) for (t, lab), u in zip(found, taken) if not u]  # the false alarms
    top = np.array([h.decision.label for h in hops])
    held = np.array([h.decision.held for h in hops])
    refused = np.array([h.decision.is_new_command and not h.announced for h in hops])
    best = np.array([h.decision.score for h in hops])
    lost, stages = [], Counter()
    for (t_word, label, *rest), outcome in zip(truth, outcomes):
        if label not in COMMANDS or outcome == "correct":
            continue
        reach = in_reach(t_word, t_s)
        mine = reach & (top == label)
        near = [t - t_word for t, lab in loose if lab == label and t_word - EARLY_S - 1.0 <= t <= t_word + LATE_S + 1.0]
        if outcome == "wrong":
            first = next(lab for t, lab in found if in_reach(t_word, t))
            stage, detail = "other_word_first", first
        elif (mine & refused).any():
            stage, detail = "verifier_refused", ""
        elif (mine & (held == "refractory")).any():
            stage, detail = "refractory", ""
        elif (mine & (held == "few_results")).any() and not (mine & np.isin(held, ("threshold", "peak"))).any():
            stage, detail = "too_few_results", ""
        elif near:
            stage, detail = "outside_reach", f"{near[0]:+.2f} s"
        elif mine.any():
            stage, detail = "under_threshold", f"best average {best[mine].max():.2f}"
        else:
            others = Counter(top[reach]).most_common(1)
            stage, detail = "never_on_top", others[0][0] if others else ""
        stages[stage] += 1
        lost.append({"time_s": t_word, "label": label, "clip": rest[0] if rest else "", "stage": stage,
                     "detail": detail})
    fa_kinds, fired_on = Counter(), Counter()
    for t, lab in loose:
        words = [(tw, wl, *r) for tw, wl, *r in truth if in_reach(tw, t)]
        if not words:
            kind = "in_noise"
        elif any(wl == lab for _, wl, *_ in words):
            kind = "repeat"
        elif all(wl not in COMMANDS for _, wl, *_ in words):
            kind = "on_other_word"
            clip = words[0][2] if len(words[0]) > 2 else ""
            fired_on[f"{clip.split('/')[0] if clip else 'unknown'} -> {lab}"] += 1
        else:
            kind = "on_command_word"
        fa_kinds[kind] += 1
    n_words = sum(lab in COMMANDS for _, lab, *_ in truth)
    return {"command_words": n_words, "correct": outcomes.count("correct"),
            "stages": {s: stages.get(s, 0) for s in STAGES},
            "false_alarms": {s: fa_kinds.get(s, 0) for s in FALSE_ALARM_KINDS},
            "fired_on_words": dict(fired_on.most_common(15)),
            "never_on_top_instead": dict(Counter(r["detail"] for r in lost if r["stage"] == "never_on_top").most_common()),
            "lost": lost}


def anatomy_table(results: dict[str, dict]) -> str:
    """A text table, one column per stream: shares of the command words, and false alarms by kind."""
    names = list(results)
    head = f"{'':34s}" + "".join(f"{n:>12s}" for n in names)
    rows = [head]

    def row(title, values):
        rows.append(f"{title:34s}" + "".join(f"{v:>12s}" for v in values))

    row("command words", [str(results[n]["command_words"]) for n in names])
    row("correct", [f"{results[n]['correct'] / max(1, results[n]['command_words']):.1%}" for n in names])
    for s in STAGES:
        row(f"  lost: {STAGE_TEXT[s]}", [f"{results[n]['stages'][s] / max(1, results[n]['command_words']):.1%}"
                                          for n in names])
    for k in FALSE_ALARM_KINDS:
        row(f"false alarms: {k.replace('_', ' ')}", [str(results[n]["false_alarms"][k]) for n in names])
    return "\n".join(rows)


def save_anatomy_plot(results: dict[str, dict], out_png, title: str = "Where the command words go") -> None:
    """One stacked bar per stream: correct, then each stage that lost words (shares of the command words); beside
    it, the false alarms by kind."""
    from trainer.evaluation.plots import _plt

    plt = _plt()
    names = list(results)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 0.45 * len(names) + 2.0), gridspec_kw={"width_ratios": [3, 1.2]})
    colors = ["#2e7d32", "#c62828", "#ef6c00", "#f9a825", "#6a1b9a", "#1565c0", "#5d4037", "#90a4ae"]
    y = np.arange(len(names))
    left = np.zeros(len(names))
    parts = [("correct", [results[n]["correct"] for n in names])] + \
        [(STAGE_TEXT[s], [results[n]["stages"][s] for n in names]) for s in STAGES]
    for (title_, counts), c in zip(parts, colors):
        share = np.array(counts) / np.array([max(1, results[n]["command_words"]) for n in names]) * 100
        ax.barh(y, share, left=left, color=c, label=title_)
        for yi, (l_, w) in enumerate(zip(left, share)):
            if w >= 3:
                ax.text(l_ + w / 2, yi, f"{w:.0f}", ha="center", va="center", fontsize=8, color="white")
        left += share
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the command words")
    fig.legend(*ax.get_legend_handles_labels(), loc="lower left", bbox_to_anchor=(0.06, 0.0), ncol=4, fontsize=8,
               frameon=False)
    ax.set_title(title)
    left = np.zeros(len(names))
    for k, c in zip(FALSE_ALARM_KINDS, ["#8d6e63", "#7986cb", "#4db6ac", "#bdbdbd"]):
        v = np.array([results[n]["false_alarms"][k] for n in names], float)
        ax2.barh(y, v, left=left, color=c, label=k.replace("_", " "))
        left += v
    ax2.set_yticks(y, [])
    ax2.invert_yaxis()
    ax2.set_xlabel("false alarms (count)")
    fig.legend(*ax2.get_legend_handles_labels(), loc="lower right", bbox_to_anchor=(0.99, 0.0), ncol=2, fontsize=8,
               frameon=False)
    ax2.set_title("false alarms: what they fired on")
    fig.tight_layout(rect=(0, 0.75 / (0.45 * len(names) + 2.0), 1, 1))
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
