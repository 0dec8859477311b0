"""The named training recipes and the choices the Train dialog offers, in a module that imports nothing heavy (no
pandas, no TensorFlow), so that the app's window can read them; trainer.models.config builds on them.

- ``notebook`` reproduces the notebook: its CNN, +-100 ms shifts, a constant learning rate, early stopping.
- ``live`` is the bundled model's own recipe: the wide DS-CNN, +-300 ms shifts, 1.5x unknown, SpecAugment masks,
  every command drawn equally often each epoch, a cosine learning rate over 40 epochs keeping the best epoch.
"""

# the architectures trainer.models.architectures builds, and the channel multipliers offered for them
ARCHS = ("reference", "dscnn", "dscnn_wide", "dscnn_stream")
WIDTHS = (1.0, 2.0)
# the folder inside MODEL_DIR that holds an unfinished run (what --resume continues)
CHECKPOINT_DIR = ".checkpoint"

# patience None: as many as the epochs (the cosine schedule runs to its end; the best epoch is kept)
RECIPES = {
    "notebook": dict(arch="reference", epochs=10, max_shift_ms=100.0, unknown_ratio=1.0, lr_schedule="constant",
                     spec_augment=False, patience=4, balance_commands=False),
    "live": dict(arch="dscnn_wide", epochs=40, max_shift_ms=300.0, unknown_ratio=1.5, lr_schedule="cosine",
                 spec_augment=True, patience=None, balance_commands=True),
}
RECIPE_HELP = {
    "notebook": "the notebook's CNN and training, for reproducing it",
    "live": "the bundled model's recipe, for the app: the wide DS-CNN, larger shifts, more unknown, SpecAugment, "
            "every command drawn equally often, a cosine learning rate",
}
