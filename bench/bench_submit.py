"""Export speed: kwsapp's `submit` against the reference notebook's own test loop, in one run.

    python -m bench.bench_submit [--clips 5000] [--model assets/default_model] [--workers N]

Writes a test folder of generated 1-s, 16 kHz clips (tone bursts in noise), then times
1. kwsapp: trainer.evaluation.submit.write_submission (parallel features, large batches, compiled model);
2. the notebook: its test_data_generator (pad_audio, signal.resample, log_specgram per file) and
   model.predict on batches of 32, with its three bugs fixed so it runs (Windows path split,
   ``raise StopIteration``, the undefined ``fname``) and nothing else changed.
Both use the same model and files, and must give the same labels. Prints clips/s of each and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.io import wavfile

from bench.notebook import predict_test_set

REPO = Path(__file__).resolve().parents[1]

def make_test_folder(root: Path, n: int, seed: int = 0) -> None:
    audio = root / "test" / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    t = np.arange(16000) / 16000
    for i in range(n):
        x = rng.normal(0, 300, 16000)
        b = rng.integers(0, 8000)
        f = rng.uniform(200, 3000)
        x[b:b + 6000] += 4000 * np.sin(2 * np.pi * f * t[:6000]) * np.hanning(6000)[: len(x[b:b + 6000])]
        wavfile.write(audio / f"clip_{i:08x}.wav", 16000, np.clip(x, -32768, 32767).astype(np.int16))




def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=5000)
    ap.add_argument("--model", default=str(REPO / "assets" / "default_model"))
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--keras", action="store_true", help="score with Keras even when the folder has model.tflite")
    args = ap.parse_args()

    import pandas as pd

    from trainer.data.extract import default_workers
    from trainer.evaluation.submit import write_submission
    from trainer.models.keras_model import KerasScorer

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        make_test_folder(root, args.clips)
        print(f"generated {args.clips} clips in {time.perf_counter() - t:.1f} s; cores: {default_workers()}")

        # what `python -m trainer submit` runs: LiteRT on batches when the folder has model.tflite, else Keras;
        # its start (loading the model, or importing TensorFlow) is in the timing, as a user waits for it
        t = time.perf_counter()
        if Path(args.model, "model.tflite").is_file() and not args.keras:
            from kwsapp.engine.window import load_scorer

            predictor = load_scorer(args.model)
        else:
            predictor = KerasScorer(args.model)
        write_submission(predictor, root, root / "sub.csv", workers=args.workers, progress=False)
        ours_s = time.perf_counter() - t
        ours = pd.read_csv(root / "sub.csv")
        print(f"kwsapp scorer: {type(predictor).__name__}")

        model = KerasScorer(args.model).model
        model.predict(np.zeros((1,) + predictor.settings.shape + (1,), np.float32), verbose=0)
        t = time.perf_counter()
        index, results = predict_test_set(model, list(predictor.labels), str(root / "test" / "audio"))
        nb_s = time.perf_counter() - t

    agree = float(np.mean(np.array(results) == ours["label"].to_numpy())) if index == ours["fname"].tolist() else float("nan")
    print(f"kwsapp submit : {args.clips / ours_s:8.0f} clips/s  ({ours_s:.2f} s)")
    print(f"notebook loop : {args.clips / nb_s:8.0f} clips/s  ({nb_s:.2f} s)")
    print(f"speed-up      : {nb_s / ours_s:8.1f} x")
    print(f"same labels   : {agree:.4f} of clips")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
