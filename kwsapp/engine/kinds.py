"""The kinds of model, in one table: how a model folder's audio becomes scores. A kind is added here and nowhere
else (kws_streaming's registry): a module with a source class whose ``feed(samples) -> (times_ms, scores)`` the
Listener calls, and ``labels`` and ``step_ms``.

- ``spectrogram``: ``model.tflite`` on the log spectrogram of the newest 1-s window, every hop (kwsapp.engine.window);
- ``incremental``: a ``dscnn_stream`` folder's ``stream_step.tflite``, every 40 ms on the frames that became
  complete (kwsapp.engine.incremental); asked for with ``runtime="incremental"``;
- ``speech_embedding``: the pretrained front-end and the folder's head, every 80 ms (kwsapp.engine.embedding).
"""

from __future__ import annotations

from ..core.modelfolder import ModelFolder, ModelFolderError

RUNTIMES = ("litert", "incremental")


def _spectrogram(model_dir, input_rate_hz: int, hop_ms: float):
    from .window import WindowSource, load_scorer

    return WindowSource(load_scorer(model_dir), input_rate_hz, hop_ms)


def _incremental(model_dir, input_rate_hz: int, hop_ms: float):
    from .incremental import IncrementalSource, StreamStep

    return IncrementalSource(StreamStep(model_dir), input_rate_hz)


def _speech_embedding(model_dir, input_rate_hz: int, hop_ms: float):
    from .embedding import EmbeddingModel, EmbeddingSource

    return EmbeddingSource(EmbeddingModel(model_dir), input_rate_hz)


def _spectrogram_clips(model_dir):
    from ..core.features import features_from_wave
    from .window import load_scorer

    scorer = load_scorer(model_dir)
    return lambda x, rate: scorer(features_from_wave(x, rate, scorer.settings))


def _speech_embedding_clips(model_dir):
    from .embedding import EmbeddingModel, clip_embeddings

    model = EmbeddingModel(model_dir)
    return lambda x, rate: model.head(clip_embeddings(model, x, rate))


KINDS = {"spectrogram": _spectrogram, "incremental": _incremental, "speech_embedding": _speech_embedding}
# one clip (up to 1 s) -> scores, as evaluate, predict and the window's "Open a wav" score clips
CLIP_SCORERS = {"spectrogram": _spectrogram_clips, "speech_embedding": _speech_embedding_clips}


def kind_of(model_dir, runtime: str = "litert") -> str:
    folder = ModelFolder.open(model_dir)
    if runtime == "incremental":
        if folder.kind != "spectrogram":
            raise ModelFolderError(f"{folder.path}: the incremental runtime is for dscnn_stream models")
        return "incremental"
    return folder.kind


def open_source(model_dir, input_rate_hz: int, hop_ms: float, runtime: str = "litert"):
    return KINDS[kind_of(model_dir, runtime)](model_dir, input_rate_hz, hop_ms)


def clip_scorer(model_dir):
    """A function (samples, rate_hz) -> scores of one clip, for the folder's kind."""
    return CLIP_SCORERS[kind_of(model_dir)](model_dir)
