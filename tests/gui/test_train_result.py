"""What the Train dialog says when a run finishes: the accuracies in words, and a warning for a useless model."""

import json

from kwsapp.gui.train_dialog import result_text


def test_a_model_near_chance_is_flagged(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps({"validation": {"accuracy": 0.07}, "testing": {"accuracy": 0.09}}))
    text, weak = result_text(tmp_path)
    assert weak and "Validation accuracy 7.0%, test 9.0%" in text and "close to chance (8% for 12 classes)" in text
    assert "{" not in text  # words, not the raw JSON


def test_a_good_model_gets_its_figures_and_no_warning(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps({"validation": {"accuracy": 0.931}, "testing": {"accuracy": 0.9}}))
    text, weak = result_text(tmp_path)
    assert not weak and text == f"Done: {tmp_path}. Validation accuracy 93.1%, test 90.0%."


def test_missing_or_damaged_metrics_still_say_done(tmp_path):
    assert result_text(tmp_path) == (f"Done: {tmp_path}.", False)
    (tmp_path / "metrics.json").write_text("{not json")
    assert result_text(tmp_path) == (f"Done: {tmp_path}.", False)
