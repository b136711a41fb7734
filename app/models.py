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

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints, model_serializer

MAX_FRAME_BYTES = 64 * 1024
MAX_BODY_CHARS = 2000
MAX_TEXT_CHARS = 1000
MAX_ID_CHARS = 64
MAX_KEY_CHARS = 200
#: ``seq`` is a non-negative integer below 2**53 (PROTOCOL.md 5): it survives a JavaScript number.
SEQ_LIMIT = 2**53
#: Points in one zone's ``area`` ring: a city block outline, not a coastline.
MAX_AREA_POINTS = 1000

Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_CHARS)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]
#: Enums are validated by value only; ``Strict(False)`` lets the stub build models from plain
#: strings in Python while JSON input still accepts nothing but the exact wire value.
Lax = Strict(False)


def _iso8601(value: str) -> str:
    # Keep the raw text (PROTOCOL.md 6: data-value is the value as received),
    # but refuse anything that is not a timestamp.
    datetime.fromisoformat(value)
    return value


Timestamp = Annotated[str, StringConstraints(max_length=40), AfterValidator(_iso8601)]
Seq = Annotated[int, Field(ge=0, lt=SEQ_LIMIT)]
Count = Annotated[int, Field(ge=0, lt=SEQ_LIMIT)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Epoch = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_CHARS)]


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


def is_open(status) -> bool:
    """Not delivered, failed or cancelled (``FINAL_STATUSES``): the one test every module uses."""
    return status not in FINAL_STATUSES


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
    """Base of every wire model: strict (PROTOCOL.md 5: no coercion), frozen, extra fields ignored.

    Strict mode refuses ``"7"`` for a number and ``"yes"`` for a boolean; floats
    are finite. Enum fields are annotated ``Lax`` (see above).
    """

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, strict=True)

    def wire(self) -> dict:
        """The JSON-ready dict, with wire names and nulls kept."""
        return self.model_dump(mode="json", by_alias=True)


# --- places (PROTOCOL.md 4 and 5: the map's data) ---------------------------


class Point(Wire):
    """A place: ``{"lat", "lon"}`` (a delivery's pickup and drop-off)."""

    lat: Lat
    lon: Lon


class Location(Point):
    """Where a staff member was ``at``; ``heading`` in degrees from north, ``speed`` in m/s."""

    heading: Optional[Annotated[float, Field(ge=0, le=360, allow_inf_nan=False)]] = None
    speed: Optional[Annotated[float, Field(ge=0, allow_inf_nan=False)]] = None
    at: Timestamp


#: A closed ring of ``[lon, lat]`` pairs, GeoJSON order.
Area = Annotated[
    list[Annotated[list[Finite], Field(min_length=2, max_length=2)]],
    Field(min_length=4, max_length=MAX_AREA_POINTS),
]


# --- entities (PROTOCOL.md 5) -------------------------------------------------


class Delivery(Wire):
    id: Id
    status: Annotated[DeliveryStatus, Lax]
    customer: Text
    address: Text
    zoneId: Id
    assignedTo: Optional[Id] = None
    priority: Annotated[Priority, Lax] = Priority.NORMAL
    eta: Optional[Timestamp] = None
    updatedAt: Timestamp
    pickup: Optional[Point] = None
    dropoff: Optional[Point] = None


class Staff(Wire):
    id: Id
    name: Text
    role: Annotated[StaffRole, Lax]
    status: Annotated[StaffStatus, Lax]
    zoneId: Optional[Id] = None
    lastSeenAt: Timestamp
    location: Optional[Location] = None


class Zone(Wire):
    id: Id
    name: Text
    status: Annotated[ZoneStatus, Lax]
    activeDeliveries: Count
    availableStaff: Count
    area: Optional[Area] = None


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
    status: Optional[Annotated[DeliveryStatus, Lax]] = None
    customer: Optional[Text] = None
    address: Optional[Text] = None
    zoneId: Optional[Id] = None
    assignedTo: Optional[Id] = None
    priority: Optional[Annotated[Priority, Lax]] = None
    eta: Optional[Timestamp] = None
    updatedAt: Optional[Timestamp] = None
    pickup: Optional[Point] = None
    dropoff: Optional[Point] = None


