import numpy as np
import pytest

from trainer.models import ARCHS, build_model


@pytest.mark.parametrize("arch", ARCHS)
def test_every_architecture_maps_a_spectrogram_to_twelve_scores(arch):
    m = build_model(arch, (99, 81), 12, width=1)
    y = m(np.zeros((2, 99, 81), np.float32), training=False).numpy()
    assert y.shape == (2, 12) and np.allclose(y.sum(axis=1), 1.0, atol=1e-5)


def block_maps(model):
    return tuple(model.get_layer("mean_over_time").input.shape[1:])


def test_dscnn_lowres_runs_its_blocks_on_a_quarter_of_the_positions():
    assert block_maps(build_model("dscnn", (99, 81), 12, width=2)) == (25, 21, 128)
    assert block_maps(build_model("dscnn_lowres", (99, 81), 12, width=2)) == (13, 11, 128)


def first_conv_channels(model):
    return next(layer for layer in model.layers if layer.__class__.__name__ == "Conv2D").filters


def test_width_scales_every_layer_and_dscnn_wide_triples_the_blocks():
    assert (first_conv_channels(build_model("dscnn", (99, 81), 12, width=1.5)),
            block_maps(build_model("dscnn", (99, 81), 12, width=1.5))) == (48, (25, 21, 96))
    wide = build_model("dscnn_wide", (99, 81), 12, width=1)
    assert (first_conv_channels(wide), block_maps(wide)) == (32, (25, 21, 96))
    assert first_conv_channels(build_model("reference", (99, 81), 12, width=1.5)) == 12


def last_stage_maps(model):
    """(frames, bins, channels) where the head starts."""
    return tuple(model.get_layer("head_depthwise").input.shape[1:])


def test_bcresnet_is_the_papers_size_and_t2_halves_the_frames():
    # BC-ResNet-1 has 9.2k parameters with 12 classes (Kim et al. 2021, table 1)
    bc1 = build_model("bcresnet", (99, 81), 12, width=1)
    assert bc1.count_params() == 9208
    assert last_stage_maps(bc1)[1:] == (10, 20)
    assert last_stage_maps(bc1)[0] == 99 + 4  # all frames, padded by 2 each side for the 5-frame head
    assert last_stage_maps(build_model("bcresnet_t2", (99, 81), 12, width=2)) == (50 + 4, 10, 40)


def test_bcresnet_survives_a_safe_mode_round_trip(tmp_path):
    import keras

    m = build_model("bcresnet_t2", (99, 81), 12, width=1)
    x = np.random.default_rng(0).normal(-10, 3, (2, 99, 81)).astype(np.float32)
    m.save(tmp_path / "m.keras")
    back = keras.saving.load_model(tmp_path / "m.keras", compile=False, safe_mode=True)
    np.testing.assert_allclose(back(x, training=False).numpy(), m(x, training=False).numpy(), rtol=1e-5, atol=1e-6)


def test_the_floor_channel_is_each_bin_above_its_frequencys_quietest_stretch():
    import keras

    m = build_model("dscnn_wide_floor", (99, 81), 12, width=1)
    channels = keras.Model(m.input, m.get_layer("with_floor").output)
    x = np.full((1, 99, 81), -8.0, np.float32)
    x[0, :, 40:] = -3.0                 # a louder, steady band: its own floor
    x[0, 30:50, 10:20] += 4.0           # a word standing 4 above the floor there
    x[0, 70, 60] -= 6.0                 # one quiet frame alone does not set the floor (5-frame average)
    out = channels(x).numpy()[0]
    np.testing.assert_array_equal(out[..., 0], x[0])
    rel = out[..., 1]
    np.testing.assert_allclose(rel[30:50, 10:20], 4.0, atol=1e-5)
    np.testing.assert_allclose(rel[:30, :40], 0.0, atol=1e-5)
    np.testing.assert_allclose(rel[:, 41:60], 0.0, atol=1e-5)
    np.testing.assert_allclose(rel[0, 60], 6.0 / 5, atol=1e-5)  # the floor at bin 60 is the dip's 5-frame average
