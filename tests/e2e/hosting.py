"""What the hosting tests (tests/e2e/test_hosting_*.py) share: a page recorder,
a static file server, a built dist/ and a self-signed certificate.

    recorder = Recorder(page)          # before page.goto: requests, sockets, console, CSP violations
    ...
    assert recorder.csp_violations(page) == []
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

from tests.e2e.harness import ROOT, stop_process

#: Runs before any script of the page: every CSP violation the page reports is kept.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push({
    directive: event.effectiveDirective, blocked: event.blockedURI, source: event.sourceFile,
    line: event.lineNumber, column: event.columnNumber, sample: event.sample, disposition: event.disposition,
  });
}, true);
"""
CSP_WORDS = re.compile(r"content.security.policy|unsafe-eval|refused to (load|execute|connect|apply|evaluate)",
                       re.IGNORECASE)


class Recorder:
    """Everything a page asks for and says: request URLs, WebSocket URLs, console lines."""

    def __init__(self, page):
        self.requests: list[str] = []
        self.sockets: list[str] = []
        self.console: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("websocket", lambda socket: self.sockets.append(socket.url))
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        page.add_init_script(CSP_LISTENER)

    def urls(self) -> list[str]:
        return self.requests + self.sockets

    def csp_console(self) -> list[str]:
        return [line for line in self.console if CSP_WORDS.search(line)]

    @staticmethod
    def csp_violations(page) -> list[dict]:
        return page.evaluate("window.__cspViolations || []")


def sign_in_live(page, url: str, login_timeout_ms: float) -> int:
    """Open ``url``, sign in through the form as demo/demo, then ``wait_ready_with_live_rows``."""
    page.goto(url)
    page.wait_for_selector("html[data-app-state=login]", timeout=login_timeout_ms)
    page.fill("form[data-testid=login] [name=username]", "demo")
    page.fill("form[data-testid=login] [name=password]", "demo")
    page.click("form[data-testid=login] [type=submit]")
    return wait_ready_with_live_rows(page)


def wait_ready_with_live_rows(page, timeout_s: float = 30.0) -> int:
    """After login: html[data-app-state=ready], rows on screen, and live events applied on top."""
    page.wait_for_selector("html[data-app-state=ready]", timeout=timeout_s * 1000)
    page.wait_for_selector("[data-testid=delivery-list] [data-testid=delivery-row]", timeout=10_000)
    diagnostics = page.locator("[data-testid=diagnostics]")
    first = int(diagnostics.get_attribute("data-applied") or 0)
    page.wait_for_function(
        "(n) => Number(document.querySelector('[data-testid=diagnostics]').dataset.applied) > n",
        arg=first, timeout=15_000)
    return page.locator("[data-testid=delivery-list] [data-testid=delivery-row]").count()


class StaticServer:
    """``python -m http.server`` on a free loopback port: a plain static host, access log kept."""

    def __init__(self, directory: Path, startup_timeout: float = 15.0):
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(directory)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        found: list[str] = []
        ready = threading.Event()

        def read():
            for line in self.proc.stdout:
                self.lines.append(line.rstrip())
                match = re.search(r"port (\d+)", line)
                if match and not found:
                    found.append(match.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        ready.wait(startup_timeout)
        if not found:
            self.stop()
            raise RuntimeError("http.server did not start:\n" + "\n".join(self.lines[-10:]))
        self.origin = f"http://127.0.0.1:{found[0]}"
        self.url = self.origin + "/"

    def stop(self) -> None:
        stop_process(self.proc)


def build_dist(out: Path, *flags: str) -> Path:
    """``scripts/build.py --out out [flags]``, as a host would run it."""
    done = subprocess.run([sys.executable, "scripts/build.py", "--out", str(out), *flags], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    return out


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 and localhost, made with the openssl CLI."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key

