"""``POST /api/logout``: end one session. Our extension: PROTOCOL.md has no logout call.

    POST /api/logout     Authorization: Bearer <token>     204 | 401

The token is revoked at once: REST answers 401 with it, and a socket that
authenticates with it afterwards is closed with 4401. A socket already open
with it runs on until the token's own expiry (the hub does not know which
socket holds which token); the app closes its socket when it logs out.
Other sessions of the same user are untouched. See docs/PROTOCOL-NOTES.md.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.models import User

from .rest import current_user

router = APIRouter(prefix="/api")


def bearer(request: Request) -> str:
    """The token of an ``Authorization: Bearer`` header (``current_user`` has already checked it)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@router.post("/logout", status_code=204)
async def logout(request: Request, user: User = Depends(current_user)) -> Response:
    request.app.state.stub.tokens.revoke(bearer(request))
    return Response(status_code=204)
