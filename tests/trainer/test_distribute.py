"""tf.distribute: mirrored training over logical CPU devices, and multi-worker training with two workers on
localhost; each writes the same model folder as a one-machine run."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from tests.helpers import run_cli

pytestmark = pytest.mark.slow


def test_mirrored_training_on_two_logical_cpus_writes_a_model_folder(synth_root, tmp_path):
    out = tmp_path / "mirrored"
    r = run_cli("train", "--data", synth_root, "--out", out, "--epochs", 2, "--distribute", "cpu:2", "--workers", 1)
    assert "MirroredStrategy over 2 replica(s)" in r.stderr
    info = json.loads((out / "training.json").read_text())
    assert info["distribute"] == "cpu:2" and len(pd.read_csv(out / "history.csv")) == 2
    from kwsapp.engine.window import load_scorer

    scorer = load_scorer(out)  # the same model folder as any other: the app's runtime loads it
    assert scorer(np.zeros(scorer.settings.shape, np.float32)).shape == (12,)
    bad = run_cli("train", "--data", synth_root, "--out", tmp_path / "x", "--distribute", "tpu", check=False)
    assert bad.returncode == 2 and "is not mirrored, multiworker or cpu:N" in bad.stderr


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def start_workers(synth_root, tmp_path, cluster, epochs: int, *extra):
    """Two worker processes of one cluster, each with its own --out and cache; stderr into w{i}.log."""
    from tests.helpers import REPO

    procs = []
    for i in range(2):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
               "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})}
        with open(tmp_path / f"w{i}.log", "a") as log:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "trainer", "train", "--data", str(synth_root), "--out", str(tmp_path / f"w{i}"),
                 "--epochs", str(epochs), "--distribute", "multiworker", "--workers", "1",
                 "--cache-dir", str(tmp_path / f"c{i}"), *extra],
                cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True))
    return procs


def wait_workers(procs, tmp_path, timeout_s: float = 600) -> list[str]:
    """Wait for the workers (killed if they outlast ``timeout_s``); their logs."""
    try:
        for p in procs:
            p.wait(timeout=timeout_s)
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
    return [(tmp_path / f"w{i}.log").read_text() for i in range(len(procs))]


def test_multi_worker_training_with_two_workers_on_localhost(synth_root, tmp_path):
    """Two processes, a cluster from TF_CONFIG: gradients summed over both, the chief alone writes the model folder."""
    cluster = {"worker": [f"localhost:{free_port()}", f"localhost:{free_port()}"]}
    procs = start_workers(synth_root, tmp_path, cluster, 2)
    outs = wait_workers(procs, tmp_path)
    for p, err in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
        assert "MultiWorkerMirroredStrategy over 2 replica(s)" in err
    chief_log, other_log = outs
    assert "this is worker 0 of 2 (the chief)" in chief_log and "this is worker 1 of 2" in other_log
    # both saw the same weights: the same validation figures every epoch
    figures = [re.findall(r"val_accuracy ([0-9.]+) - val_loss ([0-9.]+)", log) for log in (chief_log, other_log)]
    assert len(figures[0]) == 2 and figures[0] == figures[1]
    out = tmp_path / "w0"
    info = json.loads((out / "training.json").read_text())
    assert info["distribute"] == "multiworker" and len(pd.read_csv(out / "history.csv")) == 2
    assert not (tmp_path / "w1").exists()  # the other worker leaves nothing
    from kwsapp.engine.window import load_scorer

    scorer = load_scorer(out)
    assert scorer(np.zeros(scorer.settings.shape, np.float32)).shape == (12,)
    r = run_cli("train", "--data", synth_root, "--out", tmp_path / "x", "--distribute", "multiworker", check=False)
    assert r.returncode == 2 and "TF_CONFIG is not set" in r.stderr and r.stderr.strip().count("\n") == 0


def test_multi_worker_training_killed_after_an_epoch_resumes_where_it_stopped(synth_root, tmp_path):
    """Both workers killed (as a lost machine would be) once an epoch is done; started again with --resume they
    continue from their checkpoints to the same number of epochs, and the history keeps the first epochs' figures."""
    cluster = {"worker": [f"localhost:{free_port()}", f"localhost:{free_port()}"]}
    logs = [tmp_path / f"w{i}.log" for i in range(2)]
    procs = start_workers(synth_root, tmp_path, cluster, 4)
    try:
        deadline = time.time() + 600
        while not all("Epoch 1/4" in p.read_text() for p in logs):
            assert time.time() < deadline and all(p.poll() is None for p in procs), logs[0].read_text()[-3000:]
            time.sleep(0.2)
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    first = [re.findall(r"Epoch (\d)/4: .*val_accuracy ([0-9.]+) - val_loss ([0-9.]+)", p.read_text()) for p in logs]
    done = min(len(f) for f in first)
    assert 1 <= done < 4
    assert (tmp_path / "w0" / ".checkpoint" / "worker-0.npz").is_file()
    assert (tmp_path / "w1" / ".checkpoint" / "worker-1.npz").is_file()
    # without --resume the interrupted run is named, not overwritten
    again = run_cli("train", "--data", synth_root, "--out", tmp_path / "w0", check=False)
    assert again.returncode == 2 and "--resume" in again.stderr

    cluster = {"worker": [f"localhost:{free_port()}", f"localhost:{free_port()}"]}
    procs = start_workers(synth_root, tmp_path, cluster, 4, "--resume")
    texts = wait_workers(procs, tmp_path)
    assert [p.returncode for p in procs] == [0, 0], texts[0][-3000:]
    resumed = [int(re.search(r"resumed after epoch (\d) of 4", t).group(1)) for t in texts]
    assert resumed[0] == resumed[1] and resumed[0] >= 1
    k = resumed[0]
    history = pd.read_csv(tmp_path / "w0" / "history.csv")
    assert list(history["epoch"]) == [0, 1, 2, 3]
    np.testing.assert_allclose(history["val_accuracy"][:k], [float(a) for _, a, _ in first[0][:k]], atol=1e-4)
    after = texts[0].split("resumed after epoch")[1]
    assert re.findall(r"Epoch (\d)/4", after) == [str(e) for e in range(k + 1, 5)]  # only the epochs not done
    assert not (tmp_path / "w0" / ".checkpoint").exists() and not (tmp_path / "w1").exists()
    from kwsapp.engine.window import load_scorer

    assert load_scorer(tmp_path / "w0").labels[-1] == "unknown"


