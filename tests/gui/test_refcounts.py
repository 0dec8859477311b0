"""PySide6 6.12.0 on CPython 3.11 dropped a reference to True on every signal emit and to None on every void Qt
call: a listening app (about 57 of them a second) aborted after about 130 s. The window's own signal path, driven
a few thousand times in a process of its own (a leak that large would abort the test process itself), must leave
both counts where they were."""

import json
import subprocess
import sys

from tests.helpers import REPO

SCRIPT = r"""
import gc, json, sys, time
import numpy as np
from PySide6.QtWidgets import QApplication
from kwsapp.core.labels import LABELS
from kwsapp.gui.main_window import MainWindow
from kwsapp.gui.workers import DisplayFrame, HopReport

app = QApplication([])
w = MainWindow(device="no-such-device-kwsapp-test")
w.show()
while w.model_info is None:  # the model loads in the worker thread: measure once it is quiet
    app.processEvents()
    time.sleep(0.05)
scores = np.full(len(LABELS), 1.0 / len(LABELS), np.float32)
hops = [HopReport(time_s=0.1 * i, label="yes", score=0.9, is_new_command=i % 50 == 0, scores=scores,
                  compute_ms=0.8) for i in range(N)]
frame = DisplayFrame(image=np.zeros((81, 299, 4), np.uint8), level_dbfs=-40.0)
app.processEvents()
gc.collect()
true0, none0 = sys.getrefcount(True), sys.getrefcount(None)
for r in hops:
    w.worker.hop_done.emit(r)          # the worker's signals, into the window's slots (labels, bars, history)
    w.worker.display_ready.emit(frame)
    w.status_inference.setText("x")    # a void Qt call
app.processEvents()
gc.collect()
out = {"true": sys.getrefcount(True) - true0, "none": sys.getrefcount(None) - none0, "announced": len(w.announced)}
w.shutdown()
print(json.dumps(out))
"""


def test_the_windows_signal_path_keeps_true_and_none_alive(tmp_path):
    n = 3000
    env_script = f"N = {n}\n" + SCRIPT
    r = subprocess.run([sys.executable, "-c", env_script], capture_output=True, text=True, cwd=REPO, timeout=120,
                       env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen",
                            "KWSAPP_SETTINGS": str(tmp_path / "kwsapp.ini")})
    assert r.returncode == 0, f"the process died ({r.returncode}): {r.stderr[-1500:]}"
    drift = json.loads(r.stdout.strip().splitlines()[-1])
    assert drift["announced"] == n // 50
    # 3,000 hops, 3,000 frames and 3,000 void calls: the broken combination loses thousands of each
    assert abs(drift["true"]) < 100 and abs(drift["none"]) < 100, drift
