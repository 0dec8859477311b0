"""The app's Train… and Export… run the product's own trainer, whatever folder the app was started in."""

from kwsapp.gui.trainer_process import TrainerProcess


def test_a_trainer_folder_in_the_working_directory_never_runs(qtbot, tmp_path, monkeypatch):
    planted = tmp_path / "trainer"
    planted.mkdir()
    marker = tmp_path / "planted-code-ran"
    code = f"open({str(marker)!r}, 'w').write('ran')\n"
    (planted / "__init__.py").write_text(code)
    (planted / "__main__.py").write_text(code)
    (planted / "cli.py").write_text(code + "def run():\n    pass\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # nor from PYTHONPATH
    proc = TrainerProcess()
    lines, done = [], []
    proc.line.connect(lines.append)
    proc.finished.connect(lambda code, summary: done.append(code))
    proc.start(["train", "--help"])
    qtbot.waitUntil(lambda: bool(done), timeout=60_000)
    assert not marker.exists()
    assert done == [0] and any("usage: python -m trainer train" in line for line in lines), lines
