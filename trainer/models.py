"""Model architectures, all on the same 99 x 81 log spectrograms.

- ``reference``: the notebook's light CNN; ``width`` multiplies its filters (1 = the notebook, 2 = its
  LB 0.74 run).
- ``dscnn``: a depthwise-separable CNN in the spirit of DS-CNN (Zhang et al. 2017, "Hello Edge"): one
  ordinary convolution with stride 2, then depthwise 3x3 + pointwise 1x1 blocks (the first with stride 2),
  an average over time and one dense layer. About the reference's compute per window with a tenth of
  its weights; ``width`` multiplies its channels.
- ``dscnn_lowres``: the same with its second block strided too, so the blocks run on a quarter of the positions
  (13 x 11 instead of 25 x 21): room within the live budget for ``width`` 2's channels.
- ``dscnn_wide``: the DS-CNN with its blocks at three times the first layer's channels (96 at width 1) instead of
  twice: more capacity where the blocks see 25 x 21 positions, at 1.6 times the compute. The bundled model.
- ``dscnn_wide_floor``: the wide DS-CNN with a second input channel, each bin's level above its frequency's
  floor in the window (:func:`above_noise_floor`). Measured no better in noise, and over the live budget.
- ``bcresnet``: a BC-ResNet (Kim et al. 2021, "Broadcasted Residual Learning for Efficient Keyword Spotting"):
  residual blocks that convolve along frequency in 2-D, average over frequency, convolve along time (dilated) in
  1-D and broadcast that back over frequency. Plain batch normalisation where the paper has SubSpectralNorm (its
  two transposes a block cost LiteRT more than the rest of the block). It keeps all 99 frames, as the paper does,
  and drops the 4 kHz bin (80 bins halve evenly: 40, 20, 10). ``width`` is the paper's tau: 1 is BC-ResNet-1
  (8 base channels, 9,208 parameters with 12 classes).
- ``bcresnet_t2``: the same with its first convolution strided in time too (50 frames): half the compute, so
  ``width`` 2 fits the live budget.

``width`` (1, 1.5 or 2) multiplies every layer's channels."""

from __future__ import annotations

import keras
from keras import layers

from .recipes import ARCHS

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


def above_noise_floor(x, smooth_frames: int = 5):
    """A second channel beside the log spectrogram x (batch, time, freq, 1): each bin's level above that frequency's
    floor in this window (the lowest of its moving averages over ``smooth_frames`` frames). Stationary noise then
    reads about 0 whatever its level and colour, a word by how far it stands out of it, which the convolutions'
    small receptive fields cannot work out for themselves."""
    smoothed = layers.AveragePooling2D((smooth_frames, 1), strides=1, name="floor_smooth")(x)
    floor = -layers.MaxPooling2D((smoothed.shape[1], 1), name="floor_min")(-smoothed)  # (batch, 1, freq, 1)
    return layers.Concatenate(name="with_floor")([x, x - floor])


