"""Boot the dashboard in the page: config, login, one client, the panels.

PyScript runs this file (``index.html``); everything it does is wiring. The
page's life: ``loading`` -> ``login`` (no token) -> ``loading`` -> ``ready``
(first snapshot rendered); a 401 or close 4401 goes back to ``login``; a
configuration that cannot work ends in ``error`` with the reason on screen.
"""

from __future__ import annotations

import asyncio
import json

from app.client import Client
from app.config import ConfigError, resolve_endpoints
from app.hub import Hub
from app.web import http, session
from app.web.banner import Banner
from app.web.dom import by_id
from app.web.driver import Driver
from app.web.link_notice import show_link_notices
from app.web.login import LoginView
from app.web.panels.base import PanelContext
from app.web.panels.comms import CommsPanel
from app.web.panels.deliveries import DeliveriesPanel
from app.web.panels.diagnostics import DiagnosticsPanel
from app.web.panels.staff import StaffPanel
from app.web.panels.zones import ZonesPanel
from app.web.runtime import ProxyOwner, document, window

PANELS = (
    ("deliveries-panel", DeliveriesPanel),
    ("zones-panel", ZonesPanel),
    ("staff-panel", StaffPanel),
    ("comms-panel", CommsPanel),
    ("diagnostics-panel", DiagnosticsPanel),
)


def set_app_state(state: str) -> None:
    document.documentElement.setAttribute("data-app-state", state)


def show_fatal(message: str) -> None:
    set_app_state("error")
    by_id("boot").hidden = False
    by_id("boot-text").textContent = message


async def load_config_json() -> dict | None:
    """``static/config.json`` is optional: a missing file means defaults."""
    try:
        status, text = await http.request("GET", "static/config.json")
    except http.NetworkError:
        return None
    if status != 200:
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"static/config.json is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError("static/config.json must hold a JSON object")
    return data


class App:
    """The page-level owner: exactly one ``Driver`` (so one socket) at a time."""

    def __init__(self, endpoints):
        self.endpoints = endpoints
        self.prefs: dict = {}  # panel filters, kept when the login comes back
        self.driver: Driver | None = None
        self.panels: list = []
        self.banner = Banner(on_retry=self.retry_now)
        self.login = LoginView(endpoints.api_base, self._logged_in)
        self._owner = ProxyOwner("app")
        by_id("logout").addEventListener("click", self._owner.proxy(lambda event: self.logout()))

    def begin(self) -> None:
        token = session.token()
        if token:
            self.start_dashboard(token)
        else:
            self.show_login("")

    def show_login(self, message: str) -> None:
        set_app_state("login")
        by_id("boot").hidden = True
        by_id("dashboard").hidden = True
        by_id("logout").hidden = True
        by_id("user-name").textContent = ""
        self.login.show(message)

    def _logged_in(self, result) -> None:
        session.save(result.token, result.user.name, result.user.id)
        self.login.hide()
        self.start_dashboard(result.token)

    def start_dashboard(self, token: str) -> None:
        set_app_state("loading")
        timings = self.endpoints.timings
        client = Client(
            self.endpoints.api_base, self.endpoints.ws_url, token,
            ping_interval_ms=timings["heartbeatMs"], dead_after_ms=timings["deadAfterMs"],
            http_timeout_ms=timings["commandTimeoutMs"], user_id=session.user_id() or "me",
            delays_factory=_delays(timings["backoffBaseMs"]),
        )
        hub = Hub(on_error=_panel_failed)
        self.driver = Driver(client, hub, self.banner, on_unauthorized=self._unauthorized,
                             on_sync=self._sync_changed, log=_log)
        ctx = PanelContext(client=client, hub=hub, run=self.driver.feed, prefs=self.prefs,
                           page_rows=self.endpoints.view["pageRows"])
        ctx.notes["sockets_opened"] = lambda: self.driver.sockets_opened if self.driver else 0
        by_id("boot-text").textContent = "Loading the day's deliveries…"
        by_id("boot").hidden = False
        by_id("user-name").textContent = session.user_name()
        by_id("logout").hidden = False
        self.panels = [cls(by_id(section), ctx).mount() for section, cls in PANELS]
        hub.subscribe("*", self._first_render)
        self.driver.start()

    def _sync_changed(self, sync) -> None:
        if sync.error and not sync.ready:
            by_id("boot-text").textContent = f"Could not load the deliveries yet: {sync.error}. Retrying…"

    def _first_render(self, changes) -> None:
        if changes.reset and self.driver is not None and self.driver.client.ready:
            by_id("boot").hidden = True
            by_id("dashboard").hidden = False
            set_app_state("ready")
            self.banner.mark_live()

    def _teardown(self) -> None:
        for panel in self.panels:
            panel.unmount()
        self.panels = []
        if self.driver is not None:
            self.driver.stop()
            self.driver = None

    def _unauthorized(self) -> None:
        self._teardown()
        session.forget()
        self.banner.show("unauthorized")
        self.show_login("Your session has ended. Please sign in again.")

    def logout(self) -> None:
        asyncio.ensure_future(session.end_on_server(self.endpoints.api_base, session.token()))  # best-effort
        self._teardown()
        session.forget()
        self.banner.show("connecting")
        self.show_login("")

    def retry_now(self) -> None:
        if self.driver is not None:
            self.driver.retry_now()


def _delays(base_ms: int):
    from app.backoff import delays

    return lambda: delays(base_ms=base_ms)


def _log(direction: str, text: str) -> None:
    window.console.info(f"{direction} {text}")


def _panel_failed(error) -> None:
    """A panel raised while redrawing: the hub kept the others going; say so where a developer looks."""
    window.console.error(f"! panel {error.callback} raised {type(error.error).__name__}: {error.error}")


def _token_handed(app: App) -> None:
    """A ``#token=`` reached without a page load, with no session active: sign in with it."""
    if app.driver is None:
        app.login.hide()
        app.begin()


async def main() -> None:
    session.adopt_fragment_token()  # first, so a failing configuration cannot leave it pending
    try:
        endpoints = resolve_endpoints(str(window.location.href), await load_config_json())
    except ConfigError as exc:
        show_fatal(f"This dashboard is misconfigured: {exc}")
        return
    show_link_notices(endpoints.notices)
    app = App(endpoints)
    app.fragment_watch = session.FragmentWatch(lambda token: _token_handed(app))
    app.begin()


asyncio.ensure_future(main())