def test_a_batch_that_does_not_split_evenly_over_the_replicas_trains(tmp_path):
    """66 clips, batches of 7: mirrored over two logical CPUs, every batch's last row is split 4 / 3 otherwise."""
    from tests.helpers import make_tone_dataset

    words = {w: 300 + 100 * i for i, w in enumerate(["yes", "no", "up", "down", "left", "right", "on", "off", "stop",
                                                      "go", "cat"])}
    root = make_tone_dataset(tmp_path / "d", words, [f"{i:08x}" for i in range(6)])
    r = run_cli("train", "--data", root, "--out", tmp_path / "m", "--epochs", 2, "--distribute", "cpu:2",
                "--workers", 1, "--batch-size", 7)
    assert "MirroredStrategy over 2 replica(s)" in r.stderr and (tmp_path / "m" / "model.tflite").is_file()


def test_when_a_worker_dies_the_others_say_in_one_line_to_resume(synth_root, tmp_path):
    cluster = {"worker": [f"localhost:{free_port()}", f"localhost:{free_port()}"]}
    logs = [tmp_path / f"w{i}.log" for i in range(2)]
    procs = start_workers(synth_root, tmp_path, cluster, 6)
    try:
        deadline = time.time() + 600
        while "Epoch 1/6" not in logs[1].read_text():
            assert time.time() < deadline and all(p.poll() is None for p in procs), logs[0].read_text()[-3000:]
            time.sleep(0.2)
        os.killpg(procs[1].pid, signal.SIGKILL)
        procs[1].wait()
        procs[0].wait(timeout=300)
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
    err = logs[0].read_text()
    last = err.strip().splitlines()[-1]
    assert procs[0].returncode == 2, err[-3000:]
    assert last.startswith("error: another worker of the cluster stopped") and "--resume" in last, err[-2000:]
