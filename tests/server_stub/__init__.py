"""Tests of the stub backend (server_stub/), one module per concern."""
