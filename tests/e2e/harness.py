"""Start the stub server and drive Chromium: the pieces every end-to-end test shares.

The stub runs as a real subprocess on a free loopback port with fault
injection on, so a test reaches it exactly as a browser would. Every wait is
bounded; the process is always killed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from server_stub.security import CONTROL_HEADER
from tests.waiting import wait_until  # noqa: F401 - the e2e tests' import of it

ROOT = Path(__file__).resolve().parents[2]
# --disable-dev-shm-usage: a container's /dev/shm may be 64 MB, and a renderer
# that cannot get shared memory there crashes ("Target crashed"); /tmp is used instead.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


#: What Playwright says when a page's renderer process dies under it ("Target crashed" while waiting,
#: "Page crashed" on the next call). Chromium's own failure, seen about once in a few CI runs of ~150 app
#: loads and never reproduced on an idle machine (bench/README.md); an app error shows as a page error or
#: a wrong state instead. A crashed page cannot be used again, so the test runs once more in a new one.
RENDERER_CRASHED = ["Target crashed", "Page crashed"]
E2E_DIR = Path(__file__).resolve().parent


def rerun_renderer_crashes(items) -> None:
    """Give every browser test one more run if its renderer crashes (pytest-rerunfailures' ``flaky``
    marker, only for ``RENDERER_CRASHED``): the run's summary counts the rerun, a second crash fails
    the test, and any other failure fails it at once."""
    for item in items:
        if E2E_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.flaky(reruns=1, only_rerun=RENDERER_CRASHED))


#: Chromium's stderr lines shown when a renderer crashes, at most; and the ones never worth showing
#: (a container has no D-Bus, and Chromium says so at every start).
CRASH_LOG_LINES = 60
BROWSER_LOG_NOISE = ("dbus/", "D-Bus")


@contextmanager
def playwright_with_browser_log(log_path: Path):
    """``sync_playwright()`` whose driver writes Chromium's stderr, every browser process's (renderers
    included), to ``log_path``. Playwright says only "Target crashed" of a renderer that dies; why it
    died (a failed check, a signal, out of memory) is said only there (``crash_report``).

    The driver inherits this process's stderr when it starts (``DEBUG=pw:browser`` makes it copy the
    browser's there), so both are set for the start alone and put back at once."""
    manager = sync_playwright()
    old_debug, old_stderr = os.environ.get("DEBUG"), sys.stderr
    with open(log_path, "a", encoding="utf-8", errors="replace") as log:
        os.environ["DEBUG"] = f"{old_debug},pw:browser" if old_debug else "pw:browser"
        sys.stderr = log
        try:
            playwright = manager.__enter__()
        finally:
            sys.stderr = old_stderr
            if old_debug is None:
                os.environ.pop("DEBUG", None)
            else:
                os.environ["DEBUG"] = old_debug
        try:
            yield playwright
        finally:
            manager.__exit__(None, None, None)


def browser_log_lines(log: Path | None, offset: int = 0) -> list[str]:
    """The last ``CRASH_LOG_LINES`` lines of a browser log from ``offset`` on, without ``BROWSER_LOG_NOISE``."""
    if log is None or not log.exists():
        return []
    with open(log, encoding="utf-8", errors="replace") as text:
        text.seek(offset)
        lines = [line.rstrip() for line in text if not any(noise in line for noise in BROWSER_LOG_NOISE)]
    return lines[-CRASH_LOG_LINES:]


def crash_report(tab) -> list[str]:
    """The browser's log lines since ``tab`` opened (``recording_tab``), if its renderer crashed
    (``browser_log_lines``). Empty for a tab that did not crash."""
    if not getattr(tab, "crashed", False):
        return []
    return browser_log_lines(getattr(tab, "browser_log", None), getattr(tab, "browser_log_offset", 0))


_RUN: dict = {}  # the pytest config of this run (``remember_run``), for ``show_browser_log``


def remember_run(config) -> None:
    """Called by tests/e2e/conftest.py's ``pytest_configure``: ``show_browser_log`` writes through it."""
    _RUN["config"] = config


