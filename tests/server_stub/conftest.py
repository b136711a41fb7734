"""Fixtures for the stub's tests: a fresh in-process app per test, simulation off.

The helpers themselves live in ``server_stub.testing`` so that test modules
import them by a name no other conftest can shadow.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from server_stub.testing import login, make_client  # noqa: E402


@pytest.fixture
def client():
    with make_client() as c:
        yield c


@pytest.fixture
def stub(client):
    return client.app.state.stub


@pytest.fixture
def token(client) -> str:
    return login(client)


@pytest.fixture
def auth(token) -> dict:
    return {"Authorization": f"Bearer {token}"}
