"""The component pattern every panel follows: mount, update what changed, unmount.

    panel = DeliveriesPanel(section, ctx)
    panel.mount()      # builds its DOM, binds its listeners, subscribes to the hub
    ...                # ctx.hub.publish(changes) -> panel.update(changes)
    panel.unmount()    # unsubscribes, frees its proxies, empties its section

``mount`` is the seed's ``useEffect``; ``unmount`` is its cleanup. Listeners
are delegated: one per event type on the panel's root, not one per row, so a
row added later needs nothing, and ``unmount`` frees them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from app.client import Client
from app.hub import Hub, Subscription
from app.store import Changes
from app.web.dom import clear
from app.web.runtime import ProxyOwner


@dataclass
class PanelContext:
    """What panels share: the client's views and commands, the hub, and UI preferences."""

    client: Client
    hub: Hub
    run: Callable  # run(lambda client: client.set_status(...)): an input through the driver, actions performed
    prefs: dict = field(default_factory=dict)  # filters and sort, kept across re-login
    notes: dict = field(default_factory=dict)  # cross-panel helpers (e.g. open a delivery's detail)
    page_rows: int = 100  # deliveries laid out before "Show more" (config.DEFAULT_VIEW)


class Panel:
    topics: tuple[str, ...] = ("*",)
    name = "panel"

    def __init__(self, root, ctx: PanelContext):
        self.root = root
        self.ctx = ctx
        self.client = ctx.client
        self._owner = ProxyOwner(self.name)
        self._subscription: Subscription | None = None
        self._listeners: list = []  # (node, event, proxy): unbound before the proxies are freed

    def mount(self) -> "Panel":
        self.build()
        self._subscription = self.ctx.hub.subscribe(self.topics, self.update)
        self.update(Changes(reset=True))
        return self

    def unmount(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        self.teardown()
        # Unbind first: removing a focused field fires blur/change, which must not reach a freed proxy.
        for node, event, proxy in self._listeners:
            node.removeEventListener(event, proxy)
        self._listeners = []
        self._owner.destroy()
        clear(self.root)

    def listen(self, node, event: str, handler) -> None:
        """Bind a listener whose proxy this panel frees on unmount."""
        proxy = self._owner.proxy(handler)
        node.addEventListener(event, proxy)
        self._listeners.append((node, event, proxy))

    # --- to override -------------------------------------------------------------

    def build(self) -> None:
        raise NotImplementedError

    def update(self, changes: Changes) -> None:
        raise NotImplementedError

    def teardown(self) -> None:
        """Anything beyond listeners and DOM (timers) to undo on unmount."""

    def put_away(self) -> None:
        """The board goes behind a sign-in form (a session ended): close what floats over it, such as
        a detail view, which would otherwise stay modal over an inert board and block the form."""

    def fresh_view(self) -> None:
        """Another user signed in over the board: back to the view a first sign-in has (filters,
        search). Their board is loaded afresh; the first user's view was theirs, not this one's."""