class ZoneChanges(Partial):
    name: Optional[Text] = None
    status: Optional[Annotated[ZoneStatus, Lax]] = None
    activeDeliveries: Optional[Count] = None
    availableStaff: Optional[Count] = None


def sent_fields(changes: Wire) -> dict:
    """The fields a partial-change model actually carried (an explicit null included)."""
    return {name: getattr(changes, name) for name in changes.model_fields_set}


# --- server to client (PROTOCOL.md 3 and 4) ----------------------------------


class Cause(Wire):
    """Which command produced an event (PROTOCOL.md 2): confirms that command, and only it."""

    idempotencyKey: Annotated[str, StringConstraints(min_length=1, max_length=MAX_KEY_CHARS)]
    userId: Optional[Id] = None


class DeliveryUpdate(Wire):
    type: Literal["delivery_update"] = "delivery_update"
    seq: Optional[Seq] = None
    ts: Optional[Timestamp] = None
    deliveryId: Id
    changes: DeliveryChanges
    cause: Optional[Cause] = None


class StaffStatusUpdate(Wire):
    type: Literal["staff_status_update"] = "staff_status_update"
    seq: Optional[Seq] = None
    ts: Optional[Timestamp] = None
    staffId: Id
    status: Annotated[StaffStatus, Lax]


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
    cause: Optional[Cause] = None


class StaffLocationUpdate(Wire):
    type: Literal["staff_location_update"] = "staff_location_update"
    seq: Optional[Seq] = None
    ts: Optional[Timestamp] = None
    staffId: Id
    location: Location


class Welcome(Wire):
    type: Literal["welcome"] = "welcome"
    seq: Optional[Seq] = None
    #: One history of seq numbers (PROTOCOL.md 3.2); None from a version-1 backend.
    epoch: Optional[Epoch] = None
    resumed: bool


class Reauthed(Wire):
    """The answer to an ``auth`` on an open socket after a session refresh (PROTOCOL.md 3.3)."""

    type: Literal["reauthed"] = "reauthed"
    expiresAt: Optional[Timestamp] = None


class Pong(Wire):
    type: Literal["pong"] = "pong"
    t: Finite


Event = Union[DeliveryUpdate, StaffStatusUpdate, ZoneUpdate, NewCommunication, StaffLocationUpdate]
EVENT_TYPES = ("delivery_update", "staff_status_update", "zone_update", "new_communication", "staff_location_update")

ServerMessage = Annotated[
    Union[DeliveryUpdate, StaffStatusUpdate, ZoneUpdate, NewCommunication, StaffLocationUpdate, Welcome, Reauthed, Pong],
    Field(discriminator="type"),
]


# --- client to server ---------------------------------------------------------


class Auth(Wire):
    type: Literal["auth"] = "auth"
    token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    resumeFrom: Optional[Seq] = None
    epoch: Optional[Epoch] = None


class Ping(Wire):
    type: Literal["ping"] = "ping"
    t: Finite


ClientMessage = Annotated[Union[Auth, Ping], Field(discriminator="type")]


# --- REST payloads (PROTOCOL.md 2) --------------------------------------------


class User(Wire):
    id: Id
    name: Text


class LoginRequest(Wire):
    username: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class LoginResult(Wire):
    """The answer to ``POST /login`` and to ``POST /session/refresh``."""

    token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    expiresAt: Timestamp
    user: User


class Snapshot(Wire):
    seq: Optional[Seq] = None
    epoch: Optional[Epoch] = None
    deliveries: list[Delivery]
    staff: list[Staff]
    zones: list[Zone]
    communications: list[Communication]


class DeliveryPatch(Wire):
    """Body of ``PATCH /deliveries/{id}``: at least one of the two fields."""

    status: Optional[Annotated[DeliveryStatus, Lax]] = None
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
