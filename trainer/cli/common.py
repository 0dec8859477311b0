"""Arguments several ``python -m trainer`` commands share: the speaker split and the feature runtime."""

from __future__ import annotations

import argparse

from kwsapp.core.modelfolder import ModelFolder
from trainer.data.dataset import SplitRule

ROOT_HELP = "data ROOT: the folder that holds train/ (and test/ for a submission), as in the Kaggle download"


def add_split_args(p: argparse.ArgumentParser, defaults_from_model: bool = False) -> None:
    extra = " (default: what the model was trained with)" if defaults_from_model else ""
    g = p.add_argument_group("split by speaker when the data has no validation_list.txt / testing_list.txt" + extra)
    rule = SplitRule()
    g.add_argument("--val-percent", type=float, default=None,
                   help=f"share of speakers for validation (default {rule.validation_percent:g})")
    g.add_argument("--test-percent", type=float, default=None,
                   help=f"share of speakers for testing (default {rule.testing_percent:g})")
    g.add_argument("--split-salt", default=None,
                   help="salt for the speaker hash; needed for data that is one hash band already, such as the "
                        "Speech Commands test set (see README)")


def split_rule(args, model_dir: str | None = None) -> SplitRule:
    base = SplitRule()
    if model_dir:
        info = ModelFolder.open(model_dir).read_json("training.json") or {}
        if info.get("split_rule"):
            base = SplitRule(**info["split_rule"])
    return SplitRule(
        validation_percent=args.val_percent if args.val_percent is not None else base.validation_percent,
        testing_percent=args.test_percent if args.test_percent is not None else base.testing_percent,
        salt=args.split_salt if args.split_salt is not None else base.salt,
    )


def add_runtime_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache-dir", default=None, help="feature cache folder (default ~/.cache/kwsapp/features, or $KWSAPP_CACHE_DIR)")
    p.add_argument("--workers", type=int, default=None, help="processes for feature extraction (default: all cores)")
