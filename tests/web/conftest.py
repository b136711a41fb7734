import asyncio

import pytest


@pytest.fixture(autouse=True)
def event_loop_for_the_shell():
    """The shell schedules on the asyncio loop (``call_later``); each test gets its own."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)
