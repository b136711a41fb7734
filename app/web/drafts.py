"""A half-typed message belongs to the user who typed it (PROTOCOL.md 2).

When another person signs in over the board, or on "Log out", the message
form's draft is set aside in ``sessionStorage`` under the first user's id
and the form is emptied; when that user signs in again in this tab, it comes
back. Only the compose form has drafts: every other change is a command and
waits in the outbox.
"""

from __future__ import annotations

import json

from app.web.runtime import document, window

PREFIX = "dc.draft."
FIELDS = ("to", "body", "deliveryId")


def _form():
    return document.querySelector("form[data-testid=comms-compose]")


def set_aside(user_id: str) -> None:
    form = _form()
    if form is None or not user_id:
        return
    values = {}
    for name in FIELDS:
        field = form.querySelector(f"[name={name}]")
        if field is not None:
            values[name] = str(field.value or "")
    if values.get("body", "").strip():
        window.sessionStorage.setItem(PREFIX + user_id, json.dumps(values))
    body = form.querySelector("[name=body]")
    if body is not None:
        body.value = ""


def restore(user_id) -> None:
    form = _form()
    if form is None or not user_id:
        return
    text = window.sessionStorage.getItem(PREFIX + user_id)
    if not text:
        return
    window.sessionStorage.removeItem(PREFIX + user_id)
    try:
        values = json.loads(str(text))
    except ValueError:
        return
    if not isinstance(values, dict):
        return
    for name in FIELDS:
        field = form.querySelector(f"[name={name}]")
        value = values.get(name)
        if field is not None and isinstance(value, str):
            field.value = value
