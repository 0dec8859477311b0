"""End to end through the command line: synth -> train -> evaluate -> submit, and interruptions."""

import csv
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kwsapp.core.features import FeatureSettings
from kwsapp.core.labels import LABELS
from kwsapp.core.modelfolder import ModelFolder
from tests.helpers import run_cli

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def train_small(synth_root, out, seed=1):
    run_cli("train", "--data", synth_root, "--out", out, "--epochs", 2, "--seed", seed, "--workers", 2)
    return out


@pytest.fixture(scope="session")
def trained_model(synth_root, tmp_path_factory):
    return train_small(synth_root, tmp_path_factory.mktemp("model") / "m")


def test_synth_layout(synth_root):
    audio = synth_root / "train" / "audio"
    words = sorted(p.name for p in audio.iterdir())
    assert "_background_noise_" in words and len(words) == 31
    assert len(list(audio.glob("*/*_nohash_*.wav"))) == 30 * 8
    truth = pd.read_csv(synth_root / "test_labels.csv")
    assert len(truth) == 60 == len(list((synth_root / "test" / "audio").glob("clip_*.wav")))
    assert set(truth["label"]) <= set(LABELS)
    listed = (synth_root / "train" / "validation_list.txt").read_text().split() + \
        (synth_root / "train" / "testing_list.txt").read_text().split()
    assert listed and all((audio / p).is_file() for p in listed)


def test_synth_is_deterministic(tmp_path, needs_espeak):
    from trainer.data.synth import synthesize

    a = synthesize(tmp_path / "a", per_word=3, test_clips=4, seed=5, words=("yes", "cat"), progress=False, noise_seconds=3)
    b = synthesize(tmp_path / "b", per_word=3, test_clips=4, seed=5, words=("yes", "cat"), progress=False, noise_seconds=3)
    assert a == b
    fa = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.wav"))
    fb = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.wav"))
    assert fa == fb and len(fa) > 6
    for p in fa:
        assert (tmp_path / "a" / p).read_bytes() == (tmp_path / "b" / p).read_bytes(), p


def test_words_added_at_the_end_leave_the_others_training_clips_alone(tmp_path, needs_espeak):
    """What `synth --near-misses` relies on: a set with the near misses is the same set plus their folders, so
    a model trained on it can be compared with one trained without them."""
    from trainer.data.synth import NEAR_MISSES, synthesize

    kw = dict(per_word=3, test_clips=2, seed=5, progress=False, noise_seconds=3)
    synthesize(tmp_path / "a", words=("yes", "cat"), **kw)
    synthesize(tmp_path / "b", words=("yes", "cat", NEAR_MISSES[0]), **kw)
    audio_a, audio_b = tmp_path / "a" / "train" / "audio", tmp_path / "b" / "train" / "audio"
    fa = sorted(p.relative_to(audio_a) for p in audio_a.rglob("*.wav"))
    fb = sorted(p.relative_to(audio_b) for p in audio_b.rglob("*.wav"))
    added = [p for p in fb if p.parts[0] == NEAR_MISSES[0]]
    assert len(added) == 3 and sorted(set(fb) - set(added)) == fa
    for p in fa:
        assert (audio_a / p).read_bytes() == (audio_b / p).read_bytes(), p


def test_near_misses_are_other_words():
    from kwsapp.core.labels import KAGGLE_WORDS, UNKNOWN, label_of_word
    from trainer.data.synth import NEAR_MISSES

    assert len(set(NEAR_MISSES)) == len(NEAR_MISSES) == 40
    assert all(w.isalpha() and w.islower() and label_of_word(w) == UNKNOWN for w in NEAR_MISSES)
    assert not set(NEAR_MISSES) & set(KAGGLE_WORDS)


def test_model_folder_contents(trained_model, synth_root):
    for name in ("model.keras", "model.tflite", "labels.json", "features.json", "training.json", "metrics.json",
                 "history.csv", "curves.png", "confusion.png"):
        assert (trained_model / name).is_file(), name
    assert json.loads((trained_model / "labels.json").read_text()) == list(LABELS)
    assert json.loads((trained_model / "features.json").read_text())["sample_rate_hz"] == 8000
    metrics = json.loads((trained_model / "metrics.json").read_text())
    assert metrics["testing"]["n"] > 0 and len(metrics["testing"]["confusion"]) == 12
    assert len(pd.read_csv(trained_model / "history.csv")) == 2
    assert not (trained_model / ".checkpoint").exists()
    # training.json names no folder of the machine it was trained on, and says what it names is not shipped
    info = json.loads((trained_model / "training.json").read_text())
    assert info["command"].startswith("python -m trainer train --data ")
    assert all(not Path(d["root"]).is_absolute() for d in info["data"]) and "not part of" in info["not_shipped"]
    assert str(synth_root) not in (trained_model / "training.json").read_text()


