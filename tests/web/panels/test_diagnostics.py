"""The diagnostics panel renders the client's counters through the seam."""

from app.web.panels.diagnostics import DiagnosticsPanel
from tests.web.fakes import FakeClient, context, section


class DiagnosticClient(FakeClient):
    def diagnostics(self):
        return {"received": 3, "applied": 3, "invalid": 0, "duplicates": 0, "unknown": 0, "last_seq": 9, "epoch": 1,
                "resyncs": 0, "held": 0, "held_dropped": 0, "fetches": 1, "state": "open", "attempt": 0,
                "max_attempts": 5, "last_close_code": None, "rtt_ms": 12.0, "ready": True, "loading": False,
                "sync_error": None, "queued_commands": 0, "unconfirmed_commands": 0, "outbox": (0, 0),
                "session_ended": False,
                "rejected": [{"reason": "invalid_frame", "detail": "bad", "preview": "<x>"}]}


def test_diagnostics_show_the_clients_counters():
    ctx = context(DiagnosticClient())
    panel = DiagnosticsPanel(section(), ctx).mount()
    panel._refresh(texts=True)
    text = panel.root.textContent
    assert "12 ms" in text and "<x>" in text
    panel.unmount()
