"""The walls between the parts, each module imported alone in a fresh interpreter: the core and the engine load
neither Qt nor TensorFlow, Keras or pandas; no kwsapp module loads TensorFlow, Keras or pandas; no trainer module
loads Qt. The modules are found by walking the packages, not listed by hand."""

import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import kwsapp
import trainer

HEAVY = ("tensorflow", "keras", "pandas")
QT = ("PySide6", "pyqtgraph", "pynput")


def modules(package) -> list[str]:
    return [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
            if not m.name.endswith("__main__")]


def loaded_by(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{module}: {r.stderr[-500:]}"
    return set(r.stdout.split())


def test_each_module_keeps_to_its_side_of_the_walls():
    kws, tr = modules(kwsapp), modules(trainer)
    assert "kwsapp.engine.listener" in kws and "kwsapp.core.shared_settings" in kws and "trainer.recordings.replay" in tr
    with ThreadPoolExecutor(2) as pool:
        found = dict(zip(kws + tr, pool.map(loaded_by, kws + tr)))
    bad = []
    for m, loaded in found.items():
        banned = HEAVY + QT if m.startswith(("kwsapp.core", "kwsapp.engine")) else HEAVY if m.startswith("kwsapp") else QT
        hit = sorted(loaded & set(banned))
        if hit:
            bad.append(f"{m}: {', '.join(hit)}")
    assert not bad, bad
