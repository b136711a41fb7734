"""app/web/panels/base.py: mount builds and subscribes, update gets what changed, unmount frees everything."""

from app.store import Changes
from app.web.dom import el
from app.web.fake_dom import Event
from app.web.panels.base import Panel
from app.web.runtime import ProxyOwner
from tests.web.fakes import FakeClient, context, publish, section


class Counter(Panel):
    name = "counter"

    def build(self) -> None:
        self.updates: list[Changes] = []
        self.clicks = 0
        self.torn_down = False
        self.button = el("button", text="+1")
        self.root.appendChild(self.button)
        self.listen(self.root, "click", self._click)

    def _click(self, event) -> None:
        self.clicks += 1

    def update(self, changes: Changes) -> None:
        self.updates.append(changes)

    def teardown(self) -> None:
        self.torn_down = True


def test_mount_builds_then_draws_everything_once_and_follows_the_hub():
    ctx = context(FakeClient())
    panel = Counter(section(), ctx).mount()
    assert panel.updates == [Changes(reset=True)] and panel.root.children == [panel.button]
    publish(ctx, deliveries={"D-1"})
    assert panel.updates[-1].deliveries == frozenset({"D-1"})
    panel.unmount()


def test_a_delegated_listener_serves_children_added_later():
    panel = Counter(section(), context(FakeClient())).mount()
    later = el("button")
    panel.root.appendChild(later)
    later.dispatchEvent(Event("click", target=later))
    assert panel.clicks == 1
    panel.unmount()


def test_unmount_unsubscribes_frees_its_proxies_and_empties_its_section():
    before = ProxyOwner.live()
    ctx = context(FakeClient())
    panel = Counter(section(), ctx).mount()
    assert ProxyOwner.live() == before + 1
    panel.unmount()
    assert ProxyOwner.live() == before and panel.torn_down and panel.root.children == []
    seen = len(panel.updates)
    publish(ctx, deliveries={"D-1"})
    assert len(panel.updates) == seen, "no update after unmount"
    panel.root.dispatchEvent(Event("click", target=panel.root))
    assert panel.clicks == 0, "the listener is unbound"