def test_training_repeats_to_the_bit_for_a_seed(trained_model, synth_root, tmp_path):
    """The same command and seed give the same weights (what lets scripts/train_default_model.sh reproduce the
    bundled model); another seed gives others."""
    from trainer.models.keras_model import load_keras_model

    def weights(folder):
        return load_keras_model(folder / "model.keras").get_weights()

    again, other = train_small(synth_root, tmp_path / "again"), train_small(synth_root, tmp_path / "other", seed=2)
    assert (again / "history.csv").read_text() == (trained_model / "history.csv").read_text()
    first, second, third = weights(trained_model), weights(again), weights(other)
    assert len(first) == len(second) > 0
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not all(np.array_equal(a, c) for a, c in zip(first, third))


def test_evaluate_json(trained_model, synth_root, tmp_path):
    out = tmp_path / "m.json"
    run_cli("evaluate", "--data", synth_root, "--model", trained_model, "--split", "test", "--json", out)
    m = json.loads(out.read_text())
    for key in ("accuracy", "n", "per_class", "confusion", "labels"):
        assert key in m
    assert m["labels"] == list(LABELS) and m["per_class"]["silence"]["n"] > 0
    assert sum(map(sum, m["confusion"])) == m["n"]


def test_submit_writes_every_test_clip_once(trained_model, synth_root, tmp_path):
    (synth_root / "test" / "audio" / "clip_zzbroken.wav").write_bytes(b"not a wav at all")
    try:
        out = tmp_path / "sub.csv"
        r = run_cli("submit", "--data", synth_root, "--model", trained_model, "--out", out, "--tta")
        assert "clip_zzbroken.wav" in r.stderr and "unknown" in r.stderr
        sub = pd.read_csv(out)
        assert list(sub.columns) == ["fname", "label"]
        files = sorted(p.name for p in (synth_root / "test" / "audio").glob("*.wav"))
        assert sub["fname"].tolist() == files
        assert set(sub["label"]) <= set(LABELS)
        assert sub.set_index("fname").loc["clip_zzbroken.wav", "label"] == "unknown"
        # scoring against the truth works (the accuracy itself is not asserted: 2 epochs on 240 clips)
        (synth_root / "test" / "audio" / "clip_zzbroken.wav").unlink()
        sub[sub["fname"] != "clip_zzbroken.wav"].to_csv(out, index=False)
        r = run_cli("score", "--submission", out, "--truth", synth_root / "test_labels.csv")
        assert "submission: accuracy" in r.stdout and "on 60 clips" in r.stdout
    finally:
        (synth_root / "test" / "audio" / "clip_zzbroken.wav").unlink(missing_ok=True)


def test_submission_rows_survive_commas_quotes_and_newlines_in_file_names(trained_model, synth_root, tmp_path):
    from trainer.evaluation.submit import write_submission
    from trainer.models.keras_model import KerasScorer

    clips = sorted((synth_root / "test" / "audio").glob("*.wav"))[:4]
    names = ["a,b.wav", 'say "yes".wav', "two\nlines.wav", "plain.wav"]
    audio = tmp_path / "data" / "test" / "audio"
    audio.mkdir(parents=True)
    for clip, name in zip(clips, names):
        shutil.copy(clip, audio / name)
    out = tmp_path / "sub.csv"
    write_submission(KerasScorer(trained_model), tmp_path / "data", out, workers=1, progress=False)
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["fname", "label"] and sorted(r[0] for r in rows[1:]) == sorted(names)
    assert all(len(r) == 2 and r[1] in LABELS for r in rows[1:])


def test_predict_prints_label_and_score(trained_model, synth_root):
    clips = sorted((synth_root / "test" / "audio").glob("*.wav"))[:3]
    r = run_cli("predict", "--model", trained_model, *clips)
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 3
    for line, clip in zip(lines, clips):
        name, label, score = line.rsplit(" ", 2)
        assert name == str(clip) and label in LABELS and 0 <= float(score) <= 1
    # with model.tflite in the folder, predict runs LiteRT and never imports TensorFlow (seconds saved)
    code = ("import sys; from trainer.cli.main import main; rc = main(['predict', '--model', sys.argv[1], sys.argv[2]]); "
            "print('tensorflow' in sys.modules, rc)")
    r = subprocess.run([sys.executable, "-c", code, str(trained_model), str(clips[0])], capture_output=True, text=True,
                       cwd=REPO, timeout=120)
    assert r.stdout.strip().splitlines()[-1] == "False 0", r.stdout + r.stderr


