import numpy as np
import pytest

from trainer.models.architectures import ARCHS, build_model


@pytest.mark.parametrize("arch", ARCHS)
def test_every_architecture_maps_a_spectrogram_to_twelve_scores(arch):
    m = build_model(arch, (99, 81), 12, width=1)
    y = m(np.zeros((2, 99, 81), np.float32), training=False).numpy()
    assert y.shape == (2, 12) and np.allclose(y.sum(axis=1), 1.0, atol=1e-5)


def block_maps(model):
    return tuple(model.get_layer("mean_over_time").input.shape[1:])


def first_conv_channels(model):
    return next(layer for layer in model.layers if layer.__class__.__name__ == "Conv2D").filters


def test_width_scales_every_layer_and_dscnn_wide_triples_the_blocks():
    assert (first_conv_channels(build_model("dscnn", (99, 81), 12, width=1.5)),
            block_maps(build_model("dscnn", (99, 81), 12, width=1.5))) == (48, (25, 21, 96))
    wide = build_model("dscnn_wide", (99, 81), 12, width=1)
    assert (first_conv_channels(wide), block_maps(wide)) == (32, (25, 21, 96))
    assert first_conv_channels(build_model("reference", (99, 81), 12, width=1.5)) == 12
