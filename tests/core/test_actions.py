"""Actions bound to labels: the file is checked entry by entry, they fire once per announcement and never when off,
and a program runs as the argument list written, without a shell."""

import json
import sys
import time

import pytest

from kwsapp.core.actions import (
    ActionResult,
    ActionRunner,
    ActionsError,
    ActionSet,
    Binding,
    actions_from_json,
    load_actions,
    parse_keys,
    save_actions,
)

EXAMPLE = {"enabled": True, "bindings": [
    {"label": "yes", "action": "run", "argv": ["prog", "arg"], "enabled": True},
    {"label": "up", "action": "keys", "keys": "ctrl+alt+Up", "enabled": True},
    {"label": "go", "action": "type", "text": "hello", "enabled": False},
    {"label": "stop", "action": "notify", "enabled": True, "threshold": 0.9}]}


def collect(runner_kwargs=None):
    results = []
    runner = ActionRunner(on_result=results.append, **(runner_kwargs or {}))
    return runner, results


def wait_for(results, n, timeout=10.0):
    deadline = time.time() + timeout
    while len(results) < n and time.time() < deadline:
        time.sleep(0.02)
    return results


def test_the_documented_file_loads_and_saves_unchanged(tmp_path):
    f = tmp_path / "actions.json"
    f.write_text(json.dumps(EXAMPLE))
    actions = load_actions(f)
    assert actions.enabled and [b.action for b in actions.bindings] == ["run", "keys", "type", "notify"]
    assert actions.bindings[0].argv == ("prog", "arg") and actions.bindings[3].threshold == 0.9
    save_actions(tmp_path / "again.json", actions)
    assert json.loads((tmp_path / "again.json").read_text()) == EXAMPLE


def test_bindings_fire_once_per_announcement_and_never_when_off(tmp_path):
    actions = ActionSet(True, (Binding("yes", "notify", enabled=True), Binding("go", "notify", enabled=False),
                               Binding("stop", "notify", enabled=True, threshold=0.9)))
    assert [b.label for b in actions.for_label("yes", 0.8)] == ["yes"]
    assert actions.for_label("go", 0.99) == []                    # the binding is off
    assert actions.for_label("stop", 0.85) == [] and len(actions.for_label("stop", 0.95)) == 1  # its own threshold
    assert ActionSet(False, actions.bindings).for_label("yes", 1.0) == []  # the master switch is off
    notified = []
    runner, results = collect({"notify": notified.append})
    try:
        for label, score in [("yes", 0.8), ("no", 0.9), ("yes", 0.7), ("go", 0.9)]:  # announcements
            runner.fire(actions, label, score)
        wait_for(results, 2)
        time.sleep(0.2)
    finally:
        runner.close()
    assert notified == ["yes", "yes"] and all(r.ok for r in results) and len(results) == 2


def test_a_program_gets_its_arguments_literally_without_a_shell(tmp_path):
    out, marker = tmp_path / "args.json", tmp_path / "pwned"
    code = "import json, sys; open(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))"
    tricky = ["a;b", f"$(touch {marker})", f"`touch {marker}`", "| cat", "$HOME"]
    b = Binding("yes", "run", argv=(sys.executable, "-c", code, str(out), *tricky), enabled=True)
    runner, results = collect()
    try:
        runner.fire(ActionSet(True, (b,)), "yes", 0.9)
        wait_for(results, 1)
    finally:
        runner.close()
    assert results == [ActionResult("yes", "run", True, f"ran {sys.executable}")]
    assert json.loads(out.read_text()) == tricky and not marker.exists()


def test_a_failing_or_missing_program_is_a_one_line_result(tmp_path):
    runner, results = collect()
    fail = Binding("no", "run", argv=(sys.executable, "-c", "import sys; sys.exit('disk on fire')"), enabled=True)
    missing = Binding("no", "run", argv=(str(tmp_path / "no-such-program"),), enabled=True)
    try:
        runner.fire(ActionSet(True, (fail, missing)), "no", 0.9)
        wait_for(results, 2)
    finally:
        runner.close()
    assert not results[0].ok and results[0].detail.endswith("exited with status 1: disk on fire")
    assert not results[1].ok and "no-such-program" in results[1].detail and "\n" not in results[1].detail


