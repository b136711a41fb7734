"""Boot the dashboard in the page: config, login, one client, the panels.

PyScript runs this file (``index.html``); everything it does is wiring. The
page's life: ``loading`` -> ``login`` (no token) -> ``loading`` -> ``ready``
(first snapshot rendered); a configuration that cannot work ends in
``error`` with the reason on screen.

A session that ends (a 401 or close 4401) does not tear the board down: the
login form comes up over it (``login`` again, the board inert behind), and
the board, filters, selection, outbox and drafts stay as they were. The same
user signing in carries on where they were; another user gets a fresh board,
and the first user's changes and draft wait in this browser for their return
(PROTOCOL.md 2). Only "Log out" tears the board down.
"""

from __future__ import annotations

import asyncio
import json

from app.client import Client, Notice, SaveOutbox, SessionEnded, SessionRenewed, ShowOutbox
from app.config import ConfigError, resolve_endpoints
from app.hub import Hub
from app.map_tiles import TileConfigError, tile_source
from app.selection import Selection
from app.session import Session
from app.web import drafts, http, session
from app.web.banner import Banner
from app.web.dom import by_id
from app.web.driver import Driver
from app.web.link_notice import show_link_notices
from app.web.login import LoginView
from app.web.notice import NoticeView
from app.web.outbox_store import OutboxStore
from app.web.outbox_view import OutboxView
from app.web.panels.base import PanelContext
from app.web.panels.comms import CommsPanel
from app.web.panels.deliveries import DeliveriesPanel
from app.web.panels.diagnostics import DiagnosticsPanel
from app.web.panels.map import MapPanel
from app.web.panels.staff import StaffPanel
from app.web.panels.zones import ZonesPanel
from app.web.runtime import ProxyOwner, document, window

PANELS = (
    ("deliveries-panel", DeliveriesPanel),
    ("map-panel", MapPanel),  # after the deliveries: its filters filter the pins
    ("zones-panel", ZonesPanel),
    ("staff-panel", StaffPanel),
    ("comms-panel", CommsPanel),
    ("diagnostics-panel", DiagnosticsPanel),
)


def set_app_state(state: str) -> None:
    document.documentElement.setAttribute("data-app-state", state)


