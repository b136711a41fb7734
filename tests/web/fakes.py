"""A client with the views and commands the panels read, and a context to mount a panel in the fake page."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from app.command import Accepted, Refused, RowStatus
from app.hub import Hub
from app.roster import OpenWork
from app.models import Delivery, Staff, Zone
from app.store import Changes
from app.web.panels.base import PanelContext
from app.web.runtime import IN_BROWSER, document, js

assert not IN_BROWSER

T0 = "2026-11-26T10:00:00Z"


def iso(minutes_from_now: float) -> str:
    moment = datetime.now(timezone.utc) + timedelta(minutes=minutes_from_now)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def delivery(i: int, status="pending", eta_minutes=None, zone="Z-1", assignee=None, customer=None, **kw):
    return Delivery(id=f"D-{i}", status=status, customer=customer or f"Customer {i}", address=f"{i} Mill Lane",
                    zoneId=zone, assignedTo=assignee, priority=kw.get("priority", "normal"),
                    eta=iso(i if eta_minutes is None else eta_minutes), updatedAt=T0)


def staff(i: int, name=None, status="available", zone="Z-1"):
    return Staff(id=f"S-{i}", name=name or f"Person {i:02d}", role="driver", status=status, zoneId=zone,
                 lastSeenAt=T0)


def zone(zone_id="Z-1", name="Harbour"):
    return Zone(id=zone_id, name=name, status="open", activeDeliveries=0, availableStaff=1)


class FakeClient:
    """The client's read side and commands, in memory; commands apply at once unless ``refuse`` says why not."""

    def __init__(self, deliveries=(), members=(), zones=(zone(),)):
        self._deliveries = {d.id: d for d in deliveries}
        self._staff = {m.id: m for m in members}
        self._zones = {z.id: z for z in zones}
        self.work = OpenWork()  # kept as the real client keeps it: by ``publish`` (``OpenWork.follow``)
        self.work.reset(self._deliveries.values())
        self.statuses: dict[str, RowStatus] = {}
        self.refuse = ""
        self.commands: list[tuple] = []

    def delivery(self, delivery_id):
        return self._deliveries.get(delivery_id)

    def deliveries(self):
        return list(self._deliveries.values())

    def put(self, item) -> None:
        self._deliveries[item.id] = item

    def drop(self, delivery_id) -> None:
        self._deliveries.pop(delivery_id, None)

    def row_status(self, delivery_id):
        return self.statuses.get(delivery_id, RowStatus())

    def staff_member(self, staff_id):
        return self._staff.get(staff_id)

    def staff(self):
        return list(self._staff.values())

    def put_staff(self, member) -> None:
        self._staff[member.id] = member

    def zone(self, zone_id):
        return self._zones.get(zone_id)

    def zones(self):
        return list(self._zones.values())

    def put_zone(self, item) -> None:
        self._zones[item.id] = item

    def communications(self):
        return []

    def communication_pending(self, communication_id):
        return False

    def _command(self, name, delivery_id, **change):
        self.commands.append((name, delivery_id, *change.values()))
        if self.refuse:
            return Refused("invalid", self.refuse)
        self._deliveries[delivery_id] = replace(self._deliveries[delivery_id], **change) \
            if hasattr(self._deliveries[delivery_id], "__dataclass_fields__") \
            else self._deliveries[delivery_id].model_copy(update=change)
        self.statuses[delivery_id] = RowStatus(pending=True)
        return Accepted(f"c-{len(self.commands)}")

    def set_status(self, delivery_id, status):
        return self._command("set_status", delivery_id, status=status)

    def assign(self, delivery_id, staff_id):
        return self._command("assign", delivery_id, assignedTo=staff_id)

    def retry(self, command_id):
        self.commands.append(("retry", command_id))
        return Accepted(command_id)

    def dismiss(self, command_id):
        self.commands.append(("dismiss", command_id))


def context(client, prefs=None, page_rows=5) -> PanelContext:
    return PanelContext(client=client, hub=Hub(), run=lambda fn: fn(client), prefs=prefs if prefs is not None else {},
                        page_rows=page_rows)


def section():
    node = document.createElement("section")
    document.body.appendChild(node)
    return node


def turns(n: int = 20) -> None:
    """Let ``n`` event-loop turns run (chunks scheduled with ``call_later(0)``)."""
    loop = asyncio.get_event_loop()
    for _ in range(n):
        loop.run_until_complete(asyncio.sleep(0))


def publish(ctx, **changes) -> None:
    """A Render as the client publishes it: its open-work index follows, and names what that touched."""
    made = Changes(**{k: frozenset(v) if isinstance(v, (set, list, tuple)) else v for k, v in changes.items()})
    ctx.hub.publish(ctx.client.work.follow(made, ctx.client))


def frames() -> int:
    return js.dcBridge.run()
