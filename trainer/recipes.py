"""Named sets of training settings: `python -m trainer train --recipe NAME`; flags given explicitly override them.

- ``notebook`` reproduces the notebook: its CNN, +-100 ms shifts, a constant learning rate, early stopping.
  (Its augmentation, and unknown clips drawn per data folder, are this project's; see the README.)
- ``live`` is how the bundled model is trained (scripts/train_default_model.sh): the wide DS-CNN (blocks at 96
  channels), +-300 ms shifts, 1.5x unknown, SpecAugment masks, a cosine learning rate over 40 epochs keeping the
  best epoch. It was chosen by the streaming figures on the validation stream (README, "Live recognition quality");
  the README's rows before the wide DS-CNN are this recipe with ``--arch dscnn``. The bundled model adds two
  teachers (``--teacher``, trainer.distill), which are model folders, not settings, so no recipe names them.
"""

# the architectures trainer.models builds (named here, away from Keras, so the command line can offer them)
ARCHS = ("reference", "dscnn", "dscnn_wide")

# patience None: as many as the epochs (the cosine schedule runs to its end; the best epoch is kept)
RECIPES = {
    "notebook": dict(arch="reference", epochs=10, max_shift_ms=100.0, unknown_ratio=1.0, lr_schedule="constant",
                     spec_augment=False, patience=4),
    "live": dict(arch="dscnn_wide", epochs=40, max_shift_ms=300.0, unknown_ratio=1.5, lr_schedule="cosine",
                 spec_augment=True, patience=None),
}


def resolve_recipe(name: str, overrides: dict) -> dict:
    """The recipe's settings, with every override that is not None in their place."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r} (choose from {', '.join(RECIPES)})")
    out = {k: overrides[k] if overrides.get(k) is not None else v for k, v in RECIPES[name].items()}
    if out["patience"] is None:
        out["patience"] = out["epochs"]
    return out