def show_fatal(message: str) -> None:
    """A configuration that cannot work: only the reason, no form to type a password into."""
    set_app_state("error")
    by_id("login-view").hidden = True  # shown from the first paint (static/js/early.mjs)
    by_id("skeleton").hidden = True
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

    def __init__(self, endpoints, outbox_store: OutboxStore, map_tiles=None):
        self.endpoints = endpoints
        self.map_tiles = map_tiles  # static/config.json's tile source (app.map_tiles), None by default
        self.outbox_store = outbox_store
        self.prefs: dict = {}  # panel filters, kept when the login comes back
        self.driver: Driver | None = None
        self.panels: list = []
        self.outbox_view: OutboxView | None = None
        self._session_over = False  # the login form is over the kept board
        self.banner = Banner(on_retry=self.retry_now)
        self.notice = NoticeView()
        self.login = LoginView(endpoints.api_base, self._logged_in)
        self._owner = ProxyOwner("app")
        by_id("logout").addEventListener("click", self._owner.proxy(lambda event: self.logout()))
        window.addEventListener("beforeunload", self._owner.proxy(self._before_unload))

    def begin(self) -> None:
        saved = session.load()
        if saved is not None:
            self.start_dashboard(saved)
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
        signed_in = Session(result.token, result.user.id, result.user.name, result.expiresAt)
        session.save(signed_in)
        self.login.hide()
        if self.driver is not None and self._session_over:
            self._carry_on(signed_in)
        else:
            self.start_dashboard(signed_in)

    def start_dashboard(self, signed_in: Session) -> None:
        set_app_state("loading")
        timings = self.endpoints.timings
        client = Client(
            self.endpoints.api_base, self.endpoints.ws_url, signed_in,
            outbox_entries=self._stored_outbox(signed_in.user_id),
            ping_interval_ms=timings["heartbeatMs"], dead_after_ms=timings["deadAfterMs"],
            http_timeout_ms=timings["commandTimeoutMs"],
            delays_factory=_delays(timings["backoffBaseMs"]), slow_retry_ms=timings["slowRetryMs"],
        )
        hub = Hub(on_error=_panel_failed)
        self.driver = Driver(client, hub, self.banner, on_sync=self._sync_changed, log=_log, app_actions={
            SessionEnded: self._session_ended,
            SessionRenewed: self._session_renewed,
            SaveOutbox: self.outbox_store.save,
            ShowOutbox: self._show_outbox,
            Notice: lambda action: self.notice.show(action.text),
        })
        ctx = PanelContext(client=client, hub=hub, run=self.driver.feed, prefs=self.prefs,
                           page_rows=self.endpoints.view["pageRows"])
        ctx.notes["sockets_opened"] = lambda: self.driver.sockets_opened if self.driver else 0
        ctx.notes["selection"] = Selection()  # one selection: the table, the staff list and the map show it
        ctx.notes["map_tiles"] = self.map_tiles
        by_id("boot-text").textContent = "Loading the day's deliveries…"
        by_id("boot").hidden = False
        by_id("user-name").textContent = signed_in.user_name or ""
        by_id("logout").hidden = False
        self.panels = [cls(by_id(section), ctx).mount() for section, cls in PANELS]
        self.outbox_view = OutboxView(run=self.driver.feed)
        drafts.restore(signed_in.user_id)
        hub.subscribe("*", self._first_render)
        asyncio.ensure_future(self._start(self.driver, signed_in))
        self._show_outbox(None)

    async def _start(self, driver: Driver, signed_in: Session) -> None:
        """The snapshot fetched during the boot goes in first: the board shows before the socket
        opens, and the socket's first auth resumes from it (the server replays what came since)."""
        url = f"{self.endpoints.api_base.rstrip('/')}/snapshot"
        taken = await http.prefetched(url, {"Authorization": f"Bearer {signed_in.token}"},
                                      wait_s=self.endpoints.timings["commandTimeoutMs"] / 1000)
        if driver is not self.driver:
            return  # logged out (or signed in again) meanwhile
        if taken is not None:
            driver.feed(lambda client: client.snapshot_prefetched(taken[1]))
        driver.start()

    def _session_renewed(self, action) -> None:
        """Save the new token; a ``#token=`` session that learns its user now gets that user's stored outbox."""
        known = session.user_id()
        session.save(action.session)
        user = action.session.user_id
        if not known and user:
            entries = self._stored_outbox(user)
            drafts.restore(user)
            if entries:  # after this drain: the driver is still performing the actions of this one
                asyncio.get_event_loop().call_soon(
                    lambda: self.driver and self.driver.feed(lambda c: c.restore_outbox(entries)))

    def take_handed_token(self) -> None:
        """A link's ``#token=`` with no session active: start with it (its user is learnt by a refresh).

        After a session that ended, the kept board belongs to whoever it was: their
        outbox is already in IndexedDB and their draft is set aside, like a logout.
        """
        if self.driver is not None:
            if not self._session_over:
                return
            user = self.driver.client.user_id
            if user:
                drafts.set_aside(user)
            self._teardown()
        self.login.hide()
        self.begin()

    def _stored_outbox(self, user_id) -> list:
        return self.outbox_store.entries(user_id) if user_id else []

    def _sync_changed(self, sync) -> None:
        if sync.error and not sync.ready:
            by_id("boot-text").textContent = f"Could not load the deliveries yet: {sync.error}. Retrying…"

    def _first_render(self, changes) -> None:
        if changes.reset and self.driver is not None and self.driver.client.ready and not self._session_over:
            by_id("boot").hidden = True
            by_id("dashboard").hidden = False
            set_app_state("ready")
            self.banner.mark_live()

    def _show_outbox(self, action) -> None:
        if self.driver is not None and self.outbox_view is not None:
            client = self.driver.client
            self.outbox_view.show(client.outbox(), *client.outbox_counts())

    # --- a session that ends, and the sign-in over the board ----------------------------

    def _session_ended(self, action) -> None:
        """401 or 4401: the login form over the kept board; nothing is torn down."""
        self._session_over = True
        for panel in self.panels:  # a detail view left open would stay modal over the form
            panel.put_away()
        session.forget_token()  # dead; the name stays for the form
        document.documentElement.setAttribute("data-login-over", "")
        by_id("dashboard").inert = True
        set_app_state("login")
        self.login.show("Your session has ended. Sign in again to carry on: "
                        "the board and your unsent changes are kept.")

    def _carry_on(self, signed_in: Session) -> None:
        client = self.driver.client
        previous = client.user_id
        if previous and signed_in.user_id != previous:
            drafts.set_aside(previous)  # their half-typed message waits for them, like their changes
            drafts.restore(signed_in.user_id)
            for panel in self.panels:  # a fresh board: the first user's filters and search were theirs
                panel.fresh_view()
        entries = self._stored_outbox(signed_in.user_id) if signed_in.user_id != previous else ()
        self._session_over = False
        document.documentElement.removeAttribute("data-login-over")
        by_id("dashboard").inert = False
        by_id("user-name").textContent = signed_in.user_name or ""
        self.driver.feed(lambda c: c.sign_in(signed_in, outbox_entries=entries))
        if client.ready and not by_id("dashboard").hidden:
            set_app_state("ready")
        else:
            set_app_state("loading")

    def _teardown(self) -> None:
        for panel in self.panels:
            panel.unmount()
        self.panels = []
        if self.outbox_view is not None:
            self.outbox_view.destroy()
            self.outbox_view = None
        if self.driver is not None:
            self.driver.stop()
            self.driver = None
        self._session_over = False
        document.documentElement.removeAttribute("data-login-over")
        by_id("dashboard").inert = False
        by_id("outbox").hidden = True

    def _before_unload(self, event) -> None:
        """Unsent changes are kept in IndexedDB, but a closing tab still asks: they are not on the server yet."""
        if self.driver is not None and self.driver.client.has_unsent_work():
            event.preventDefault()
            event.returnValue = ""

    def logout(self) -> None:
        asyncio.ensure_future(session.end_on_server(self.endpoints.api_base, session.token()))  # best-effort
        user = self.driver.client.user_id if self.driver is not None else None
        if user:
            drafts.set_aside(user)
        self._teardown()
        session.forget()
        self.notice.hide()
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
    app.take_handed_token()


async def main() -> None:
    session.adopt_fragment_token()  # first, so a failing configuration cannot leave it pending
    try:
        config = await load_config_json()
        endpoints = resolve_endpoints(str(window.location.href), config)
    except ConfigError as exc:
        show_fatal(f"This dashboard is misconfigured: {exc}")
        return
    try:
        map_tiles = tile_source(config or {})
    except TileConfigError as exc:  # the map works without its tiles: say why there are none
        window.console.error(f"static/config.json: {exc}; the map shows no tiles")
        map_tiles = None
    show_link_notices(endpoints.notices)
    outbox_store = OutboxStore()
    await outbox_store.open()
    app = App(endpoints, outbox_store, map_tiles)
    app.fragment_watch = session.FragmentWatch(lambda token: _token_handed(app))
    app.begin()


asyncio.ensure_future(main())
