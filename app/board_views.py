"""The board as the user should see it: confirmed state with the unconfirmed changes laid over it.

``Client`` mixes this in: views read ``self.store`` (confirmed, from the
server) and ``self.commands`` (optimistic overlays, messages being sent).
Panels call only these to draw; nothing here changes state.

Views read *effective* state (confirmed, with optimistic overlays):
``delivery(id)``, ``deliveries()``, ``row_status(id)`` (pending, last
rollback), ``staff_member(id)``, ``staff()``, ``zone(id)``, ``zones()``,
``communications()``, ``communication(id)``, ``communication_pending(id)``,
``compose_status()``, ``outbox()``, ``outbox_counts()``, ``has_unsent_work()``;
and ``ready``, ``state``, ``session``, ``user_id``, ``diagnostics()``; and
``work`` (``app.roster.OpenWork`` over these views: who carries what, each
person's current delivery, what waits per zone). On a ``Render``, redraw each
id it names from these views (an id they no longer know was removed),
everything on ``reset``; a staff row or dot that shows open work redraws
``changes.carriers`` too, a zone card ``changes.waiting``; re-read
``compose_status()`` whenever ``changes.communications`` is not empty. Text
is data: put it in ``textContent``, never parsed as HTML.
"""

from __future__ import annotations

from typing import Optional

from app.commands import RowStatus
from app.models import Communication, Delivery, Staff, Zone


class BoardViews:
    """Read-only views over ``self.store`` and ``self.commands`` (both set by ``Client``)."""

    def delivery(self, delivery_id: str) -> Optional[Delivery]:
        """The delivery as the user should see it: confirmed, with unconfirmed changes laid over."""
        confirmed = self.store.deliveries.get(delivery_id)
        return None if confirmed is None else self.commands.effective(confirmed)

    def deliveries(self) -> list[Delivery]:
        return [self.commands.effective(d) for d in self.store.deliveries.values()]

    def row_status(self, delivery_id: str) -> RowStatus:
        """``pending`` (an unconfirmed change: ``data-pending``) and ``error`` (the last rollback)."""
        return self.commands.row_status(delivery_id)

    def staff_member(self, staff_id: str) -> Optional[Staff]:
        return self.store.staff.get(staff_id)

    def staff(self) -> list[Staff]:
        return list(self.store.staff.values())

    def zone(self, zone_id: str) -> Optional[Zone]:
        return self.store.zones.get(zone_id)

    def zones(self) -> list[Zone]:
        return list(self.store.zones.values())

    def communications(self) -> list[Communication]:
        """Newest first: messages being sent, then the confirmed ones."""
        sending = [c for c, _ in self.commands.messages() if self.store.communication(c.id) is None]
        return sending + self.store.communications_newest_first()

    def communication(self, communication_id: str) -> Optional[Communication]:
        found = self.store.communication(communication_id)
        if found is None:
            found = next((c for c, _ in self.commands.messages() if c.id == communication_id), None)
        return found

    def communication_pending(self, communication_id: str) -> bool:
        """True while a message the user sent is not confirmed (``data-pending``)."""
        return any(c.id == communication_id and pending for c, pending in self.commands.messages())

    def compose_status(self) -> RowStatus:
        """The message form: a message being sent (``pending``) and the last rollback (``error``)."""
        return self.commands.compose_status()
