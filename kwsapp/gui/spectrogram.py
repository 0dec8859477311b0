"""The scrolling spectrogram: the last few seconds as the model sees them (8 kHz, 20 ms / 10 ms, log power)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from ..core.features import DEFAULT_SETTINGS

# log power range shown: quiet room noise sits near the bottom, loud speech near the top
LEVELS = (-8.0, 14.0)
COLOURS = np.ascontiguousarray(pg.colormap.get("inferno").getLookupTable(nPts=256, alpha=True)).view(np.uint32).ravel()


def colour_image(features: np.ndarray) -> np.ndarray:
    """(frames, bins) log spectrogram -> (bins, frames, 4) RGBA bytes, time on x: coloured where the columns are
    made (the inference worker), so the GUI thread only draws them instead of running pyqtgraph's colour lookup."""
    idx = np.clip((features.T - LEVELS[0]) * (256.0 / (LEVELS[1] - LEVELS[0])), 0, 255).astype(np.uint8)  # as pyqtgraph maps levels
    return COLOURS[np.ascontiguousarray(idx)].view(np.uint8).reshape(idx.shape + (4,))


class SpectrogramView(pg.PlotWidget):
    def __init__(self, parent=None, seconds: float = 3.0):
        super().__init__(parent)
        self.seconds = seconds
        self.image = pg.ImageItem(axisOrder="row-major")  # RGBA from colour_image: no lookup, no levels
        self.addItem(self.image)
        nyquist = DEFAULT_SETTINGS.sample_rate_hz / 2
        self.setLabel("bottom", "time", units="s")
        self.setLabel("left", "frequency", units="Hz")
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setMenuEnabled(False)
        self.setXRange(-seconds, 0, padding=0)
        self.setYRange(0, nyquist, padding=0)
        self.setMinimumHeight(160)
        for side in ("left", "bottom"):  # the axes do not change: drawn once, then copied
            self.getAxis(side).setCacheMode(pg.QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.frames_shown = 0

    def show_image(self, rgba: np.ndarray) -> None:
        """rgba: :func:`colour_image` of the (frames, bins) log spectrogram, oldest frame first."""
        shape_changed = self.image.image is None or self.image.image.shape != rgba.shape
        self.image.setImage(rgba, autoLevels=False, levels=None)
        if shape_changed:  # setRect scales by the image's size: set it once there is an image of this size
            self.image.setRect(-self.seconds, 0, self.seconds, DEFAULT_SETTINGS.sample_rate_hz / 2)
        self.frames_shown += 1
