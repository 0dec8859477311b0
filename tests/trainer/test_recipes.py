import json
from pathlib import Path

import pytest

from trainer.recipes import RECIPES, resolve_recipe


def test_notebook_recipe_is_the_notebooks_training():
    r = resolve_recipe("notebook", {})
    assert r == dict(arch="reference", epochs=10, max_shift_ms=100.0, unknown_ratio=1.0, lr_schedule="constant",
                     spec_augment=False, patience=4)


def test_live_recipe_runs_its_schedule_to_the_end_and_flags_override_it():
    r = resolve_recipe("live", {"arch": None, "epochs": None})
    assert r["lr_schedule"] == "cosine" and r["patience"] == r["epochs"] == 40
    # the live recipe is how the bundled model was trained
    bundled = json.loads((Path(__file__).resolve().parents[2] / "assets/default_model/training.json").read_text())
    assert (r["arch"], r["epochs"], r["unknown_ratio"], r["lr_schedule"]) == (
        bundled["arch"], bundled["epochs"], bundled["unknown_ratio"], bundled["lr_schedule"])
    assert r["spec_augment"] is True and resolve_recipe("live", {"spec_augment": False})["spec_augment"] is False
    r = resolve_recipe("live", {"epochs": 12, "arch": "reference", "max_shift_ms": 0.0})
    assert r["epochs"] == r["patience"] == 12 and r["arch"] == "reference" and r["max_shift_ms"] == 0.0
    assert set(RECIPES["live"]) == set(RECIPES["notebook"])
    with pytest.raises(ValueError, match="unknown recipe"):
        resolve_recipe("fast", {})
