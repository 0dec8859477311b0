import numpy as np
import pytest

from trainer.models import ARCHS, build_model


@pytest.mark.parametrize("arch", ARCHS)
def test_every_architecture_maps_a_spectrogram_to_twelve_scores(arch):
    m = build_model(arch, (99, 81), 12, width=1)
    y = m(np.zeros((2, 99, 81), np.float32), training=False).numpy()
    assert y.shape == (2, 12) and np.allclose(y.sum(axis=1), 1.0, atol=1e-5)


def test_dscnn_lowres_runs_its_blocks_on_a_quarter_of_the_positions():
    def block_maps(model):
        return tuple(model.get_layer("mean_over_time").input.shape[1:])

    assert block_maps(build_model("dscnn", (99, 81), 12, width=2)) == (25, 21, 128)
    assert block_maps(build_model("dscnn_lowres", (99, 81), 12, width=2)) == (13, 11, 128)
