"""personalize on a tiny synthetic set: one user's takes (espeak-ng, one voice) of two commands and a word of their
own; the new folder has one more output, runs in the app's runtime, and before / after are written."""

import json

import numpy as np
import pytest

from kwsapp.core.audio import write_wav
from tests.helpers import REPO, run_cli

pytestmark = pytest.mark.slow


def make_takes(root, tmp_path, words: dict[str, int]):
    from trainer.data.synth import RATE_HZ, Speaker, speak_word

    voice = Speaker("en-us", "f2", 60, 150)  # one user
    for word, n in words.items():
        (root / word).mkdir(parents=True)
        for i in range(n):
            x = speak_word(word, voice, tmp_path, speed_jitter=10 * i - 15)
            pad = np.zeros(int(0.2 * RATE_HZ), np.float32)
            noise = np.random.default_rng(i).normal(0, 0.002, 2 * pad.size + x.size).astype(np.float32)
            write_wav(root / word / f"take{i}.wav", 0.5 * np.concatenate([pad, x / np.abs(x).max(), pad]) + noise,
                      RATE_HZ)


def test_personalize_adds_a_word_and_writes_both_figures(tmp_path, needs_espeak):
    takes, out = tmp_path / "takes", tmp_path / "mine"
    make_takes(takes, tmp_path, {"yes": 3, "no": 3, "lights": 6})
    room = tmp_path / "room.wav"
    write_wav(room, np.random.default_rng(0).normal(0, 0.003, 16000 * 65).astype(np.float32), 16000)
    r = run_cli("personalize", "--model", REPO / "assets" / "default_model", "--examples", takes, "--room", room,
                "--epochs", 20, "--out", out, "--json", tmp_path / "p.json")
    result = json.loads((tmp_path / "p.json").read_text())
    labels = json.loads((out / "labels.json").read_text())
    assert labels[-1] == "lights" and len(labels) == 13 and result["new_words"] == ["lights"]
    assert result["held_back"] == 4  # the third of yes and no, the third and sixth of lights
    before, after = result["before"], result["after"]
    assert before["accuracy"] <= 0.5  # the old model cannot say "lights"
    assert after["accuracy"] >= 0.75, result
    assert "false_alarms_per_hour" in before and "false_alarms_per_hour" in after
    assert "held-back takes (4): before" in r.stdout
    # the new folder is a model folder like any other: the app's runtime loads it, predict hears the new word
    from kwsapp.engine.window import load_scorer

    assert load_scorer(out).labels == tuple(labels) and (out / "model.tflite").is_file()
    from kwsapp.engine.window import load_verifier

    assert load_verifier(out).check(np.zeros(16000, np.float32), 16000, "lights") is None  # the verifier came along
    p = run_cli("predict", "--model", out, *sorted((takes / "lights").glob("*.wav")))
    heard = [line.split()[1] for line in p.stdout.splitlines()]
    assert heard.count("lights") >= 5, p.stdout
    # the old folder is untouched, and the new one cannot be the old one
    assert json.loads((REPO / "assets" / "default_model" / "labels.json").read_text())[-1] == "unknown"
    bad = run_cli("personalize", "--model", out, "--examples", takes, "--out", out, check=False)
    assert bad.returncode == 2 and "a folder of its own" in bad.stderr


def test_a_word_of_ones_own_alone_does_not_take_every_word_for_itself(tmp_path, needs_espeak):
    """Takes of a new word and nothing else: the replay set in the model folder keeps the other words as they were
    (without it the model soon hears the new word in everything)."""
    from trainer.models.replay_set import read_replay

    bundled = REPO / "assets" / "default_model"
    replay = read_replay(bundled)
    assert replay is not None and replay.shape[1:] == (99, 81) and len(replay) >= 400
    takes, others, out = tmp_path / "takes", tmp_path / "others", tmp_path / "mine"
    make_takes(takes, tmp_path, {"lights": 8})
    make_takes(others, tmp_path, {w: 2 for w in ("yes", "no", "up", "down", "left", "right", "stop", "go")})
    run_cli("personalize", "--model", bundled, "--examples", takes, "--epochs", 30, "--out", out)
    assert (out / "replay.npz").read_bytes() == (bundled / "replay.npz").read_bytes()  # carried to the next fine-tune
    p = run_cli("predict", "--model", out, *sorted(others.glob("*/*.wav")))
    heard = [line.split()[1] for line in p.stdout.splitlines()]
    assert heard.count("lights") <= 2, p.stdout
    old = run_cli("predict", "--model", bundled, *sorted(others.glob("*/*.wav")))
    kept = sum(a.split()[1] == b for a, b in zip(old.stdout.splitlines(), heard))
    assert kept >= 12, (old.stdout, p.stdout)  # of 16