def test_interrupted_export_leaves_nothing(trained_model, synth_root, tmp_path):
    from trainer.evaluation.submit import write_submission
    from trainer.models.keras_model import KerasScorer

    predictor = KerasScorer(trained_model)
    real_scores = predictor.scores
    calls = []

    def interrupted(feats, *a, **k):
        calls.append(len(feats))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_scores(feats, *a, **k)

    predictor.scores = interrupted
    out = tmp_path / "sub.csv"
    out.write_text("previous,file\n")
    import trainer.evaluation.submit as submit_mod

    with pytest.raises(KeyboardInterrupt):
        # small chunks so the interruption falls in the middle of the export
        orig = submit_mod.iter_feature_chunks
        submit_mod.iter_feature_chunks = lambda *a, **k: orig(*a, **{**k, "chunk_size": 16})
        try:
            write_submission(predictor, synth_root, out, workers=1, progress=False)
        finally:
            submit_mod.iter_feature_chunks = orig
    assert len(calls) == 2
    assert out.read_text() == "previous,file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub.csv"]


def test_ctrl_c_keeps_checkpoint_and_resume_finishes(synth_root, tmp_path):
    out = tmp_path / "m"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    # started as a script starts it in the background (`app &`): SIGINT ignored, inherited. Ctrl-C and the app's
    # Cancel (SIGINT) must stop it all the same.
    proc = subprocess.Popen([sys.executable, "-m", "trainer", "train", "--data", str(synth_root), "--out", str(out),
                             "--recipe", "live", "--arch", "reference", "--epochs", "30", "--seed", "2"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    deadline = time.time() + 300
    history = out / "history.csv"
    while time.time() < deadline and proc.poll() is None:
        if history.is_file() and len(history.read_text().splitlines()) >= 3:  # header + 2 epochs
            break
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()[1][-2000:]
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "--resume" in err and "Traceback" not in err
    assert (out / ".checkpoint").is_dir() and not (out / "model.keras").exists()
    done = len(pd.read_csv(history))
    # without --resume it refuses to overwrite the interrupted run
    r = run_cli("train", "--data", synth_root, "--out", out, "--epochs", 3, check=False)
    assert r.returncode == 2 and "--resume" in r.stderr
    run_cli("train", "--data", synth_root, "--out", out, "--recipe", "live", "--arch", "reference", "--epochs", done + 2,
            "--seed", 2, "--resume")
    h = pd.read_csv(history)
    assert h["epoch"].tolist() == list(range(done + 2))
    assert (out / "model.keras").is_file() and not (out / ".checkpoint").exists()


def test_cli_errors_are_one_line(tmp_path):
    r = run_cli("train", "--data", tmp_path, "--out", tmp_path / "m", check=False)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "train/audio" in r.stderr
    r = run_cli("predict", "--model", tmp_path, "x.wav", check=False)
    assert r.returncode == 2 and "not a model folder" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("train", "--data", tmp_path, "--out", tmp_path / "m", "--train-speakers", 0, check=False)
    assert r.returncode == 2 and "--train-speakers: 0 is not above 0 and at most 1" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("train", "--data", tmp_path, "--out", tmp_path / "m", "--exclude-speakers", tmp_path / "nope.txt", check=False)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "nope.txt: cannot read the speaker list" in r.stderr
    r = run_cli("train", "--data", tmp_path, "--out", tmp_path / "m", "--teacher", tmp_path / "nope", check=False)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0
    assert f"--teacher {tmp_path / 'nope'}: not a model folder" in r.stderr
    # a teacher that hears other features (16 kHz) would teach the wrong thing
    other = tmp_path / "t16k"
    ModelFolder.write_metadata(other, LABELS, FeatureSettings(sample_rate_hz=16000))
    (other / "model.keras").write_bytes(b"")  # never loaded: the settings are checked first
    r = run_cli("train", "--data", tmp_path, "--out", tmp_path / "m", "--teacher", other, check=False)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0
    assert f"--teacher {other}: trained on other features: sample_rate_hz 16000 (here 8000)" in r.stderr


def test_distillation_targets_mix_the_label_and_the_teachers_scores(trained_model, synth_root):
    from kwsapp.core.features import DEFAULT_SETTINGS
    from trainer.data.dataset import TRAIN
    from trainer.data.epochs import make_training_dataset
    from trainer.data.sources import noise_features
    from trainer.models.config import TrainConfig
    from trainer.models.distill import Teachers, check_teachers
    from trainer.models.keras_model import KerasScorer
    from trainer.models.train import load_sources

    cfg = TrainConfig(data=[str(synth_root)], out="unused", seed=4, teacher_weight=0.3, progress=False)
    sources = load_sources(cfg)
    bank = noise_features(sources, TRAIN, 20, 0, DEFAULT_SETTINGS)
    taught = make_training_dataset(sources, cfg, bank, Teachers(check_teachers([trained_model], LABELS, DEFAULT_SETTINGS)))
    plain = make_training_dataset(sources, cfg, bank)
    x, y = taught[0]
    x_plain, onehot = plain[0]
    assert np.array_equal(x, x_plain)  # the same batch: teachers change the targets only
    assert set(np.unique(onehot)) == {0.0, 1.0} and np.allclose(onehot.sum(axis=1), 1)
    scores = KerasScorer(trained_model).scores(x)
    np.testing.assert_allclose(y, 0.7 * onehot + 0.3 * scores, atol=1e-6)
    assert np.allclose(y.sum(axis=1), 1, atol=1e-5)
    assert (y.max(axis=1) < 1).all() and (y >= 0).all()


def test_dscnn_trains_and_exports(synth_root, trained_model, tmp_path):
    out = tmp_path / "ds"
    run_cli("train", "--data", synth_root, "--out", out, "--recipe", "live", "--arch", "dscnn", "--epochs", 1,
            "--teacher", trained_model, "--seed", 1, "--workers", 2)
    info = json.loads((out / "training.json").read_text())
    assert info["arch"] == "dscnn" and info["parameters"] < 100_000 and info["augment"]["max_shift_frames"] == 30
    assert info["balance_commands"] is True and info["augment"]["freq_masks"] == 2
    # an absolute folder is recorded by its name only: training.json names no machine's folders
    assert info["teachers"] == [trained_model.name] and info["teacher_weight"] == 0.5
    from importlib.metadata import version
    assert info["versions"]["tensorflow"] == version("tensorflow") and info["versions"]["keras"] == version("keras")
    assert (out / "model.tflite").is_file()
    r = run_cli("predict", "--model", out, *sorted((synth_root / "test" / "audio").glob("*.wav"))[:3])
    assert len(r.stdout.splitlines()) == 3


def test_training_on_a_full_disk_leaves_no_half_model_folder(synth_root, tmp_path, monkeypatch):
    import trainer.models.train as train_mod
    from trainer.models.config import TrainConfig
    from trainer.models.train import TrainError

    # too little space from the start: refused before anything is written
    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(small)], capture_output=True).returncode:
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        r = run_cli("train", "--data", synth_root, "--out", small / "m", "--epochs", 1, check=False)
        assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "MB free" in r.stderr, r.stderr
        assert list(small.iterdir()) == []
    finally:
        subprocess.run(["umount", str(small)], capture_output=True)

    # the disk fills while the folder is written: the folder this run made goes
    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(train_mod, "save_inference_model", full)
    out = tmp_path / "m"
    with pytest.raises(TrainError) as e:
        train_mod.train(TrainConfig(data=[str(synth_root)], out=str(out), epochs=1, progress=False, workers=1))
    assert "No space left on device" in str(e.value) and "nothing was left" in str(e.value)
    assert not out.exists()


