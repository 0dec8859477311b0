"""Model architectures, all on the same 99 x 81 log spectrograms.

- ``reference``: the notebook's light CNN; ``width`` multiplies its filters (1 = the notebook, 2 = its
  LB 0.74 run).
- ``dscnn``: a depthwise-separable CNN in the spirit of DS-CNN (Zhang et al. 2017, "Hello Edge"): one
  ordinary convolution with stride 2, then depthwise 3x3 + pointwise 1x1 blocks (the first with stride 2),
  an average over time and one dense layer. About the reference's compute per window with a tenth of
  its weights; ``width`` multiplies its channels.
- ``dscnn_wide``: the DS-CNN with its blocks at three times the first layer's channels (96 at width 1) instead of
  twice: more capacity where the blocks see 25 x 21 positions, at 1.6 times the compute. The bundled model.
- ``dscnn_stream``: ``dscnn_wide`` made streamable (as in google-research's kws_streaming): no padding in time, so
  each of the 16 time positions the blocks end with sees 38 frames of its own, and a stream can be scored by
  computing, every 4 frames (40 ms), one new position of each layer and averaging the last 16
  (``trainer.models.incremental``); padded in frequency as the others.

Other architectures tried for the live model (a low-resolution DS-CNN, a noise-floor channel, BC-ResNet) are in
the git tag ``experiments-2026-12-02`` (commit 291929e); docs/experiments.md has their figures.

``width`` (1, 1.5 or 2) multiplies every layer's channels."""

from __future__ import annotations

import keras
from keras import layers

from kwsapp.core.features import DEFAULT_SETTINGS
from kwsapp.core.labels import LABELS
from trainer.models.recipes import ARCHS

SHAPE = DEFAULT_SETTINGS.shape  # (frames, bins) of the default features: 99 x 81
N_CLASSES = len(LABELS)

BN_MOMENTUM = 0.9  # DS-CNN normalises after every layer: its running statistics must settle within an epoch


def reference_cnn(input_shape=SHAPE, n_classes: int = N_CLASSES, width: float = 1) -> keras.Model:
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


def ds_cnn(input_shape=SHAPE, n_classes: int = N_CLASSES, width: float = 1, blocks: int = 4,
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

# dscnn_stream's layers in time: (name, kernel, stride), in order; trainer.models.incremental builds its step from these
STREAM_TIME_LAYERS = (("conv", 10, 2), ("dw0", 3, 2), ("dw1", 3, 1), ("dw2", 3, 1), ("dw3", 3, 1))


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """Keras' "same" padding of one axis (the extra one after): (before, after)."""
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def ds_cnn_stream(input_shape=SHAPE, n_classes: int = N_CLASSES, width: float = 1, block_multiplier: int = 3,
                  body_only: bool = False):
    """``dscnn_stream`` (see the module's text). Its layers are named, so that trainer.models.incremental can apply the same
    ones to a few frames at a time. ``body_only``: the layers up to the last block, as a list (for the step)."""
    c = int(round(32 * width))
    bins = input_shape[1]
    body = [layers.Reshape((-1, bins, 1), name="as_image"),
            layers.BatchNormalization(momentum=BN_MOMENTUM, name="bn_in")]
    (_, k_conv, s_conv), *blocks = STREAM_TIME_LAYERS
    f_pad = same_padding(bins, 4, 2)
    body += [layers.ZeroPadding2D(((0, 0), f_pad), name="conv_pad"),
             layers.Conv2D(c, (k_conv, 4), strides=(s_conv, 2), use_bias=False, name="conv"),
             layers.BatchNormalization(momentum=BN_MOMENTUM, name="conv_bn"), layers.ReLU(name="conv_relu")]
    bins = -(-bins // 2)
    for name, k, s in blocks:
        f_pad = same_padding(bins, 3, s)
        body += [layers.ZeroPadding2D(((0, 0), f_pad), name=f"{name}_pad"),
                 layers.DepthwiseConv2D((k, 3), strides=s, use_bias=False, name=name),
                 layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn"), layers.ReLU(name=f"{name}_relu"),
                 layers.Conv2D(block_multiplier * c, 1, use_bias=False, name=f"{name}_pw"),
                 layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_pw_bn"),
                 layers.ReLU(name=f"{name}_pw_relu")]
        bins = -(-bins // s)
    if body_only:
        return body
    inp = keras.Input(shape=input_shape, name="log_specgram")
    x = inp
    for layer in body:
        x = layer(x)
    x = layers.AveragePooling2D(pool_size=(x.shape[1], 1), name="mean_over_time")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.2)(x)
    out = layers.Dense(n_classes, activation="softmax", name="scores")(x)
    return keras.Model(inp, out, name=f"ds_cnn_stream_w{width:g}")


# the architectures, one line each: the name --arch takes, and what builds it (input shape, classes, width)
BUILDERS = {
    "reference": reference_cnn,
    "dscnn": lambda shape, n, width: ds_cnn(shape, n, width, **DSCNN_VARIANTS["dscnn"]),
    "dscnn_wide": lambda shape, n, width: ds_cnn(shape, n, width, **DSCNN_VARIANTS["dscnn_wide"]),
    "dscnn_stream": ds_cnn_stream,
}
assert tuple(BUILDERS) == ARCHS, "trainer.models.recipes.ARCHS (what the app offers) names the same architectures"


def build_model(arch: str, input_shape, n_classes: int, width: float = 1) -> keras.Model:
    if arch not in BUILDERS:
        raise ValueError(f"unknown architecture {arch!r} (choose from {', '.join(ARCHS)})")
    return BUILDERS[arch](tuple(input_shape), n_classes, width)
