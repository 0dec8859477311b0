import json
import re
from dataclasses import fields
from pathlib import Path

import pytest

from trainer.cli.main import build_parser
from trainer.models.config import RECIPES, TrainConfig, default, resolve_recipe

REPO = Path(__file__).resolve().parents[2]


def test_notebook_recipe_is_the_notebooks_training():
    r = resolve_recipe("notebook", {})
    assert r == dict(arch="reference", epochs=10, max_shift_ms=100.0, unknown_ratio=1.0, lr_schedule="constant",
                     spec_augment=False, patience=4, balance_commands=False)


def test_live_recipe_runs_its_schedule_to_the_end_and_flags_override_it():
    r = resolve_recipe("live", {"arch": None, "epochs": None})
    assert r["lr_schedule"] == "cosine" and r["patience"] == r["epochs"] == 40
    assert r["spec_augment"] is True and resolve_recipe("live", {"spec_augment": False})["spec_augment"] is False
    r = resolve_recipe("live", {"epochs": 12, "arch": "reference", "max_shift_ms": 0.0})
    assert r["epochs"] == r["patience"] == 12 and r["arch"] == "reference" and r["max_shift_ms"] == 0.0
    assert set(RECIPES["live"]) == set(RECIPES["notebook"]) <= {f.name for f in fields(TrainConfig)}
    with pytest.raises(ValueError, match="unknown recipe"):
        resolve_recipe("fast", {})


def test_the_live_recipe_is_the_bundled_models_own_and_the_script_repeats_none_of_it():
    bundled = json.loads((REPO / "assets/default_model/training.json").read_text())
    live = resolve_recipe("live", {})
    for key in ("arch", "epochs", "unknown_ratio", "lr_schedule", "balance_commands"):
        assert bundled[key] == live[key], key
    assert bundled["seed"] == default("seed") and bundled["augment"]["max_shift_frames"] * 10 == live["max_shift_ms"]
    script = (REPO / "scripts/train_default_model.sh").read_text()
    start = script.index('[ -f "$OUT/model.keras" ]')
    model_line = re.match(r"(?:[^\n]*\\\n)*[^\n]*", script[start:])[0]  # the command, continued lines and all
    assert "--recipe live" in model_line and "--out" in model_line
    for flag in ("--epochs", "--arch", "--seed", "--balance-commands", "--width"):
        # given only when the matching variable is set: never the recipe's own value a second time
        assert not re.search(rf"(?<![{{+]){flag}\b", model_line), (flag, model_line)


def test_the_parser_reads_its_defaults_from_the_config():
    args = build_parser().parse_args(["train", "--data", "d", "--out", "o"])
    for name in ("batch_size", "learning_rate", "seed", "width", "distribute", "train_speakers"):
        assert getattr(args, name) == default(name), name
    # what a recipe sets is left to the recipe unless given
    assert args.epochs is None and args.arch is None and args.balance_commands is None
    assert build_parser().parse_args(["train", "--data", "d", "--out", "o", "--no-balance-commands"]).balance_commands is False


def test_train_help_lists_the_options_a_user_needs():
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    options = [a for a in train._actions if a.option_strings and a.dest != "help"]
    assert len(options) <= 20, [a.option_strings for a in options]
