"""The words the dashboard shows for raw values: statuses, people, the connection. Pure, no browser.

    >>> words("on_delivery")
    'On delivery'
    >>> connection_text("reconnecting", attempt=2, of=5, seconds_left=4)
    'Reconnecting: attempt 2 of 5, next try in 4 seconds'
    >>> name_and_id("S-07", "Dev Silva"), recipient("coordinators", lambda staff_id: None)
    ('Dev Silva (S-07)', 'Coordinators')
    >>> STATUS_LABELS["in_transit"], PRIORITY_LABELS["urgent"]
    ('In transit', 'Urgent')

Raw values stay in ``data-value`` (PROTOCOL.md 6); what is here is only for
people, so it can change without breaking a test that reads the hooks. This
is the one home of the labels (``words``, ``STATUS_LABELS``,
``PRIORITY_LABELS``) and of "Name (ID)" (``name_and_id``).
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from app.models import DeliveryStatus, Priority
from app.timefmt import seconds_text

#: Recipients of a message besides staff ids (the compose form's first options).
GROUPS = {"coordinators": "Coordinators", "all": "Everyone"}

NameOf = Callable[[str], Optional[str]]


def words(value: object) -> str:
    """An enum value as words: ``on_delivery`` -> "On delivery"; empty for None."""
    if value is None:
        return ""
    text = str(value).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


#: Every delivery status and priority in words, in lifecycle and rank order (urgent first).
STATUS_LABELS = {status.value: words(status.value) for status in DeliveryStatus}
PRIORITY_LABELS = {priority.value: words(priority.value) for priority in reversed(Priority)}


def name_and_id(some_id: Optional[str], name: Optional[str]) -> str:
    """A name beside its id (a person, a zone); the id alone when the name is unknown; empty for no id."""
    if not some_id:
        return ""
    return f"{name} ({some_id})" if name else some_id


person = name_and_id  # the older name, still imported by app/web/panels/comms.py


def sender(from_id: str, me: str, name_of: NameOf) -> str:
    """Who sent a message: "You" for the logged-in user, else a person, else the raw id."""
    if from_id == me:
        return "You"
    return name_and_id(from_id, name_of(from_id))


def recipient(to: str, name_of: NameOf) -> str:
    return GROUPS.get(to) or name_and_id(to, name_of(to))


def count_of(n: int, limit: int) -> str:
    """The message counter: "12 / 2000", or how far over the limit the text is ("3 too many")."""
    if n > limit:
        return f"{n - limit} too many"
    return f"{n} / {limit}"


def current_work(delivery_id: Optional[str], status: Optional[str], others: int) -> str:
    """A staff row's current delivery: "D-1042, in transit (+1 more)"; "No delivery" for none."""
    if not delivery_id:
        return "No delivery"
    text = f"{delivery_id}, {words(status).lower()}" if status else delivery_id
    return f"{text} (+{others} more)" if others else text


def zone_backlog(pending: int, available: int, alert: bool) -> str:
    if alert:
        free = "nobody free" if available == 0 else f"only {available} free"
        return f"Short of staff: {pending} waiting, {free}"
    return ""


def announce_messages(senders_and_bodies: Sequence[tuple[str, str]], limit: int = 140) -> str:
    """What the polite live region says when messages arrive (newest first in the list)."""
    if not senders_and_bodies:
        return ""
    who, body = senders_and_bodies[0]
    body = " ".join(body.split())
    if len(body) > limit:
        body = body[: limit - 1].rstrip() + "…"
    if len(senders_and_bodies) == 1:
        return f"New message from {who}: {body}"
    return f"{len(senders_and_bodies)} new messages. Latest from {who}: {body}"


def connection_text(state: str, attempt: int = 0, of: int = 5, seconds_left: Optional[int] = None) -> str:
    """The banner's sentence for a connection state (``State`` values)."""
    if state == "open":
        return "Live"
    if state == "connecting":
        return "Connecting…"
    if state == "reconnecting":
        head = f"Reconnecting: attempt {attempt} of {of}"
        if seconds_left is None:
            return f"{head}, trying now…"
        return f"{head}, next try in {seconds_text(max(0, seconds_left))}"
    if state == "syncing":
        return "Syncing: loading the latest state…"
    if state == "offline":
        head = f"Offline: could not reconnect after {of} attempts"
        if seconds_left is None:
            return head
        return f"{head}; trying again in {seconds_text(max(0, seconds_left))}"
    if state == "unauthorized":
        return "Signed out: please sign in again"
    return "Not connected"


def connection_announcement(state: str) -> str:
    """The one-off sentence a screen reader hears on a state change (not every countdown tick)."""
    return {
        "open": "Connection is live.",
        "reconnecting": "Connection lost. Reconnecting.",
        "offline": "Offline. Retrying every minute; use Retry now to reconnect at once.",
        "syncing": "Connected. Loading the latest state.",
        "unauthorized": "Signed out.",
    }.get(state, "")


COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")


def movement(heading: Optional[float], speed: Optional[float]) -> str:
    """Where a person is heading and how fast, for people: "heading east at 30 km/h"; "" when neither
    is known. ``heading`` is degrees from north, ``speed`` metres a second (PROTOCOL.md 5).

    >>> [movement(h, s) for h, s in ((90, 8.3), (359, None), (None, 0.2), (180, 0), (None, None))]
    ['heading east at 30 km/h', 'heading north', 'at 1 km/h', 'standing still', '']
    """
    if speed is not None and speed <= 0:
        return "standing still"
    parts = []
    if heading is not None:
        parts.append(f"heading {COMPASS[round(heading / 45) % 8]}")
    if speed is not None:
        parts.append(f"at {max(1, round(speed * 3.6))} km/h")
    return " ".join(parts)
