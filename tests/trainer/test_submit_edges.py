"""The export where things go wrong around it: killed mid-run, a full disk, a folder it cannot write."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kwsapp.core.audio import write_wav
from tests.helpers import REPO, run_cli, tone

BUNDLED = REPO / "assets" / "default_model"


@pytest.fixture(scope="module")
def test_clips(tmp_path_factory):
    """A data root with 3,000 short test clips: several chunks, so the export starts a feature worker."""
    root = tmp_path_factory.mktemp("export")
    audio = root / "test" / "audio"
    audio.mkdir(parents=True)
    x = tone(440, seconds=0.2)
    for i in range(3000):
        write_wav(audio / f"clip_{i:05d}.wav", x, 16000)
    return root


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.slow
def test_a_killed_export_leaves_no_feature_worker_behind(test_clips, tmp_path):
    if not Path("/proc/self/task").is_dir():
        pytest.skip("needs /proc")
    proc = subprocess.Popen([sys.executable, "-m", "trainer", "submit", "--data", str(test_clips), "--model",
                             str(BUNDLED), "--out", str(tmp_path / "sub.csv"), "--workers", "2"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    workers = []
    deadline = time.monotonic() + 120
    while not workers and proc.poll() is None and time.monotonic() < deadline:
        workers = [c for c in _children(proc.pid) if "spawn_main" in _cmdline(c)]
        time.sleep(0.02)
    if not workers:
        proc.kill()
        pytest.fail(f"no feature worker was seen (export exit {proc.poll()})")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() and
                                              "spawn_main" in _cmdline(w) for w in workers):
        time.sleep(0.1)
    alive = [w for w in workers if Path(f"/proc/{w}").exists() and "spawn_main" in _cmdline(w)]
    for w in alive:
        os.kill(w, signal.SIGKILL)
    assert not alive, "a feature worker outlived the killed export"


@pytest.mark.slow
def test_an_unwritable_or_full_output_is_a_one_line_error_naming_the_path(test_clips, tmp_path):
    ro = tmp_path / "read-only"
    ro.mkdir()
    out = ro / "sub.csv"
    os.chmod(ro, 0o500)
    try:
        if os.access(ro, os.W_OK):  # root writes anywhere: a file in place of the folder instead
            os.chmod(ro, 0o700)
            ro.rmdir()
            ro.write_text("a file, not a folder")
        r = run_cli("submit", "--data", test_clips, "--model", BUNDLED, "--out", out, check=False)
        assert r.returncode == 2 and r.stderr.strip().count("\n") == 0, r.stderr
        assert f"{out}: cannot write" in r.stderr and "Traceback" not in r.stderr
    finally:
        if ro.is_dir():
            os.chmod(ro, 0o700)

    full = tmp_path / "full"
    full.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(full)], capture_output=True).returncode:
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        out = full / "sub.csv"
        r = run_cli("submit", "--data", test_clips, "--model", BUNDLED, "--out", out, check=False)
        errors = [line for line in r.stderr.splitlines() if line.startswith("error")]  # beside the progress bar
        assert r.returncode == 2 and len(errors) == 1 and "Traceback" not in r.stderr, r.stderr
        assert errors[0] == f"error: {out}: cannot write it (No space left on device)"
        assert list(full.iterdir()) == []  # no temporary file left
    finally:
        subprocess.run(["umount", str(full)], capture_output=True)
