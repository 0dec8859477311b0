"""Model architectures. ``reference`` is the notebook's light CNN; ``width`` multiplies its filters
(1 = the notebook, 2 = its LB 0.74 run)."""

from __future__ import annotations

import keras
from keras import layers

ARCHS = ("reference",)


def reference_cnn(input_shape=(99, 81), n_classes: int = 12, width: int = 1) -> keras.Model:
    w = int(width)
    inp = keras.Input(shape=input_shape, name="log_specgram")
    x = layers.Reshape(input_shape + (1,))(inp)
    x = layers.BatchNormalization()(x)
    x = layers.Conv2D(8 * w, 2, activation="relu")(x)
    x = layers.Conv2D(8 * w, 2, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(16 * w, 3, activation="relu")(x)
    x = layers.Conv2D(16 * w, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Conv2D(32 * w, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.BatchNormalization()(layers.Dense(128, activation="relu")(x))
    x = layers.BatchNormalization()(layers.Dense(128, activation="relu")(x))
    out = layers.Dense(n_classes, activation="softmax", name="scores")(x)
    return keras.Model(inp, out, name=f"reference_cnn_w{w}")


def build_model(arch: str, input_shape, n_classes: int, width: int = 1) -> keras.Model:
    if arch == "reference":
        return reference_cnn(tuple(input_shape), n_classes, width)
    raise ValueError(f"unknown architecture {arch!r} (choose from {', '.join(ARCHS)})")
