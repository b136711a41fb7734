"""The sans-I/O client: the one object the browser shell drives. Events in, actions out.

    >>> session = Session("tok", "u1", "Ada", "2099-01-01T00:00:00Z")
    >>> client = Client("https://127.0.0.1/api", "wss://127.0.0.1/ws", session, delays_factory=lambda: [1000])
    >>> client.start()
    >>> [a for a in client.actions() if isinstance(a, OpenSocket)]
    [OpenSocket(url='wss://127.0.0.1/ws')]
    >>> client.socket_opened()
    >>> client.actions()[0]
    SendText(text='{"type":"auth","token":"tok","resumeFrom":null,"epoch":null}')
    >>> client.socket_message('{"type": "welcome", "seq": 0, "epoch": "e1", "resumed": false}')
    >>> [type(a).__name__ for a in client.actions() if not isinstance(a, Log)]
    ['HttpRequest', 'StartTimer', 'StartTimer', 'ShowConnection']
    >>> client.state
    <State.SYNCING: 'syncing'>

The shell (``app/web``) owns the real socket, timers and ``fetch``; it calls
an input method for everything that happens, then drains ``actions()`` and
performs them in order. It may call many inputs (say, every socket message
of an animation frame) before one drain: renders are coalesced into one
``Render`` at the end of the batch.

Inputs: ``snapshot_prefetched(text)`` (before ``start``), ``start``,
``socket_opened``, ``socket_message(text)``, ``socket_closed(code, reason)``, ``timer_fired(name)``,
``http_answered(request_id, status, body_text)``, ``http_failed(request_id,
error)``, ``browser_online``, ``page_visible``, ``retry_now``, the commands
``set_status``, ``assign``, ``send_message``, ``retry``, ``discard``,
``dismiss``, ``sign_in``, ``restore_outbox`` (app.account) and ``stop`` (logout).

Actions: the dataclasses of ``app.actions`` (re-exported here), each said
there with what the shell does with it. Views (``app.board_views``, plus
``outbox()``, ``outbox_counts()``, ``has_unsent_work()`` of ``app.account``,
and ``ready``, ``state``, ``session``, ``user_id``, ``diagnostics()``) read
*effective* state: confirmed, with the optimistic overlays laid over it.

Flow (PROTOCOL.md 3 and 4): a snapshot fetched during the boot is applied
first, then start opens the socket; on open, auth with the last applied seq
and its epoch (the prefetched snapshot's: the server replays what came
since); a welcome that cannot resume starts a resync (``app.sync`` has the
rules: epochs, one snapshot at a time, held events). An
event before the welcome is dropped and counted invalid. While the socket is
open but the store is not in sync the state is SYNCING, never OPEN. A 401 or
close 4401 ends the session (``SessionEnded``) and keeps everything until
``sign_in`` (``app.account``). Commands wait until the connection is open, in
sync and signed in, then leave in order; every HTTP request is timed out
after ``http_timeout_ms``.
"""

from __future__ import annotations

import json
import random
import time
from collections import deque
from functools import partial
from typing import Callable, Optional, Union
from urllib.parse import quote

from pydantic import ValidationError

from app import backoff, connection
from app.account import Account
from app.actions import Action, HttpRequest, Log, OpenSocket, Render, SendText, ShowConnection, ShowSync, describe
from app.board_views import BoardViews
from app.commands import (
    MAX_QUEUE,
    TIMEOUT,
    Accepted,
    Commands,
    Confirmed,
    LoggedOut,
    Refused,
    Request,
    RowStatus,
    Touched,
    new_key,
)
from app.connection import CancelTimer, CloseSocket, Connection, Phase, StartTimer, State
from app.frames import INVALID, PREVIEW_CHARS, Rejected, Unknown, decode, encode_auth, encode_ping
from app.models import Delivery, Pong, Reauthed, Welcome
from app.outbox import OutboxItem, SaveOutbox, ShowOutbox
from app.roster import OpenWork
from app.session import REFRESH_TIMER, Notice, Session, SessionEnded, SessionRenewed
from app.store import MAX_COMMUNICATIONS, MAX_HELD, Changes, Outcome, Store
from app.sync import RESYNC_DELAYS_MS, SNAPSHOT_TIMER, GiveUp, Loaded, Retrying, SnapshotLoader, Stale

