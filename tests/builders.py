"""Wire models for the core's tests, with every required field filled: name only what a test is about.

    delivery("D-2", status="in_transit", assignedTo="S-1")
"""

from __future__ import annotations

from app.models import Delivery

T0 = "2026-11-26T10:00:00Z"


def delivery(did: str = "D-1", **fields) -> Delivery:
    base = dict(id=did, status="pending", customer="Ada", address="1 Main St", zoneId="Z-1", updatedAt=T0)
    return Delivery.model_validate({**base, **fields})
