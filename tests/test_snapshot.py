"""scripts/snapshot.py: when the snapshot counts as up to date, and what a setup without a browser gets."""

from __future__ import annotations

import hashlib
import json

import pytest

from scripts import snapshot
from server_stub import static


@pytest.fixture
def runtime(tmp_path, monkeypatch):
    """A runtime folder with both outputs and a stamp that matches them."""
    monkeypatch.setattr(snapshot, "PYODIDE_DIR", tmp_path)
    monkeypatch.setattr(snapshot, "STAMP", tmp_path / "snapshot.json")
    snapshot.write({"snapshot.bin": b"\0heap" * 100, "pycache.zip": b"PK\3\4"})
    return tmp_path


def test_a_fresh_pair_with_its_stamp_is_up_to_date(runtime):
    assert snapshot.up_to_date()
    stamp = json.loads((runtime / "snapshot.json").read_text())
    assert stamp["files"]["pycache.zip"] == {"bytes": 4, "sha256": hashlib.sha256(b"PK\3\4").hexdigest()}


@pytest.mark.parametrize("spoil", ["missing", "changed", "same size, other bytes", "another key"])
def test_anything_else_is_not(runtime, monkeypatch, spoil):
    path = runtime / "snapshot.bin"
    if spoil == "missing":
        path.unlink()
    elif spoil == "changed":
        path.write_bytes(b"\0heap")
    elif spoil == "same size, other bytes":
        path.write_bytes(b"\1heap" * 100)
    else:  # another runtime (vendor.lock.json) or another warm-up
        monkeypatch.setattr(snapshot, "WARM_UP", snapshot.WARM_UP + "import email\n")
    assert not snapshot.up_to_date()


def test_the_key_follows_the_runtime_and_what_runs_in_it(monkeypatch):
    before = snapshot.key()
    monkeypatch.setattr(snapshot, "COMPILE", snapshot.COMPILE + "\n")
    assert snapshot.key() != before


def test_without_a_browser_an_optional_setup_goes_on_and_says_so(runtime, monkeypatch, capsys):
    (runtime / "snapshot.json").unlink()
    monkeypatch.setattr(snapshot.vendor, "check", lambda quiet=False: True)

    def no_browser():
        raise RuntimeError("Executable doesn't exist at /usr/bin/chromium\n(more lines)")

    monkeypatch.setattr(snapshot, "make", no_browser)
    assert snapshot.main(["--optional"]) == 0
    said = capsys.readouterr().err
    assert "Executable doesn't exist" in said and "(more lines)" not in said and "without it" in said
    assert snapshot.main([]) == 1  # ./dev test and bench need it
    assert not (runtime / "snapshot.bin").exists()  # a failed attempt leaves no stale pair behind


def test_the_wheels_it_compiles_are_the_pure_ones_of_the_lock():
    names = snapshot.wheels()
    assert names and all(name.endswith("-py3-none-any.whl") for name in names)
    assert set(snapshot.wheels(snapshot.IMPORTED)) < set(names)
    assert not any(name.startswith("pydantic-") for name in snapshot.wheels(snapshot.IMPORTED))


def test_the_stub_revalidates_exactly_the_files_it_makes():
    made = {f"static/vendor/pyodide/{name}" for name in (*snapshot.OUTPUTS, snapshot.STAMP.name)}
    assert static.GENERATED == made
