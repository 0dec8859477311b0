"""Model architectures, all on the same 99 x 81 log spectrograms.

- ``reference``: the notebook's light CNN; ``width`` multiplies its filters (1 = the notebook, 2 = its
  LB 0.74 run).
- ``dscnn``: a depthwise-separable CNN in the spirit of DS-CNN (Zhang et al. 2017, "Hello Edge"): one
  ordinary convolution with stride 2, then depthwise 3x3 + pointwise 1x1 blocks (the first with stride 2),
  an average over time and one dense layer. About the reference's compute per window with a tenth of
  its weights; ``width`` multiplies its channels.
- ``dscnn_wide``: the DS-CNN with its blocks at three times the first layer's channels (96 at width 1) instead of
  twice: more capacity where the blocks see 25 x 21 positions, at 1.6 times the compute. The bundled model.

Other architectures tried for the live model (a low-resolution DS-CNN, a noise-floor channel, BC-ResNet) are in
the git tag ``experiments-2026-12-02`` (commit 291929e); docs/experiments.md has their figures.

``width`` (1, 1.5 or 2) multiplies every layer's channels."""

from __future__ import annotations

import keras
from keras import layers

from .config import ARCHS

BN_MOMENTUM = 0.9  # DS-CNN normalises after every layer: its running statistics must settle within an epoch


def reference_cnn(input_shape=(99, 81), n_classes: int = 12, width: float = 1) -> keras.Model:
    def w(n):
        return int(round(n * width))

    inp = keras.Input(shape=input_shape, name="log_specgram")
    x = layers.Reshape(input_shape + (1,))(inp)
    x = layers.BatchNormalization()(x)
    x = layers.Conv2D(w(8), 2, activation="relu")(x)
    x = layers.Conv2D(w(8), 2, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(w(16), 3, activation="relu")(x)
    x = layers.Conv2D(w(16), 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Conv2D(w(32), 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.BatchNormalization()(layers.Dense(128, activation="relu")(x))
    x = layers.BatchNormalization()(layers.Dense(128, activation="relu")(x))
    out = layers.Dense(n_classes, activation="softmax", name="scores")(x)
    return keras.Model(inp, out, name=f"reference_cnn_w{width:g}")


def ds_cnn(input_shape=(99, 81), n_classes: int = 12, width: float = 1, blocks: int = 4,
           block_multiplier: int = 2) -> keras.Model:
    c = int(round(32 * width))
    inp = keras.Input(shape=input_shape, name="log_specgram")
    x = layers.Reshape(input_shape + (1,))(inp)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.Conv2D(c, (10, 4), strides=(2, 2), padding="same", use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
    for i in range(blocks):
        x = layers.DepthwiseConv2D(3, strides=2 if i == 0 else 1, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
        x = layers.Conv2D(block_multiplier * c, 1, use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
    # average over time only: where in frequency the energy lies is what tells words apart
    x = layers.AveragePooling2D(pool_size=(x.shape[1], 1), name="mean_over_time")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.2)(x)
    out = layers.Dense(n_classes, activation="softmax", name="scores")(x)
    suffix = "" if block_multiplier == 2 else f"_x{block_multiplier}"
    return keras.Model(inp, out, name=f"ds_cnn_w{width:g}{suffix}")


# the DS-CNN variants: what each changes in ds_cnn
DSCNN_VARIANTS = {"dscnn": {}, "dscnn_wide": dict(block_multiplier=3)}


def build_model(arch: str, input_shape, n_classes: int, width: float = 1) -> keras.Model:
    if arch == "reference":
        return reference_cnn(tuple(input_shape), n_classes, width)
    if arch in DSCNN_VARIANTS:
        return ds_cnn(tuple(input_shape), n_classes, width, **DSCNN_VARIANTS[arch])
    raise ValueError(f"unknown architecture {arch!r} (choose from {', '.join(ARCHS)})")