def test_a_full_disk_leaves_no_folder_that_loads_and_names_the_file_that_failed(tmp_path, needs_espeak, monkeypatch):
    import errno
    import shutil

    import trainer.models.personalize as p
    from kwsapp.core.modelfolder import ModelFolder, ModelFolderError

    takes, out = tmp_path / "takes", tmp_path / "models" / "mine"
    make_takes(takes, tmp_path, {"yes": 2})
    real_copy = shutil.copy2

    def full(src, dst, *a, **k):  # what the kernel says when the disk fills while the replay set is copied
        if str(src).endswith("replay.npz"):
            raise OSError(errno.ENOSPC, "No space left on device", str(src), None, str(dst))
        return real_copy(src, dst, *a, **k)

    monkeypatch.setattr(p.shutil, "copy2", full)
    with pytest.raises(p.PersonalizeError) as e:
        p.personalize(REPO / "assets" / "default_model", takes, out, epochs=1)
    assert str(e.value).startswith(f"{out / 'replay.npz'}: cannot write it (No space left on device)")
    assert not out.exists() and list((tmp_path / "models").iterdir()) == []  # nothing half-written anywhere
    with pytest.raises(ModelFolderError):
        ModelFolder.open(out)
    monkeypatch.setattr(p.shutil, "copy2", real_copy)
    # a fine-tune killed while writing (SIGKILL runs no clean-up) leaves its hidden folder, which never loads
    monkeypatch.setattr(p.shutil, "rmtree", lambda *a, **k: None)
    with pytest.raises(p.PersonalizeError):
        monkeypatch.setattr(p, "write_litert", lambda *a: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error")),
                            raising=False)
        monkeypatch.setattr("trainer.models.train.write_litert", lambda *a: (_ for _ in ()).throw(OSError(errno.EIO, "I/O")))
        p.personalize(REPO / "assets" / "default_model", takes, out, epochs=1)
    left = list((tmp_path / "models").iterdir())
    assert len(left) == 1 and left[0].name.startswith(".mine.partial-") and (left[0] / "model.keras").is_file()
    with pytest.raises(ModelFolderError, match="unfinished"):
        ModelFolder.open(left[0])
    monkeypatch.undo()
    shutil.rmtree(left[0])
    p.personalize(REPO / "assets" / "default_model", takes, out, epochs=1)
    assert ModelFolder.open(out).verifier() is not None  # whole: the verifier came along
    # an --out that holds a model is refused unless asked, before any training
    r = run_cli("personalize", "--model", REPO / "assets" / "default_model", "--examples", takes, "--out", out,
                "--epochs", 1, check=False)
    assert r.returncode == 2 and "already holds files" in r.stderr and "--force" in r.stderr
    before = (out / "model.tflite").stat().st_mtime_ns
    run_cli("personalize", "--model", REPO / "assets" / "default_model", "--examples", takes, "--out", out,
            "--epochs", 1, "--force")
    assert (out / "model.tflite").stat().st_mtime_ns != before
    assert sorted(x.name for x in (tmp_path / "models").iterdir()) == ["mine"]
    # a place that cannot hold a folder is refused before training (a file where its parent should be: as root,
    # permissions would not stop the test)
    (tmp_path / "afile").write_text("x")
    r = run_cli("personalize", "--model", REPO / "assets" / "default_model", "--examples", takes, "--out",
                tmp_path / "afile" / "m", check=False)
    assert r.returncode == 2 and "cannot write the new model there" in r.stderr and r.stderr.count("\n") == 1


def test_a_speech_embedding_model_fine_tunes_its_head_alone(tmp_path, needs_espeak):
    """The pretrained front-end stays; the head learns a word of one's own from six takes, in seconds."""
    from kwsapp.core.labels import LABELS
    from kwsapp.core.modelfolder import ModelFolder, write_json_atomic
    from kwsapp.engine.speech_embedding import FrontEndSettings, write_frontend
    from trainer.models.embedding_head import head_model
    from trainer.models.keras_model import export_litert
    from trainer.models.personalize_embedding import write_replay
    from trainer.models.tf_setup import import_tensorflow

    import_tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    src = tmp_path / "emb"
    src.mkdir()
    head_model(9, len(LABELS)).save(src / "model.keras")
    export_litert(src / "model.keras", src / "model.tflite")
    write_json_atomic(src / "labels.json", list(LABELS))
    write_frontend(src, FrontEndSettings())
    rng = np.random.default_rng(0)
    write_replay(src, rng.normal(0, 1, (120, 9, 96)).astype(np.float32), np.arange(120) % len(LABELS))
    takes, out = tmp_path / "takes", tmp_path / "mine"
    make_takes(takes, tmp_path, {"lights": 6})
    r = run_cli("personalize", "--model", src, "--examples", takes, "--out", out, "--json", tmp_path / "p.json")
    result = json.loads((tmp_path / "p.json").read_text())
    assert result["kind"] == "speech_embedding" and result["new_words"] == ["lights"] and result["held_back"] == 2
    folder = ModelFolder.open(out)
    assert folder.kind == "speech_embedding" and folder.labels[-1] == "lights"
    assert (out / "frontend" / "embedding_model.tflite").is_file() and (out / "replay_embeddings.npz").is_file()
    p = run_cli("predict", "--model", out, *sorted((takes / "lights").glob("*.wav")))
    assert [line.split()[1] for line in p.stdout.splitlines()].count("lights") >= 5, p.stdout + r.stdout
    # a room recording that is no wav: one line naming it, rc 2, no folder (TensorFlow still loading in its thread
    # when the error comes must not swallow the line)
    bad = tmp_path / "room.wav"
    bad.write_text("not a wav")
    r = run_cli("personalize", "--model", src, "--examples", takes, "--room", bad, "--out", tmp_path / "mine2",
                check=False)
    assert r.returncode == 2 and str(bad) in r.stderr and "wav" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "mine2").exists()
