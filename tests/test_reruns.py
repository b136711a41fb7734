"""A browser test whose renderer crashes runs once more, and only then (tests/e2e/harness.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import E2E_DIR, RENDERER_CRASHED, rerun_renderer_crashes

ROOT = Path(__file__).resolve().parents[1]

CASES = '''
import pytest

RUNS = {{"once": 0, "twice": 0, "other": 0}}
FLAKY = pytest.mark.flaky(reruns=1, only_rerun={patterns!r})


@FLAKY
def test_crashes_once():
    RUNS["once"] += 1
    if RUNS["once"] == 1:
        raise RuntimeError("Page.wait_for_selector: Target crashed \\nCall log: ...")


@FLAKY
def test_crashes_twice():
    RUNS["twice"] += 1
    raise RuntimeError("Page.goto: Page crashed")


@FLAKY
def test_fails_otherwise():
    RUNS["other"] += 1
    assert RUNS["other"] > 1, "html[data-app-state=error]"
'''


class FakeItem:
    def __init__(self, path: Path):
        self.path = path
        self.markers = []

    def add_marker(self, marker):
        self.markers.append(marker)


def test_only_browser_tests_get_one_more_run_and_only_for_a_crashed_renderer():
    browser, other = FakeItem(E2E_DIR / "test_map.py"), FakeItem(ROOT / "tests" / "test_store.py")
    rerun_renderer_crashes([browser, other])
    assert other.markers == []
    [marker] = browser.markers
    assert marker.name == "flaky"
    assert marker.kwargs == {"reruns": 1, "only_rerun": RENDERER_CRASHED}


def test_a_crash_is_run_again_once_a_second_crash_fails_and_any_other_failure_fails_at_once(tmp_path):
    (tmp_path / "test_cases.py").write_text(CASES.format(patterns=RENDERER_CRASHED))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "test_cases.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    out = run.stdout
    assert run.returncode == 1, out
    assert "PASSED test_cases.py::test_crashes_once" in out
    assert "FAILED test_cases.py::test_crashes_twice" in out
    assert "FAILED test_cases.py::test_fails_otherwise" in out
    assert "2 failed, 1 passed" in out and "2 rerun" in out, out.splitlines()[-1]


def test_the_plugin_is_pinned_for_the_test_setup():  # ./dev installs pyproject's test extras under the lock
    assert "pytest-rerunfailures==" in (ROOT / "requirements.lock").read_text()
    assert '"pytest-rerunfailures==' in (ROOT / "pyproject.toml").read_text()