def test_keys_without_an_x11_display_say_why(monkeypatch):
    import kwsapp.core.actions as actions

    monkeypatch.setattr(actions.shutil, "which", lambda name: None)  # no wtype
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    r = ActionRunner().run(Binding("up", "keys", keys="ctrl+Up", enabled=True), "up")
    assert not r.ok and "X11 display" in r.detail
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    r = ActionRunner().run(Binding("go", "type", text="hi", enabled=True), "go")
    assert not r.ok and "Wayland" in r.detail
    r = ActionRunner().run(Binding("stop", "notify", enabled=True), "stop")
    assert not r.ok and "nothing to notify through" in r.detail


def test_key_combinations_are_parsed():
    assert parse_keys("ctrl+alt+Up") == (("ctrl", "alt"), "Up")
    assert parse_keys("a") == ((), "a") and parse_keys("ctrl++") == (("ctrl",), "+")
    for bad in ("", "ctrl+", "hyper+x", "ctrl++x"):
        with pytest.raises(ValueError):
            parse_keys(bad)


@pytest.mark.parametrize("data,problem", [
    ([], "expected a JSON object"),
    ({"enabled": "yes"}, "'enabled' must be true or false"),
    ({"bindings": [{"label": "yes", "action": "shell", "enabled": True}]}, "bindings[0] (label 'yes'): 'action' must be one of"),
    ({"bindings": [EXAMPLE["bindings"][0], {"label": "up", "action": "run", "argv": "rm -rf /"}]},
     "bindings[1] (label 'up'): 'argv' must be a list"),
    ({"bindings": [{"label": "up", "action": "keys", "keys": "hyper+x"}]}, "bindings[0] (label 'up'): 'keys':"),
    ({"bindings": [{"label": "go", "action": "notify", "threshold": 2}]}, "'threshold' must be a number from 0 to 1"),
    ({"bindings": [{"label": "go", "action": "notify", "argv": ["x"]}]}, "unknown key 'argv' for a notify action"),
    ({"bindings": [{"action": "notify"}]}, "bindings[0]: 'label' must be a label name"),
])
def test_a_bad_file_is_one_line_naming_the_file_and_the_entry(tmp_path, data, problem):
    f = tmp_path / "actions.json"
    f.write_text(json.dumps(data))
    with pytest.raises(ActionsError) as e:
        load_actions(f)
    msg = str(e.value)
    assert msg.startswith(str(f)) and problem in msg and "\n" not in msg, msg


def test_unreadable_and_non_json_files_are_one_line(tmp_path):
    with pytest.raises(ActionsError, match="cannot read it"):
        load_actions(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ActionsError, match=r"bad.json: not JSON"):
        load_actions(tmp_path / "bad.json")


NESTED = "[" * 2000 + "]" * 2000


def test_values_nested_too_deep_or_too_large_are_one_line(tmp_path):
    f = tmp_path / "deep.json"
    f.write_text(NESTED)
    with pytest.raises(ActionsError) as e:
        load_actions(f)
    assert str(e.value).startswith(str(f)) and "nested too deep" in str(e.value)
    with pytest.raises(ActionsError, match="^settings: not actions"):
        actions_from_json('{"bindings": ' + NESTED + "}", "settings")
    big = tmp_path / "big.json"
    big.write_text('{"bindings": []}' + " " * (2 << 20))
    with pytest.raises(ActionsError, match="more than an actions file may have"):
        load_actions(big)
    with pytest.raises(ActionsError, match="more than an actions file may have"):
        actions_from_json(" " * (2 << 20), "settings")


@pytest.mark.parametrize("entry", [
    {"label": "yes", "action": "run", "argv": ["prog", "a\0b"], "enabled": True},
    {"label": "go", "action": "type", "text": "hi\0there", "enabled": True},
])
def test_a_nul_byte_is_refused_when_the_file_is_loaded(entry):
    with pytest.raises(ActionsError, match="NUL character"):
        actions_from_json(json.dumps({"enabled": True, "bindings": [entry]}), "f.json")