def ds_cnn(input_shape=(99, 81), n_classes: int = 12, width: float = 1, blocks: int = 4,
           strided_blocks: int = 1, block_multiplier: int = 2, floor_channel: bool = False) -> keras.Model:
    c = int(round(32 * width))
    inp = keras.Input(shape=input_shape, name="log_specgram")
    x = layers.Reshape(input_shape + (1,))(inp)
    if floor_channel:
        x = above_noise_floor(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.Conv2D(c, (10, 4), strides=(2, 2), padding="same", use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
    for i in range(blocks):
        x = layers.DepthwiseConv2D(3, strides=2 if i < strided_blocks else 1, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
        x = layers.Conv2D(block_multiplier * c, 1, use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
    # average over time only: where in frequency the energy lies is what tells words apart
    x = layers.AveragePooling2D(pool_size=(x.shape[1], 1), name="mean_over_time")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.2)(x)
    out = layers.Dense(n_classes, activation="softmax", name="scores")(x)
    suffix = ("" if strided_blocks == 1 else f"_s{strided_blocks}") + ("" if block_multiplier == 2 else f"_x{block_multiplier}")
    suffix += "_floor" if floor_channel else ""
    return keras.Model(inp, out, name=f"ds_cnn_w{width:g}{suffix}")


def _bc_block(x, out_c: int, dilation: int, freq_stride: int, name: str):
    """One BC-ResBlock: y = x + f2(x) + broadcast(f1(mean over frequency of f2(x))); a transition block (new
    channel count) starts with a 1x1 convolution and has no identity path. Tensors are (batch, time, freq, ch)."""
    transition = x.shape[-1] != out_c
    shortcut = x
    if transition:
        x = layers.Conv2D(out_c, 1, use_bias=False, name=f"{name}_expand")(x)
        x = layers.ReLU()(layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
    # f2: along frequency, per channel
    x = layers.DepthwiseConv2D((1, 3), strides=(1, freq_stride), padding="same", use_bias=False, name=f"{name}_freq")(x)
    f2 = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    # f1: on the frequency average, along time, then across channels
    y = keras.ops.mean(f2, axis=2, keepdims=True)
    y = layers.DepthwiseConv2D((3, 1), dilation_rate=(dilation, 1), padding="same", use_bias=False, name=f"{name}_time")(y)
    y = layers.Activation("silu")(layers.BatchNormalization(momentum=BN_MOMENTUM)(y))
    y = layers.Conv2D(out_c, 1, use_bias=False, name=f"{name}_mix")(y)
    y = layers.SpatialDropout2D(0.1)(y)
    x = f2 + y  # broadcast over frequency
    if not transition:
        x = x + shortcut
    return layers.ReLU()(x)


def bc_resnet(input_shape=(99, 81), n_classes: int = 12, width: float = 1, time_stride: int = 1) -> keras.Model:
    base = int(round(8 * width))
    stage_channels = [base, int(base * 1.5), 2 * base, int(base * 2.5)]
    stage_blocks = [2, 2, 4, 4]
    bins = input_shape[1]
    inp = keras.Input(shape=input_shape, name="log_specgram")
    x = layers.Reshape(input_shape + (1,))(inp)
    x = layers.Cropping2D(((0, 0), (0, bins - 2 * (bins // 2))), name="drop_top_bin")(x)  # 81 -> 80 bins
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.Conv2D(2 * base, 5, strides=(time_stride, 2), padding="same", use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
    for stage, (ch, n) in enumerate(zip(stage_channels, stage_blocks)):
        for i in range(n):
            freq_stride = 2 if stage in (1, 2) and i == 0 else 1
            x = _bc_block(x, ch, 2 ** stage, freq_stride, f"stage{stage}_block{i}")
    # head: a depthwise 5 x (all remaining bins) convolution, 1x1 to 4x base channels, mean over time
    x = layers.ZeroPadding2D(((2, 2), (0, 0)))(x)
    x = layers.DepthwiseConv2D((5, x.shape[2]), use_bias=False, name="head_depthwise")(x)
    x = layers.Conv2D(4 * base, 1, use_bias=False, name="head_mix")(x)
    x = layers.ReLU()(layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
    x = layers.GlobalAveragePooling2D(name="mean_over_time")(x)
    out = layers.Dense(n_classes, activation="softmax", name="scores")(x)
    return keras.Model(inp, out, name=f"bc_resnet_w{width:g}" + ("" if time_stride == 1 else f"_t{time_stride}"))


# the DS-CNN and BC-ResNet variants: what each changes in ds_cnn / bc_resnet
DSCNN_VARIANTS = {"dscnn": {}, "dscnn_lowres": dict(strided_blocks=2), "dscnn_wide": dict(block_multiplier=3),
                  "dscnn_wide_floor": dict(block_multiplier=3, floor_channel=True)}
BCRESNET_VARIANTS = {"bcresnet": {}, "bcresnet_t2": dict(time_stride=2)}


def build_model(arch: str, input_shape, n_classes: int, width: float = 1) -> keras.Model:
    if arch == "reference":
        return reference_cnn(tuple(input_shape), n_classes, width)
    if arch in DSCNN_VARIANTS:
        return ds_cnn(tuple(input_shape), n_classes, width, **DSCNN_VARIANTS[arch])
    if arch in BCRESNET_VARIANTS:
        return bc_resnet(tuple(input_shape), n_classes, width, **BCRESNET_VARIANTS[arch])
    raise ValueError(f"unknown architecture {arch!r} (choose from {', '.join(ARCHS)})")
