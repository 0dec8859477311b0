"""docs/screenshot-calibrate.png: the calibration dialog on a room of talk, as a user would see it.

    .venv/bin/python -m scripts.screenshot_calibrate [--out docs/screenshot-calibrate.png]

The "user" is a held-out speaker of the shared sample (someone the bundled model never heard) whose three takes of
each of their commands are their examples; the "room" is ten minutes of other words (no commands) said by other
held-out speakers over the sample's held-out background noise at 10 dB, made by ``trainer make-stream``. Runs the
real window offscreen and the real ``trainer calibrate`` worker.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "speech_commands_sample"))
    ap.add_argument("--out", default=str(REPO / "docs" / "screenshot-calibrate.png"))
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kwsapp-shot-"))
    os.environ.update(QT_QPA_PLATFORM="offscreen", KWSAPP_DATA_DIR=str(tmp / "data"),
                      KWSAPP_SETTINGS=str(tmp / "kwsapp.ini"))
    try:
        from kwsapp.core.audio import read_wav
        from kwsapp.core.labels import COMMANDS
        from trainer.data.dataset import SplitRule, index_dataset

        split = ["--split-salt", "kwsapp", "--test-percent", "15"]
        test = index_dataset(args.data, SplitRule(testing_percent=15, salt="kwsapp")).split("testing")
        mine = test[test["label"].isin(COMMANDS)]
        per = mine.groupby(["speaker", "label"]).size().unstack(fill_value=0)
        speaker = sorted(per.index[(per >= 3).sum(axis=1) >= 8])[0]
        for label, g in mine[mine["speaker"] == speaker].groupby("label"):
            if len(g) >= 3:
                (tmp / "data" / "examples" / label).mkdir(parents=True)
                for p in sorted(g["path"])[:3]:
                    shutil.copyfile(Path(args.data) / "train" / "audio" / p, tmp / "data" / "examples" / label / Path(p).name)
        room = tmp / "room_source.wav"
        subprocess.run([sys.executable, "-m", "trainer", "make-stream", "--data", args.data, "--split", "test", *split,
                        "--minutes", str(args.minutes), "--unknown-share", "1", "--noise-from", args.data,
                        "--out", str(room), "--truth", str(tmp / "room.csv"), "--seed", "5"], check=True, cwd=REPO)
        rate, wave = read_wav(room)

        from PySide6.QtWidgets import QApplication

        from kwsapp.gui import dialog_openers
        from kwsapp.gui.main_window import MainWindow

        app = QApplication.instance() or QApplication([])
        w = MainWindow(device="no-such-device-kwsapp-shot")
        w.show()
        while w.model_info is None:
            app.processEvents()
        dlg = dialog_openers.open_calibrate(w)
        dlg.minutes.setValue(args.minutes)
        dlg.set_room(wave, rate)
        while dlg.process.running:
            app.processEvents()
        for _ in range(20):
            app.processEvents()
        if not dlg.use_button.isEnabled():
            print(f"error: calibration failed: {dlg.status.text()}", file=sys.stderr)
            return 2
        dlg.grab().save(args.out)
        print(f"{args.out}: speaker {speaker}'s takes; {dlg.status.text()}")
        dlg.close()
        w.shutdown()
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