def show_crash(tab) -> None:
    """``show_browser_log(crash_report(tab))``: call it before closing any tab a test opened."""
    show_browser_log(crash_report(tab))


def show_browser_log(lines: list[str]) -> None:
    """Print a renderer crash's log lines on the run's own terminal (not into a test's captured output,
    which a rerun that passes never shows), so that a CI log says why a renderer died."""
    if not lines:
        return
    config = _RUN.get("config")
    if config is None:
        print("\n".join(lines))
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    write = reporter.write_line if reporter is not None else print
    with capture.global_and_fixture_disabled() if capture is not None else nullcontext():
        write("")
        write(f"--- the renderer crashed: what Chromium said on its stderr (last {CRASH_LOG_LINES} lines) ---")
        for line in lines:
            write(line)
        write("--- end of Chromium's stderr ---")


def chromium_path() -> str | None:
    """Debian's chromium when present; None lets Playwright use its own (other machines)."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


class Stub:
    """A running ``python -m server_stub`` and its control interface."""

    def __init__(self, *flags: str, startup_timeout: float = 30.0, root: Path = ROOT):
        """``root``: the tree whose stub and app are served (bench/ab.py serves another commit's)."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server_stub", "--port", "0", "--faults", *flags],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        self.url = self._wait_for_url(startup_timeout)
        self._drain = threading.Thread(target=self._read_rest, daemon=True)
        self._drain.start()

    def _wait_for_url(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        found: list[str] = []

        def read():
            for line in self.proc.stdout:
                self.lines.append(line.rstrip())
                match = re.search(r"listening on (https?://\S+)", line)
                if match:
                    found.append(match.group(1))
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(max(0.0, deadline - time.monotonic()))
        if not found:
            self.stop()
            raise RuntimeError("stub did not start:\n" + "\n".join(self.lines[-20:]))
        return found[0].rstrip("/") + "/"

    def _read_rest(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def control(self, route: str, body: dict | None = None, method: str = "POST") -> dict:
        data = None if method == "GET" else json.dumps(body or {}).encode()
        request = urllib.request.Request(self.url + "_control/" + route, data=data, method=method,
                                         headers={"Content-Type": "application/json", **CONTROL_HEADER})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"{}")

    def stats(self) -> dict:
        return self.control("stats", method="GET")

    def api(self, method: str, path: str, body: dict | None = None, token: str | None = None,
            headers: dict | None = None) -> tuple[int, dict]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + "api/" + path.lstrip("/"), data=data, method=method,
                                         headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def login_token(self, username: str = "demo", password: str = "demo") -> str:
        status, body = self.api("POST", "login", {"username": username, "password": password})
        assert status == 200, body
        return body["token"]

    def stop(self) -> None:
        stop_process(self.proc)


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate, then kill if it does not go within 5 s; bounded either way."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def module_stub(*flags: str):
    """A module-scoped ``stub`` fixture: ``python -m server_stub`` with ``flags``, stopped after the module."""
    @pytest.fixture(scope="module")
    def stub():
        server = Stub(*flags)
        yield server
        server.stop()

    return stub


def recording_tab(browser_context):
    """A new tab that records its console and page errors in ``tab.console_messages_seen``, and
    whether its renderer crashed (``tab.crashed``, for ``crash_report``)."""
    tab = browser_context.new_page()
    tab.browser_log = getattr(browser_context, "browser_log", None)  # set by the session's fixture
    tab.browser_log_offset = tab.browser_log.stat().st_size if tab.browser_log and tab.browser_log.exists() else 0
    tab.crashed = False
    tab.on("crash", lambda _page: setattr(tab, "crashed", True))
    tab.console_messages_seen = []
    tab.on("console", lambda message: tab.console_messages_seen.append(f"{message.type}: {message.text}"))
    tab.on("pageerror", lambda error: tab.console_messages_seen.append(f"pageerror: {error}"))
    return tab
