"""The scrolling spectrogram: the last few seconds as the model sees them (8 kHz, 20 ms / 10 ms, log power)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from ..core.features import DEFAULT_SETTINGS

# log power range shown: quiet room noise sits near the bottom, loud speech near the top
LEVELS = (-8.0, 14.0)


class SpectrogramView(pg.PlotWidget):
    def __init__(self, parent=None, seconds: float = 3.0):
        super().__init__(parent)
        self.seconds = seconds
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(pg.colormap.get("inferno").getLookupTable(nPts=256))
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
        self.frames_shown = 0

    def show_features(self, feats: np.ndarray) -> None:
        """feats: (frames, bins) log spectrogram, oldest frame first; drawn with time on x, frequency on y."""
        shape_changed = self.image.image is None or self.image.image.shape != feats.T.shape
        self.image.setImage(feats.T, autoLevels=False, levels=LEVELS)
        if shape_changed:  # setRect scales by the image's size: set it once there is an image of this size
            self.image.setRect(-self.seconds, 0, self.seconds, DEFAULT_SETTINGS.sample_rate_hz / 2)
        self.frames_shown += 1
