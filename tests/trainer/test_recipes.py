import json
import re
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
    # the live recipe is how the bundled model was trained, with the epochs and seed that
    # scripts/train_default_model.sh gives it
    repo = Path(__file__).resolve().parents[2]
    bundled = json.loads((repo / "assets/default_model/training.json").read_text())
    assert (r["arch"], r["unknown_ratio"], r["lr_schedule"]) == (
        bundled["arch"], bundled["unknown_ratio"], bundled["lr_schedule"])
    script = (repo / "scripts/train_default_model.sh").read_text()
    assert (bundled["epochs"], bundled["seed"]) == (int(re.search(r"EPOCHS=\$\{EPOCHS:-(\d+)\}", script)[1]),
                                                    int(re.search(r"SEED=\$\{SEED:-(\d+)\}", script)[1]))
    assert r["spec_augment"] is True and resolve_recipe("live", {"spec_augment": False})["spec_augment"] is False
    r = resolve_recipe("live", {"epochs": 12, "arch": "reference", "max_shift_ms": 0.0})
    assert r["epochs"] == r["patience"] == 12 and r["arch"] == "reference" and r["max_shift_ms"] == 0.0
    assert set(RECIPES["live"]) == set(RECIPES["notebook"])
    with pytest.raises(ValueError, match="unknown recipe"):
        resolve_recipe("fast", {})
