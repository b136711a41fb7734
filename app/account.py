"""The client's account half: who it works for, renewing that session, sign-in over the kept board, the outbox.

    >>> from app.client import Client
    >>> session = Session("tok", "u1", "Ada", "2099-01-01T00:00:00Z")
    >>> client = Client("https://127.0.0.1/api", "wss://127.0.0.1/ws", session)
    >>> client.user_id, client.outbox(), client.has_unsent_work()
    ('u1', [], False)

``Account`` is a base class of ``app.client.Client``, kept apart so the
client's connection and sync glue and this session and outbox glue can each
be read (and changed) on their own; it uses the client's parts (``_conn``,
``store``, ``commands``, ``_http``, ``_out``) and adds no I/O of its own. The
rules live in ``app.session`` (renewal), ``app.outbox`` (storage) and
``app.commands`` (the queue); here they are wired to the client:

- A 401 on a call made under the current sign-in, a refresh answered 401,
  or a close 4401 ends the session (``SessionEnded``): the socket closes, the
  connection stops, the command under way goes back to the queue; the board,
  commands and outbox stay. A 401 to a request made under an earlier sign-in
  is a plain failure (``_stale_401``).
- ``sign_in`` replaces the ``Connection`` with a fresh one (the old one is
  stopped: its socket closed, its timers cancelled) and starts it at once.
- After a refresh, an open socket is re-authenticated with the new token; a
  socket still in its handshake is, right after its welcome.
- The outbox (the current user's entries) is published at most once per
  drain (``actions()``), only when ``commands.version`` moved.
"""

from __future__ import annotations

from typing import Optional

from app import outbox as stored
from app.connection import Phase
from app.outbox import OutboxItem
from app.session import (
    REFRESH_PATH,
    Ended,
    Notice,
    RefreshNow,
    Renewal,
    Renewed,
    Session,
    SessionEnded,
    SessionRenewed,
    reauth_frame,
)
from app.store import Changes