__all__ = [
    "Client", "OpenSocket", "CloseSocket", "SendText", "StartTimer", "CancelTimer", "HttpRequest",
    "Render", "ShowConnection", "ShowSync", "SessionEnded", "SessionRenewed", "SaveOutbox", "ShowOutbox",
    "Notice", "Log", "Accepted", "Refused", "RowStatus", "OutboxItem", "Session",
    "Changes", "State", "SNAPSHOT_TIMER", "HTTP_TIMER_PREFIX", "REFRESH_TIMER",
]

HTTP_TIMEOUT_MS = 10_000
HTTP_TIMER_PREFIX = "http:"
RECENT_REJECTED = 10


class Client(Account, BoardViews):
    """See the module docstring; the session and outbox half is ``app.account.Account``. Not thread-safe."""

    def __init__(
        self,
        api_base: str,
        ws_url: str,
        session: Union[Session, str],
        *,
        outbox_entries=(),
        wall_clock: Callable[[], float] = lambda: time.time() * 1000,
        clock: Callable[[], float] = lambda: time.monotonic() * 1000,
        delays_factory: Optional[backoff.DelaysFactory] = None,
        rng: Callable[[], float] = random.random,
        id_factory: Callable[[], str] = new_key,
        slow_retry_ms: int = backoff.SLOW_MS,
        resync_delays: tuple[int, ...] = RESYNC_DELAYS_MS,
        ping_interval_ms: int = connection.PING_INTERVAL_MS,
        dead_after_ms: int = connection.DEAD_AFTER_MS,
        http_timeout_ms: int = HTTP_TIMEOUT_MS,
        max_queue: int = MAX_QUEUE,
        max_communications: int = MAX_COMMUNICATIONS,
        max_held: int = MAX_HELD,
        user_id: Optional[str] = None,
        log_frames: bool = False,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.ws_url = ws_url
        if isinstance(session, str):  # a bare token (before issue 12): the user is learnt by a refresh
            session = Session(session, None if user_id == "me" else user_id)  # "me" stood for "unknown"
        self._clock = clock
        self._delays_factory = delays_factory or partial(backoff.delays, rng=rng)
        self.http_timeout_ms = http_timeout_ms
        self.log_frames = log_frames
        self._new_connection = partial(
            Connection,
            clock=clock,
            delays_factory=self._delays_factory,
            slow_delay=partial(backoff.slow_delay, base_ms=slow_retry_ms, rng=rng),
            ping_interval_ms=ping_interval_ms,
            dead_after_ms=dead_after_ms,
        )
        self._conn = self._new_connection()
        self._new_store = partial(Store, max_communications=max_communications, max_held=max_held)
        self.store = self._new_store()
        self.commands = Commands(id_factory=id_factory, max_queue=max_queue, sender=session.user_id or "me",
                                 wall_clock=wall_clock)
        #: True once the first snapshot was applied (``data-app-state=ready``).
        self.ready = False
        self._out: list[Action] = []
        self._changes: list[Changes] = []
        self.work = OpenWork()  # the board's open work, one index for every panel (app.roster)
        self._requests: dict[str, tuple[str, Optional[str]]] = {}  # request id -> (kind, delivery id)
        self._request_count = 0
        self._sync = SnapshotLoader(delays_factory=self._delays_factory, resync_delays=resync_delays)
        self._conn_shown: Optional[connection.StateChanged] = None
        self._shown: Optional[ShowConnection] = None
        self._fetching: dict[str, str] = {}  # delivery id -> request id
        self._sync_shown: Optional[ShowSync] = None
        self._started = False
        self._finished = False
        self._received = 0
        self._invalid = 0
        self._unknown = 0
        self._rejected: deque[Rejected] = deque(maxlen=RECENT_REJECTED)
        self._rtt_ms: Optional[float] = None
        self._init_account(session, outbox_entries, wall_clock, rng)

    # --- inputs: the socket ---------------------------------------------------------

    def snapshot_prefetched(self, text: str) -> bool:
        """A 200 ``GET /snapshot`` body fetched during the boot, before ``start``: shown now, and the
        first auth resumes from it (``app.sync`` rule 4). False: not taken; the welcome asks for one."""
        result = self._sync.prefetched(text, self.store) if not self._started and not self._finished else None
        if isinstance(result, Loaded):
            self._snapshot_loaded(result, "prefetched snapshot")
        elif result is not None and not self.store.loaded:
            self._invalid_answer("GET /snapshot (prefetched): not a snapshot", text)
        self._after()
        return isinstance(result, Loaded)

    def start(self) -> None:
        if self._started or self._finished:
            return
        self._started = True
        self._conn.start()
        self._renewal.start()
        self._after()

    def socket_opened(self) -> None:
        if self._finished:
            return
        self._conn.socket_opened()
        self._after()

    def socket_message(self, text: str) -> None:
        self.socket_messages((text,))

    def socket_messages(self, texts) -> None:
        """Frames that arrived together (one animation frame's worth, from the driver).

        The liveness note and the bookkeeping after a frame (settling commands,
        pumping the connection) run once per batch, not once per frame: at a
        thousand frames a second that bookkeeping cost as much as the frames.
        """
        if self._finished:
            return
        conn = self._conn
        phase = conn.phase
        conn.frame_received()
        for text in texts:
            if self._finished:
                break
            self._message(text)
        if conn.phase is not phase:  # e.g. a welcome: later frames were heard in the new phase
            conn.frame_received()
        self._after()

    def _message(self, text: str) -> None:
        self._received += 1
        message = decode(text)
        if self.log_frames:
            self._log("<", text[:200] if isinstance(text, str) else repr(text)[:200])
        if isinstance(message, Rejected):
            self._invalid += 1
            self._rejected.append(message)
            self._log("=", f"dropped an invalid frame ({message.reason}): {message.detail}")
        elif isinstance(message, Unknown):
            self._unknown += 1
        elif isinstance(message, Welcome):
            self._conn.welcome_received(message.resumed)
            self.commands.new_stream(message.epoch)
            self._reauthenticate()  # a refresh came while the handshake was under way
            self._welcomed(message)
        elif isinstance(message, Reauthed):
            self._log("=", f"socket re-authenticated (until {message.expiresAt})")
        elif isinstance(message, Pong):
            self._rtt_ms = max(0.0, self._clock() - message.t)
        elif self._conn.phase is not Phase.OPEN:
            # An event before the welcome belongs to no stream we resumed or loaded
            # (a server that lost its welcome): drop it; the handshake times out.
            self._invalid += 1
            self._rejected.append(Rejected(INVALID, "an event before the welcome", text[:PREVIEW_CHARS]))
            self._log("=", "dropped an event received before the welcome")
        else:
            self._absorb(self.store.apply(message))

    def socket_closed(self, code: int, reason: str = "") -> None:
        if self._finished:
            return
        if self._conn.has_socket:
            self._log("=", f"socket closed: {code} {reason}".rstrip())
        self._conn.socket_closed(code)
        if self._conn.phase is Phase.UNAUTHORIZED:
            self._session_ended(f"close {code}")
        self._after()

    def timer_fired(self, name: str) -> None:
        if self._finished:
            return
        if name.startswith(HTTP_TIMER_PREFIX):
            self._http_done(name[len(HTTP_TIMER_PREFIX):], None, TIMEOUT, timer_fired=True)
        elif name == SNAPSHOT_TIMER:
            self._sync.timer_fired()
        elif name == REFRESH_TIMER:
            self._renewal.timer_fired()
        else:
            self._conn.timer_fired(name)
        self._after()

    def browser_online(self) -> None:
        self._conn_input(self._conn.browser_online)

    def page_visible(self) -> None:
        self._conn_input(self._conn.page_visible)

    def retry_now(self) -> None:
        """The user pressed "reconnect now"."""
        self._conn_input(self._conn.retry_now)

    def _conn_input(self, method: Callable[[], None]) -> None:
        if self._finished:
            return
        method()
        self._after()

    # --- inputs: HTTP -------------------------------------------------------------------

    def http_answered(self, request_id: str, status: int, body_text: str) -> None:
        if self._finished:
            return
        self._http_done(request_id, status, body_text or "")
        self._after()

    def http_failed(self, request_id: str, error: str) -> None:
        """The request got no answer (network error, CORS, aborted...)."""
        if self._finished:
            return
        self._http_done(request_id, None, str(error) or "network error")
        self._after()

    def _http_done(self, request_id: str, status: Optional[int], text: str, *, timer_fired: bool = False) -> None:
        entry = self._requests.pop(request_id, None)
        if entry is None:
            return  # stale (superseded, timed out, or not ours)
        if not timer_fired:
            self._out.append(CancelTimer(HTTP_TIMER_PREFIX + request_id))
        kind, delivery_id = entry
        if self.log_frames:
            self._log("<", f"{request_id}: {status if status is not None else text}")
        if status == 401 and self._stale_401(request_id):
            status, text = None, "refused under an earlier sign-in"
        if kind == "refresh":
            self._refresh_done(request_id, status, text)
        elif kind == "command":
            if status is None:
                self.commands.http_failed(request_id, text)
            else:
                self.commands.http_answered(request_id, status, text)
        elif status == 401:
            self._session_ended("HTTP 401")
        elif kind == "snapshot":
            self._snapshot_answered(request_id, status, text)
        elif kind == "delivery":
            self._delivery_answered(delivery_id, status, text)

    # --- inputs: commands ----------------------------------------------------------------

    def set_status(self, delivery_id: str, status: str) -> Union[Accepted, Refused]:
        return self._command(self.commands.set_status, delivery_id, status)

    def assign(self, delivery_id: str, staff_id: Optional[str]) -> Union[Accepted, Refused]:
        """Assign to ``staff_id``; None (or "") unassigns."""
        return self._command(self.commands.assign, delivery_id, staff_id or None)

    def send_message(self, to: str, body: str, delivery_id: Optional[str] = None) -> Union[Accepted, Refused]:
        return self._command(self.commands.send_message, to, body, delivery_id or None)

    def retry(self, command_id: str) -> Union[Accepted, Refused]:
        """Send a failed retryable command (any of ``outbox()``) again, with the same key."""
        return self._command(self.commands.retry, command_id)

    def dismiss(self, command_id: str) -> None:
        """The user closed a rollback message: it goes, with its failed command."""
        self._command(self.commands.dismiss, command_id)

    def _command(self, method, *args):
        if self._finished:
            return Refused("stopped", "Not connected any more: log in again.")
        result = method(*args)  # after SessionEnded too: it waits for the sign-in
        self._after()
        return result

    def stop(self) -> None:
        """Logout: close the socket, cancel every timer; the client ignores all inputs after this."""
        if self._finished:
            return
        self._conn.stop()
        self._renewal.stop()
        self._finish()
        self._after()

    # --- output ----------------------------------------------------------------------

    def actions(self) -> list[Action]:
        """Everything to do since the last call, in order; at most one ``Render``, last."""
        self._publish_outbox()
        out, self._out = self._out, []
        if self._changes:
            changes = self.work.follow(Changes.merge(self._changes), self)
            self._changes = []
            if changes:
                out.append(Render(changes))
        return out

    # --- views -----------------------------------------------------------------------

    @property
    def state(self) -> State:
        """The connection's state, but SYNCING instead of OPEN while the store is not in sync."""
        state = self._conn.state
        return State.SYNCING if state is State.OPEN and self.store.loading else state

    def diagnostics(self) -> dict:
        counters = self.store.counters
        return {
            "received": self._received,
            "applied": counters.applied,
            "invalid": self._invalid + counters.invalid + self.commands.invalid_answers + self._renewal.invalid,
            "duplicates": counters.duplicates,
            "unknown": self._unknown,
            "last_seq": self.store.last_seq,
            "epoch": self.store.epoch,
            "resyncs": counters.resyncs,
            "held": self.store.held,
            "held_dropped": counters.held_dropped,
            "fetches": counters.fetches,
            "state": self.state.value,
            "attempt": self._conn.attempt,
            "max_attempts": self._conn.max_attempts,
            "last_close_code": self._conn.last_close_code,
            "rtt_ms": self._rtt_ms,
            "ready": self.ready,
            "loading": self.store.loading,
            "sync_error": self._sync.error,
            "queued_commands": self.commands.queued,
            "unconfirmed_commands": self.commands.unconfirmed,
            "outbox": self.outbox_counts(),
            "session_ended": self._ended,
            "rejected": [
                {"reason": r.reason, "detail": r.detail, "preview": r.preview} for r in self._rejected
            ],
        }

    # --- the glue ----------------------------------------------------------------------

    def _welcomed(self, welcome: Welcome) -> None:
        why = self._sync.welcomed(self.store, welcome)
        if why is None:
            self._log("=", f"resumed after seq {self.store.last_seq}")
        else:
            self._log("=", f"welcome ({why}): loading the snapshot")
            self._forget_snapshot_request()

    def _absorb(self, outcome: Outcome) -> None:
        if outcome.changes:
            self._changes.append(outcome.changes)
        for event in outcome.applied:
            self.commands.event_applied(event)
        for delivery_id in outcome.fetch:
            self._fetch(delivery_id)
        if outcome.resync:
            self._log("=", "resync: loading the snapshot")

    def _after(self) -> None:
        """After every input: start what is due, then translate the parts' outputs into actions."""
        if not self._finished:
            store = self.store
            online = self._conn.phase is Phase.OPEN
            if self._sync.due(loading=store.loading, online=online):
                self._sync.requested(self._http("snapshot", "GET", "/snapshot"))
            self.commands.settle(store)
            self.commands.set_online(online and not store.loading and not self._ended)
        self._pump_commands()
        self._pump_session()
        self._pump_connection()
        self._out.extend(self._sync.actions())
        self._show_connection()
        self._show_sync()

    def _pump_commands(self) -> None:
        while True:
            outputs = self.commands.actions()
            if not outputs:
                break
            for output in outputs:
                if isinstance(output, Request):
                    headers = dict(output.headers)
                    self._http("command", output.method, output.path, output.body, headers, output.request_id)
                elif isinstance(output, Touched):
                    self._changes.append(output.changes)
                elif isinstance(output, Confirmed):
                    if output.delivery is not None:
                        self._absorb(self.store.put_delivery(output.delivery))
                    if output.communication is not None:
                        self._absorb(self.store.put_communication(output.communication))
                    self.commands.settle(self.store)
                elif isinstance(output, LoggedOut):
                    self._session_ended("HTTP 401")
        # A command settled by its event no longer waits for its answer: stop its timer.
        for request_id, (kind, _) in list(self._requests.items()):
            if kind == "command" and not self.commands.owns(request_id):
                del self._requests[request_id]
                self._out.append(CancelTimer(HTTP_TIMER_PREFIX + request_id))

    def _pump_connection(self) -> None:
        for action in self._conn.actions():
            if isinstance(action, connection.OpenSocket):
                self._out.append(OpenSocket(self.ws_url))
            elif isinstance(action, connection.SendAuth):
                resume_from = self.store.last_seq if self.store.loaded else None
                epoch = self.store.epoch if resume_from is not None else None
                self._socket_token = self.session.token
                self._out.append(SendText(encode_auth(self.session.token, resume_from, epoch)))
                self._log(">", f"auth (resumeFrom {resume_from}, epoch {epoch})")
            elif isinstance(action, connection.SendPing):
                self._out.append(SendText(encode_ping(round(self._clock(), 3))))
            elif isinstance(action, connection.StateChanged):
                self._conn_shown = action
            else:  # CloseSocket, StartTimer, CancelTimer: the same classes
                if isinstance(action, CloseSocket):
                    self._log("=", f"closing the socket: {action.code} {action.reason}")
                self._out.append(action)

    def _show_connection(self) -> None:
        """The connection's last ``StateChanged``, with SYNCING for OPEN while the store is not in sync."""
        if self._conn_shown is None:
            return
        shown = self._conn_shown
        shown = ShowConnection(self.state if shown.state is State.OPEN else shown.state,
                               shown.attempt, shown.of, shown.next_retry_ms)
        if shown != self._shown:
            self._shown = shown
            self._out.append(shown)
            self._log("=", describe(shown))

    def _show_sync(self) -> None:
        shown = ShowSync(self.ready, self.store.loading, self._sync.error)
        if shown != self._sync_shown:
            self._sync_shown = shown
            self._out.append(shown)

    def _http(
        self,
        kind: str,
        method: str,
        path: str,
        body: Optional[dict] = None,
        extra_headers: Optional[dict] = None,
        request_id: Optional[str] = None,
        delivery_id: Optional[str] = None,
    ) -> str:
        if request_id is None:
            self._request_count += 1
            request_id = f"{kind}-{self._request_count}"
        headers = {"Authorization": f"Bearer {self.session.token}", "Accept": "application/json"}
        self._made_under_this_sign_in(request_id)
        body_text = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            body_text = json.dumps(body, separators=(",", ":"))
        headers.update(extra_headers or {})
        self._requests[request_id] = (kind, delivery_id)
        self._out.append(HttpRequest(request_id, method, self.api_base + path, headers, body_text))
        self._out.append(StartTimer(HTTP_TIMER_PREFIX + request_id, self.http_timeout_ms))
        if self.log_frames:
            self._log(">", f"{request_id}: {method} {path}")
        return request_id

    # --- snapshot and fetches ---------------------------------------------------------------

    def _forget_snapshot_request(self) -> None:
        """A new stream started: an older snapshot request or retry wait is not wanted any more."""
        request_id = self._sync.forget()
        if request_id is not None:
            self._requests.pop(request_id, None)
            self._out.append(CancelTimer(HTTP_TIMER_PREFIX + request_id))

    def _snapshot_answered(self, request_id: str, status: Optional[int], text: str) -> None:
        result = self._sync.answered(request_id, status, text, self.store)
        if isinstance(result, Stale):
            return
        if isinstance(result, Retrying) and result.invalid:
            self._invalid_answer("GET /snapshot: not a snapshot", text)
        if isinstance(result, Loaded):
            self._snapshot_loaded(result, "snapshot")
            return
        self._dropped_items(getattr(result, "dropped", ()))
        self._log("=", self._sync.error)
        if isinstance(result, GiveUp):
            self._forget_snapshot_request()
            self._conn.reconnect(f"snapshot behind the stream: {result.why}")

    def _snapshot_loaded(self, result: Loaded, what: str) -> None:
        self._dropped_items(result.dropped)
        snapshot = result.snapshot
        self.ready = True
        self._log("=", f"{what} applied (seq {snapshot.seq}, epoch {snapshot.epoch}, "
                       f"{len(snapshot.deliveries)} deliveries)")
        self._absorb(result.outcome)

    def _dropped_items(self, lines) -> None:
        for line in lines:
            self._invalid += 1
            self._log("=", f"dropped an invalid snapshot item in {line}")

    def _fetch(self, delivery_id: str) -> None:
        if delivery_id in self._fetching and self._fetching[delivery_id] in self._requests:
            return
        path = f"/deliveries/{quote(delivery_id, safe='')}"
        self._fetching[delivery_id] = self._http("delivery", "GET", path, delivery_id=delivery_id)

    def _delivery_answered(self, delivery_id: str, status: Optional[int], text: str) -> None:
        self._fetching.pop(delivery_id, None)
        if status is not None and 200 <= status < 300:
            try:
                delivery = Delivery.model_validate_json(text)
            except ValidationError:
                delivery = None
            if delivery is not None and delivery.id == delivery_id:
                self._absorb(self.store.upsert_delivery(delivery))
                return
            self._invalid_answer(f"GET /deliveries/{delivery_id}: not that delivery", text)
        self._absorb(self.store.fetch_failed(delivery_id, missing=status == 404))

    # --- the end ------------------------------------------------------------------------------

    def _finish(self) -> None:
        self._finished = True
        for request_id in self._requests:
            self._out.append(CancelTimer(HTTP_TIMER_PREFIX + request_id))
        self._requests.clear()
        self._sync.forget()
        self.commands.set_online(False)

    def _invalid_answer(self, detail: str, text: str) -> None:
        """A REST answer that is not what the protocol says: counted and shown like an invalid frame."""
        self._invalid += 1
        self._rejected.append(Rejected(INVALID, detail, text[:PREVIEW_CHARS]))
        self._log("=", f"dropped an invalid answer ({detail})")

    def _log(self, direction: str, text: str) -> None:
        self._out.append(Log(direction, text))

    def _send_text(self, text: str) -> None:
        self._out.append(SendText(text))
