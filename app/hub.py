"""Fan-out of ``Changes`` to the panels that care: the seed's ``useWebSocket`` hook, without a socket each.

    >>> from app.store import Changes
    >>> hub = Hub()
    >>> seen = []
    >>> sub = hub.subscribe("staff", seen.append)
    >>> hub.publish(Changes(deliveries=frozenset({"D-1"})))
    >>> hub.publish(Changes(staff=frozenset({"S-1"})))
    >>> len(seen), hub.live
    (1, 1)
    >>> sub.close(); sub.close(); hub.live
    0

In the seed every component opened its own WebSocket in ``useEffect`` and
closed it in the cleanup. Here there is one socket (PROTOCOL.md 3) and one
``Client``; each panel subscribes to the kinds of change it shows and gets a
callback with the ``Changes`` (which ids to redraw). ``subscribe`` is the
effect, ``Subscription.close`` the cleanup.

Rules:

1. Topics are the ``Changes`` kinds (``deliveries``, ``staff``, ``zones``,
   ``communications``), event types (``delivery_update`` ...) or ``*``. A
   subscriber is called when a published ``Changes`` has ids of one of its
   kinds, applied an event of one of its types, or is a ``reset``.
2. ``close()`` undoes everything ``subscribe`` did, is idempotent, and is
   also what leaving a ``with`` block does. ``live`` counts the
   subscriptions not closed: a test (or the diagnostics panel) can see a
   panel that forgot to unsubscribe.
3. A subscriber that raises does not stop the others nor the publisher: the
   error is kept (``errors``, the last 50) and passed to ``on_error``.
4. Subscribing or closing during a publish is safe: the publish goes to the
   subscribers that were live when it started and are still live.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Union

from app.models import EVENT_TYPES
from app.store import KINDS, Changes

ALL = "*"
TOPICS = frozenset((*KINDS, *EVENT_TYPES, ALL))
MAX_ERRORS = 50

Callback = Callable[[Changes], None]


@dataclass(frozen=True)
class HubError:
    """A subscriber raised: which one (its topics and callback's name), and what."""

    topics: frozenset[str]
    callback: str
    error: BaseException


class Subscription:
    """A live interest in some topics; ``close()`` (or leaving ``with``) ends it."""

    def __init__(self, hub: "Hub", topics: frozenset[str], callback: Callback) -> None:
        self._hub: Optional[Hub] = hub
        self.topics = topics
        self.callback: Optional[Callback] = callback

    @property
    def closed(self) -> bool:
        return self._hub is None

    def close(self) -> None:
        hub, self._hub = self._hub, None
        if hub is not None:
            hub._remove(self)
            self.callback = None  # drop the reference: a closed subscription pins nothing

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def wants(self, changes: Changes) -> bool:
        if changes.reset or ALL in self.topics:
            return True
        return any(changes.ids(kind) for kind in KINDS if kind in self.topics) or bool(
            self.topics & changes.event_types
        )


class Hub:
    """Subscribers by topic; ``publish`` calls the interested ones."""

    def __init__(self, *, on_error: Optional[Callable[[HubError], None]] = None) -> None:
        self._subscriptions: dict[int, Subscription] = {}
        self.on_error = on_error
        self.errors: deque[HubError] = deque(maxlen=MAX_ERRORS)

    def subscribe(self, topics: Union[str, Iterable[str]], callback: Callback) -> Subscription:
        """Call ``callback(changes)`` for every published change in ``topics`` until closed."""
        wanted = frozenset([topics] if isinstance(topics, str) else topics)
        unknown = wanted - TOPICS
        if not wanted or unknown:
            raise ValueError(f"unknown topics {sorted(unknown)}; known: {sorted(TOPICS)}")
        if not callable(callback):
            raise TypeError("callback must be callable")
        subscription = Subscription(self, wanted, callback)
        self._subscriptions[id(subscription)] = subscription
        return subscription

    def publish(self, changes: Changes) -> None:
        if not changes:
            return
        for subscription in list(self._subscriptions.values()):
            callback = subscription.callback
            if subscription.closed or callback is None or not subscription.wants(changes):
                continue
            try:
                callback(changes)
            except Exception as exc:  # rule 3
                error = HubError(subscription.topics, getattr(callback, "__qualname__", repr(callback)), exc)
                self.errors.append(error)
                if self.on_error is not None:
                    try:
                        self.on_error(error)
                    except Exception:
                        pass

    @property
    def live(self) -> int:
        """Subscriptions not yet closed."""
        return len(self._subscriptions)

    def _remove(self, subscription: Subscription) -> None:
        self._subscriptions.pop(id(subscription), None)