class Account:
    """Session and outbox glue of ``Client`` (see the module docstring)."""

    def _init_account(self, session: Session, outbox_entries, wall_clock, rng) -> None:
        """Called by ``Client.__init__`` once its parts exist."""
        #: The sign-in this client works for; ``_generation`` counts sign-ins.
        self.session = session
        self._generation = 0
        self._ended = False  # SessionEnded was emitted; sign_in() starts again
        self._socket_token: Optional[str] = None  # the token the open socket authenticated with
        self._wall_clock = wall_clock
        self._renewal = Renewal(session, wall_clock=wall_clock, rng=rng)
        self._published = stored.Published()
        self._request_generation: dict[str, int] = {}  # request id -> the sign-in it was made under
        self._outbox_version = -1  # commands.version when the outbox was last published
        self._restore(outbox_entries)

    # --- inputs --------------------------------------------------------------------------------

    def sign_in(self, session: Session, outbox_entries=()) -> None:
        """A sign-in after ``SessionEnded`` (or at any time): reconnect at once under ``session``.

        The same user: resume, then send what was waiting with its keys. Another user: the
        first user's commands are set aside (a last ``SaveOutbox`` keeps them for that user's
        return, a ``Notice`` says so), the board is loaded afresh, ``outbox_entries`` (the
        new user's stored ones) are restored. A user never learnt (a version-1 backend with a
        ``#token=``) counts as the same. A fresh ``Connection`` replaces the old one.
        """
        if self._finished:
            return
        self.commands.suspend()  # nothing leaves under the old token, nor before the new stream is in sync
        old = self.session
        if old.user_id is not None and session.user_id != old.user_id:
            self._set_aside(old)
        self.session = session
        self._generation += 1
        self._ended = False
        self.commands.sender = session.user_id or "me"
        self._renewal.replace(session)
        self._log("=", f"signed in as {session.user_id or 'an unknown user'}")
        self._restore(outbox_entries)
        self._conn.stop()  # closes a socket that is still open; cancels its timers
        self._pump_connection()
        self._conn = self._new_connection()
        if self._started:
            self._conn.start()
        self.commands.set_online(False)
        self.commands.resume()
        self._after()

    def discard(self, command_id: str) -> bool:
        """Drop a failed or waiting command for good: rolled back, out of the outbox and storage."""
        return bool(self._command(self.commands.discard, command_id))

    def restore_outbox(self, outbox_entries) -> None:
        """This user's stored entries, when the user is learnt only from ``SessionRenewed`` (a ``#token=``)."""
        if not self._finished:
            self._restore(outbox_entries)
            self._after()

    # --- views ---------------------------------------------------------------------------------

    def outbox(self) -> list[OutboxItem]:
        """Every command not confirmed: waiting, sending, or failed and waiting for the user."""
        return [stored.item_of(*entry) for entry in self.commands.outbox()]

    def outbox_counts(self) -> tuple[int, int]:
        """(count, failed): ``data-count`` and ``data-failed`` of the outbox."""
        items = self.commands.outbox()
        return len(items), sum(1 for _, _, state in items if state == "failed")

    def has_unsent_work(self) -> bool:
        """True while a command waits or is under way: ask before the page is closed."""
        return any(state != "failed" for _, _, state in self.commands.outbox())

    @property
    def user_id(self) -> Optional[str]:
        return self.session.user_id

    # --- the glue ------------------------------------------------------------------------------

    def _set_aside(self, old: Session) -> None:
        """Another user signs in: keep the first one's work stored, out of the live queue; empty the board."""
        taken = self.commands.set_aside()
        entries = tuple(stored.entry_of(c, e, "failed" if e else "waiting") for c, e in taken)
        self._out.append(self._published.save(old.user_id, entries, force=True))
        if taken:
            self._out.append(Notice(stored.set_aside_notice(len(taken), old.user_name or old.user_id)))
        self._forget_snapshot_request()
        self._fetching.clear()
        self.store = self._new_store()
        self.ready = False
        self._changes.append(Changes(reset=True))

    def _restore(self, entries) -> None:
        restored = stored.restore(entries, self._wall_clock())
        for command, error in restored.commands:
            self.commands.adopt(command, error)
        text = stored.dropped_notice(restored.invalid, restored.expired)
        if text:
            self._invalid += restored.invalid
            self._out.append(Notice(text))

    def _pump_session(self) -> None:
        for output in self._renewal.actions():
            if isinstance(output, RefreshNow):
                self._http("refresh", "POST", REFRESH_PATH)
            elif isinstance(output, Renewed):
                known = self.session.user_id
                if known is not None and output.session.user_id != known:
                    self._session_ended("the refresh named another user")  # never work on under their name
                    continue
                if known is None:
                    self._outbox_version = -1  # a user learnt: what was made meanwhile is stored for them now
                self.session = output.session
                self.commands.sender = output.session.user_id or "me"
                self._out.append(SessionRenewed(output.session))
                self._log("=", f"session renewed until {output.session.expires_at}")
                self._reauthenticate()
            elif isinstance(output, Ended):
                self._session_ended(output.reason)
            else:  # StartTimer, CancelTimer
                self._out.append(output)

    def _reauthenticate(self) -> None:
        """After a refresh, tell the open socket the new token (PROTOCOL.md 3.3); the handshake waits."""
        if self._conn.phase is Phase.OPEN and self._socket_token not in (None, self.session.token):
            self._socket_token = self.session.token
            self._send_text(reauth_frame(self.session.token))
            self._log(">", "auth (re-authentication after a refresh)")

    def _publish_outbox(self) -> None:
        """At most one ``SaveOutbox`` and one ``ShowOutbox`` per drain, each only on a change."""
        if self.commands.version == self._outbox_version:
            return
        self._outbox_version = self.commands.version
        entries = self.commands.outbox()
        save = self._published.save(self.user_id, tuple(stored.entry_of(*entry) for entry in entries))
        show = self._published.show([stored.item_of(*entry) for entry in entries])
        self._out.extend(action for action in (save, show) if action is not None)

    def _session_ended(self, why: str) -> None:
        """A 401 or 4401: stop connecting and sending, keep everything, wait for ``sign_in``."""
        if self._finished or self._ended:
            return
        self._ended = True
        self._log("=", f"session ended ({why}): waiting for a sign-in")
        self._out.append(SessionEnded(why))
        self._conn.unauthorized()
        self._renewal.stop()
        self.commands.suspend()
        self._forget_snapshot_request()  # asked with the dead token; the next stream asks again

    def _stale_401(self, request_id: str) -> bool:
        """Was this request made under an earlier sign-in (so its 401 is not this session's verdict)?"""
        return self._request_generation.get(request_id, self._generation) != self._generation

    def _made_under_this_sign_in(self, request_id: str) -> None:
        self._request_generation[request_id] = self._generation
        if len(self._request_generation) > 2 * len(self._requests) + 16:  # answers that never came
            self._request_generation = {k: v for k, v in self._request_generation.items() if k in self._requests}

    def _refresh_done(self, request_id: str, status: Optional[int], text: str) -> None:
        if self._request_generation.pop(request_id, self._generation) != self._generation:
            return  # asked for an earlier sign-in: its answer is not this session's
        if status is None:
            self._renewal.failed(text)
        else:
            self._renewal.answered(status, text)
