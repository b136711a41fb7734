"""The wire schema of PROTOCOL.md sections 2, 4 and 5, shared by the app and the stub.

One schema for both sides: the stub imports these models to build what it
sends, the app uses them to validate what it receives. Field names are the
wire's camelCase; unknown extra fields are ignored (forward compatibility).

    >>> Delivery.model_validate({"id": "D-1", "status": "pending", "customer": "Ada",
    ...     "address": "1 Main St", "zoneId": "Z-1", "priority": "normal",
    ...     "updatedAt": "2026-11-26T10:00:00Z"}).assignedTo is None
    True
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_serializer

MAX_FRAME_BYTES = 64 * 1024
MAX_BODY_CHARS = 2000
MAX_ID_CHARS = 64

Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_CHARS)]


def _iso8601(value: str) -> str:
    # Keep the raw text (PROTOCOL.md 6: data-value is the value as received),
    # but refuse anything that is not a timestamp.
    datetime.fromisoformat(value)
    return value


Timestamp = Annotated[str, StringConstraints(max_length=40), AfterValidator(_iso8601)]
Seq = Annotated[int, Field(ge=0)]
Count = Annotated[int, Field(ge=0)]


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    ASSIGNED = "assigned"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: Statuses a delivery never leaves: a PATCH on one of these is a 409 conflict.
FINAL_STATUSES = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED})


class Priority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class StaffRole(StrEnum):
    DRIVER = "driver"
    COURIER = "courier"
    DISPATCHER = "dispatcher"


class StaffStatus(StrEnum):
    AVAILABLE = "available"
    ON_DELIVERY = "on_delivery"
    ON_BREAK = "on_break"
    OFFLINE = "offline"


class ZoneStatus(StrEnum):
    OPEN = "open"
    BUSY = "busy"
    CLOSED = "closed"


class Wire(BaseModel):
    """Base of every wire model: frozen, extra fields ignored, enums kept as enums."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    def wire(self) -> dict:
        """The JSON-ready dict, with wire names and nulls kept."""
        return self.model_dump(mode="json", by_alias=True)


# --- entities (PROTOCOL.md 5) -------------------------------------------------


class Delivery(Wire):
    id: Id
    status: DeliveryStatus
    customer: Annotated[str, StringConstraints(max_length=200)]
    address: Annotated[str, StringConstraints(max_length=500)]
    zoneId: Id
    assignedTo: Optional[Id] = None
    priority: Priority = Priority.NORMAL
    eta: Optional[Timestamp] = None
    updatedAt: Timestamp


class Staff(Wire):
    id: Id
    name: Annotated[str, StringConstraints(max_length=200)]
    role: StaffRole
    status: StaffStatus
    zoneId: Optional[Id] = None
    lastSeenAt: Timestamp


class Zone(Wire):
    id: Id
    name: Annotated[str, StringConstraints(max_length=200)]
    status: ZoneStatus
    activeDeliveries: Count
    availableStaff: Count


class Communication(Wire):
    id: Id
    from_: Id = Field(alias="from")
    to: Id
    body: Annotated[str, StringConstraints(max_length=MAX_BODY_CHARS)]
    sentAt: Timestamp
    deliveryId: Optional[Id] = None


# --- partial changes carried by events ---------------------------------------


class Partial(Wire):
    """Any subset of an entity's fields; ``model_fields_set`` says which were sent.

    It serialises only those, so an unsent field never reaches the wire as a
    null that a receiver would read as "set to null".
    """

    @model_serializer(mode="wrap")
    def _only_sent(self, handler):
        data = handler(self)
        return {key: value for key, value in data.items() if key in self.model_fields_set}


class DeliveryChanges(Partial):

    id: Optional[Id] = None
    status: Optional[DeliveryStatus] = None
    customer: Optional[Annotated[str, StringConstraints(max_length=200)]] = None
    address: Optional[Annotated[str, StringConstraints(max_length=500)]] = None
    zoneId: Optional[Id] = None
    assignedTo: Optional[Id] = None
    priority: Optional[Priority] = None
    eta: Optional[Timestamp] = None
    updatedAt: Optional[Timestamp] = None


class ZoneChanges(Partial):
    name: Optional[Annotated[str, StringConstraints(max_length=200)]] = None
    status: Optional[ZoneStatus] = None
    activeDeliveries: Optional[Count] = None
    availableStaff: Optional[Count] = None


def sent_fields(changes: Wire) -> dict:
    """The fields a partial-change model actually carried (an explicit null included)."""
    return {name: getattr(changes, name) for name in changes.model_fields_set}


# --- server to client (PROTOCOL.md 3 and 4) ----------------------------------


class DeliveryUpdate(Wire):
    type: Literal["delivery_update"] = "delivery_update"
    seq: Optional[Seq] = None
    ts: Optional[Timestamp] = None
    deliveryId: Id
    changes: DeliveryChanges


class StaffStatusUpdate(Wire):
    type: Literal["staff_status_update"] = "staff_status_update"
    seq: Optional[Seq] = None
    ts: Optional[Timestamp] = None
    staffId: Id
    status: StaffStatus


class ZoneUpdate(Wire):
    type: Literal["zone_update"] = "zone_update"
    seq: Optional[Seq] = None
    ts: Optional[Timestamp] = None
    zoneId: Id
    changes: ZoneChanges


class NewCommunication(Wire):
    type: Literal["new_communication"] = "new_communication"
    seq: Optional[Seq] = None
    ts: Optional[Timestamp] = None
    communication: Communication


class Welcome(Wire):
    type: Literal["welcome"] = "welcome"
    seq: Optional[Seq] = None
    resumed: bool


class Pong(Wire):
    type: Literal["pong"] = "pong"
    t: float


Event = Union[DeliveryUpdate, StaffStatusUpdate, ZoneUpdate, NewCommunication]
EVENT_TYPES = ("delivery_update", "staff_status_update", "zone_update", "new_communication")

ServerMessage = Annotated[
    Union[DeliveryUpdate, StaffStatusUpdate, ZoneUpdate, NewCommunication, Welcome, Pong],
    Field(discriminator="type"),
]


# --- client to server ---------------------------------------------------------


class Auth(Wire):
    type: Literal["auth"] = "auth"
    token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    resumeFrom: Optional[Seq] = None


class Ping(Wire):
    type: Literal["ping"] = "ping"
    t: float


ClientMessage = Annotated[Union[Auth, Ping], Field(discriminator="type")]


# --- REST payloads (PROTOCOL.md 2) --------------------------------------------


class User(Wire):
    id: Id
    name: str


class LoginRequest(Wire):
    username: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class LoginResult(Wire):
    token: str
    expiresAt: Timestamp
    user: User


class Snapshot(Wire):
    seq: Optional[Seq] = None
    deliveries: list[Delivery]
    staff: list[Staff]
    zones: list[Zone]
    communications: list[Communication]


class DeliveryPatch(Wire):
    """Body of ``PATCH /deliveries/{id}``: at least one of the two fields."""

    status: Optional[DeliveryStatus] = None
    assignedTo: Optional[Id] = None


class PatchResult(Wire):
    delivery: Delivery
    seq: Optional[Seq] = None


class CommunicationDraft(Wire):
    to: Id
    body: Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY_CHARS)]
    deliveryId: Optional[Id] = None


class CommunicationResult(Wire):
    communication: Communication
    seq: Optional[Seq] = None