def test_the_export_runs_litert_without_tensorflow_and_gives_keras_labels(trained_model, synth_root, tmp_path):
    from kwsapp.engine.window import load_scorer
    from trainer.evaluation.submit import write_submission
    from trainer.models.keras_model import KerasScorer

    a, b = tmp_path / "keras.csv", tmp_path / "litert.csv"
    write_submission(KerasScorer(trained_model), synth_root, a, workers=1, progress=False)
    write_submission(load_scorer(trained_model), synth_root, b, workers=1, progress=False)
    ka, kb = pd.read_csv(a), pd.read_csv(b)
    assert len(ka) == len(list((synth_root / "test" / "audio").glob("*.wav"))) > 50
    assert (ka["label"] == kb["label"]).all()  # the same labels on every clip
    # the command line takes LiteRT when the folder has model.tflite, and never imports TensorFlow then
    code = ("import sys; from trainer.cli.main import main; rc = main(['submit', '--data', sys.argv[1], '--model', sys.argv[2], "
            "'--out', sys.argv[3], '--workers', '1']); print('tensorflow' in sys.modules, rc)")
    r = subprocess.run([sys.executable, "-c", code, str(synth_root), str(trained_model), str(tmp_path / "cli.csv")],
                       capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.stdout.strip().splitlines()[-1] == "False 0", r.stdout + r.stderr
    assert pd.read_csv(tmp_path / "cli.csv").equals(kb)
