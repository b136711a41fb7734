"""app/map_layer.py: which marks the map draws, coalesced per frame, filtered like the deliveries table."""

from datetime import datetime, timedelta, timezone

from app.geo import Bounds
from app.map_layer import PIN, STAFF, ZONE, MapLayer, PinMark, StaffMark, ZoneMark, has_places, world_bounds
from app.map_projection import Viewport, project
from app.models import Delivery, Location, Point, Staff, Zone
from app.roster import OpenWork
from app.store import Changes

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
AREA = [[13.38, 52.50], [13.42, 52.50], [13.42, 52.54], [13.38, 52.54], [13.38, 52.50]]


def iso(minutes):
    return (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def delivery(i, status="in_transit", assignee="S-1", dropoff=(52.52, 13.40), eta=10, zone="Z-1"):
    return Delivery(id=f"D-{i}", status=status, customer=f"Customer {i}", address="1 Mill Lane", zoneId=zone,
                    assignedTo=assignee, eta=iso(eta), updatedAt=iso(-60),
                    dropoff=Point(lat=dropoff[0], lon=dropoff[1]) if dropoff else None)


def member(i, name="Ada Okafor", status="on_delivery", where=(52.51, 13.39), heading=90.0):
    return Staff(id=f"S-{i}", name=name, role="driver", status=status, zoneId="Z-1", lastSeenAt=iso(-1),
                 location=Location(lat=where[0], lon=where[1], heading=heading, at=iso(-1)) if where else None)


class Board:
    """The client's views, and its open-work index (``work``), kept by ``note`` as the client keeps it."""

    def __init__(self, deliveries=(), staff=(), zones=()):
        self.d = {x.id: x for x in deliveries}
        self.s = {x.id: x for x in staff}
        self.z = {x.id: x for x in zones}
        self.work = OpenWork()

    def delivery(self, i): return self.d.get(i)
    def deliveries(self): return list(self.d.values())
    def staff_member(self, i): return self.s.get(i)
    def staff(self): return list(self.s.values())
    def zone(self, i): return self.z.get(i)
    def zones(self): return list(self.z.values())


def note(layer, board, changes):
    """A Render as the client makes it: the index follows the changes, which then name its carriers."""
    layer.note(board.work.follow(changes, board))


def zone(area=AREA, status="busy"):
    return Zone(id="Z-1", name="Mitte", status=status, activeDeliveries=3, availableStaff=1, area=area)


def first_frame(board, **kw):
    layer = MapLayer(clock=lambda: NOW.timestamp(), **{k: v for k, v in kw.items() if k == "pin_budget"})
    note(layer, board, Changes(reset=True))
    puts, drops = layer.frame(board, **{k: v for k, v in kw.items() if k != "pin_budget"})
    return layer, puts, drops


def test_a_reset_draws_zones_located_staff_and_open_dropoffs_only():
    board = Board([delivery(1), delivery(2, status="delivered"), delivery(3, dropoff=None),
                   delivery(4, status="pending", assignee=None)],
                  [member(1), member(2, where=None)], [zone(), zone(area=None).model_copy(update={"id": "Z-2"})])
    layer, puts, drops = first_frame(board)
    kinds = sorted((type(m).__name__, m.id) for m in puts)
    assert kinds == [("PinMark", "D-1"), ("PinMark", "D-4"), ("StaffMark", "S-1"), ("ZoneMark", "Z-1")]
    dot = layer.mark(STAFF, "S-1")
    assert (dot.lat, dot.lon, dot.heading, dot.status) == (52.51, 13.39, 90.0, "on_delivery")
    assert (dot.x, dot.y) == project(52.51, 13.39)
    assert dot.label == "Ada Okafor, on delivery, D-1"
    assert layer.mark(ZONE, "Z-1").points.count(",") == 5 and drops == []


def test_three_moves_in_one_frame_are_drawn_once_with_the_last_position():
    board = Board([], [member(1)])
    layer, _, _ = first_frame(board)
    for lat in (52.511, 52.512, 52.513):
        board.s["S-1"] = member(1, where=(lat, 13.39))
        note(layer, board, Changes(moved=frozenset({"S-1"})))
    puts, drops = layer.frame(board)
    assert [(m.id, m.lat) for m in puts] == [("S-1", 52.513)] and drops == []
    assert layer.frame(board) == ([], [])  # nothing new: nothing written


def test_a_change_the_map_does_not_show_writes_nothing():
    board = Board([delivery(1)], [member(1)], [zone()])
    layer, _, _ = first_frame(board)
    note(layer, board, Changes(staff=frozenset({"S-1"}), zones=frozenset({"Z-1"}), deliveries=frozenset({"D-1"})))
    assert layer.frame(board) == ([], [])


def test_a_pin_is_made_again_only_when_something_it_shows_changed():
    board = Board([delivery(1, eta=10)], [])
    layer, _, _ = first_frame(board)
    pin = layer.mark(PIN, "D-1")

    def after(**change):
        board.d["D-1"] = board.d["D-1"].model_copy(update=change)
        note(layer, board, Changes(deliveries=frozenset({"D-1"})))
        return layer.frame(board)

    assert after(eta=iso(20), address="2 Mill Lane") == ([], []) and layer.mark(PIN, "D-1") is pin
    assert layer._pin_marks(board, ["D-1"], lambda i: True, NOW.timestamp())["D-1"] is pin  # not made again
    changes = [({"eta": iso(-1)}, lambda m: m.late and m.label.endswith(", late")),
               ({"customer": "Mia <b>Chen</b>"}, lambda m: "drop-off for Mia <b>Chen</b>," in m.label),
               ({"status": "picked_up"}, lambda m: m.status == "picked_up" and "picked up" in m.label),
               ({"assignedTo": "S-9"}, lambda m: m.assignee == "S-9"),
               ({"dropoff": Point(lat=52.53, lon=13.41)}, lambda m: (m.lat, m.lon, (m.x, m.y))
                == (52.53, 13.41, project(52.53, 13.41)))]
    for change, shows in changes:
        puts, drops = after(**change)
        assert len(puts) == 1 and drops == [] and shows(puts[0]) and layer.mark(PIN, "D-1") is puts[0], change
    board.d["D-1"] = delivery(1, status="delivered")
    note(layer, board, Changes(deliveries=frozenset({"D-1"})))
    assert layer.frame(board) == ([], [(PIN, "D-1")])
    board.d["D-1"] = delivery(1, eta=10)  # open again, as at first: a new pin equal to the first
    note(layer, board, Changes(deliveries=frozenset({"D-1"})))
    puts, _ = layer.frame(board)
    assert puts == [pin] and puts[0] is not pin


def test_a_delivery_that_closes_drops_its_pin_and_updates_its_drivers_name():
    board = Board([delivery(1)], [member(1)])
    layer, _, _ = first_frame(board)
    board.d["D-1"] = delivery(1, status="delivered")
    note(layer, board, Changes(deliveries=frozenset({"D-1"})))
    puts, drops = layer.frame(board)
    assert drops == [(PIN, "D-1")]
    assert [m.label for m in puts if isinstance(m, StaffMark)] == ["Ada Okafor, on delivery"]


def test_the_deliveries_filters_filter_the_pins():
    board = Board([delivery(1), delivery(2, zone="Z-2")], [])
    wanted = {"D-1", "D-2"}
    layer, puts, _ = first_frame(board, wanted=wanted.__contains__)
    assert {m.id for m in puts} == {"D-1", "D-2"}
    wanted.discard("D-2")
    layer.note_filters()
    puts, drops = layer.frame(board, wanted=wanted.__contains__)
    assert puts == [] and drops == [(PIN, "D-2")]


def test_late_pins_are_marked_late_and_named_so():
    board = Board([delivery(1, eta=-5), delivery(2, eta=5)], [])
    layer, _, _ = first_frame(board)
    assert layer.mark(PIN, "D-1").late and layer.mark(PIN, "D-1").label.endswith(", late")
    assert not layer.mark(PIN, "D-2").late


def test_over_the_budget_only_pins_in_view_are_drawn_and_a_pan_brings_others():
    west = [delivery(i, dropoff=(52.52, 13.30 + i * 0.0001)) for i in range(5)]
    east = [delivery(10 + i, dropoff=(52.52, 13.60 + i * 0.0001)) for i in range(5)]
    board = Board(west + east, [])
    view = Viewport(400, 300).fit(Bounds(52.51, 13.29, 52.53, 13.31))
    layer, puts, _ = first_frame(board, pin_budget=6, view=view)
    assert layer.culled and {m.id for m in puts} == {d.id for d in west}
    there = Viewport(400, 300).fit(Bounds(52.51, 13.59, 52.53, 13.61))
    layer.note_view()
    puts, drops = layer.frame(board, view=there)
    assert {m.id for m in puts} == {d.id for d in east} and {i for _, i in drops} == {d.id for d in west}


def test_under_the_budget_every_pin_is_drawn_wherever_the_view_is():
    board = Board([delivery(1, dropoff=(52.52, 13.30)), delivery(2, dropoff=(52.52, 13.60))], [])
    view = Viewport(400, 300).fit(Bounds(52.51, 13.29, 52.53, 13.31))
    layer, puts, _ = first_frame(board, view=view)
    assert not layer.culled and len(puts) == 2


def test_the_link_joins_a_selected_pin_to_its_assignees_dot():
    board = Board([delivery(1), delivery(2, assignee=None)], [member(1)])
    layer, _, _ = first_frame(board)
    pin, dot = layer.mark(PIN, "D-1"), layer.mark(STAFF, "S-1")
    assert layer.link("D-1") == (dot.x, dot.y, pin.x, pin.y)
    assert layer.link("D-2") is None and layer.link(None) is None


def test_fit_all_covers_zones_staff_and_pins_and_a_v1_board_has_no_places():
    board = Board([delivery(1, dropoff=(52.60, 13.50))], [member(1, where=(52.40, 13.30))], [zone()])
    box = world_bounds(board)
    assert (box.south, box.west, box.north, box.east) == (52.40, 13.30, 52.60, 13.50)
    assert has_places(board)
    bare = Board([delivery(1, dropoff=None)], [member(1, where=None)], [zone(area=None)])
    assert not has_places(bare) and world_bounds(bare) is None


def test_the_count_of_drawn_pins_follows_puts_and_drops_and_the_budget_holds_under_changes():
    pins = [delivery(i, dropoff=(52.52, 13.30 + i * 0.0001)) for i in range(8)]
    board = Board(pins, [])
    view = Viewport(400, 300).fit(Bounds(52.51, 13.29, 52.53, 13.31))
    layer, _, _ = first_frame(board, pin_budget=5, view=view)

    def counted():
        return sum(1 for kind, _ in layer.drawn if kind == PIN)

    assert layer.pins_drawn == counted() == 5
    for step in range(6):  # pins close, reopen and change under a full budget
        board.d[f"D-{step}"] = delivery(step, status="delivered" if step % 2 else "pending", eta=step)
        note(layer, board, Changes(deliveries=frozenset({f"D-{step}", f"D-{step + 1}"})))
        layer.frame(board, view=view)
        assert layer.pins_drawn == counted() <= 5


def test_over_the_budget_updates_to_pins_not_drawn_never_swap_out_pins_that_are():
    pins = [delivery(i, dropoff=(52.52, 13.30 + i * 0.0001)) for i in range(8)]
    board = Board(pins, [])
    view = Viewport(400, 300).fit(Bounds(52.51, 13.29, 52.53, 13.31))
    layer, _, _ = first_frame(board, pin_budget=5, view=view)
    drawn = {i for kind, i in layer.drawn if kind == PIN}
    waiting = sorted({f"D-{i}" for i in range(8)} - drawn)
    for step in range(4):  # an ETA revision to a pin not drawn, then one to a drawn pin, in one frame
        for some_id in (waiting[step % len(waiting)], sorted(drawn)[step % len(drawn)]):
            number = int(some_id[2:])
            board.d[some_id] = delivery(number, dropoff=(52.52, 13.30 + number * 0.0001), eta=10 + step)
        note(layer, board, Changes(deliveries=frozenset({waiting[step % len(waiting)], sorted(drawn)[step % len(drawn)]})))
        puts, drops = layer.frame(board, view=view)
        assert {i for kind, i in layer.drawn if kind == PIN} == drawn and not drops


def test_a_reset_over_many_pins_goes_out_over_several_frames_and_ends_as_one_frame_would():
    from app.map_layer import PIN_STEP

    many = [delivery(i, dropoff=(52.50 + i / 100000, 13.40)) for i in range(PIN_STEP * 3 + 17)]
    board = Board(many + [delivery(9999, status="delivered")], [member(1)], [zone()])
    whole, whole_puts, _ = first_frame(board, pin_budget=PIN_STEP * 2)
    layer = MapLayer(clock=lambda: NOW.timestamp(), pin_budget=PIN_STEP * 2)
    note(layer, board, Changes(reset=True))
    puts, drops = layer.frame(board, keep_going=lambda: False)
    assert {(type(m), m.id) for m in puts} == {(ZoneMark, "Z-1"), (StaffMark, "S-1")}  # the dots' first step
    assert layer.pending() and layer.midway() and layer.pins_drawn == 0  # pins wait until every one has been looked at
    board.d["D-5"] = delivery(5, status="delivered")  # changed while the pass goes on
    note(layer, board, Changes(deliveries=frozenset({"D-5"})))
    frames = 1
    while layer.pending() and frames < 20:
        more, gone = layer.frame(board, keep_going=lambda: False)
        puts += more
        drops += gone
        frames += 1
    assert frames == 4 and not layer.pending() and not layer.midway()
    assert layer.whole_pass  # its marks are many: the panel writes them over turns
    note(layer, board, Changes(deliveries=frozenset({"D-7"})))
    layer.frame(board, keep_going=lambda: False)
    assert not layer.whole_pass  # a frame of the stream
    pins = {m.id for m in puts if isinstance(m, PinMark)}
    assert "D-5" not in pins and len(pins) == layer.pins_drawn == PIN_STEP * 2 and not drops  # the budget holds
    assert layer.candidates == {d.id for d in many} - {"D-5"}
    assert len(whole_puts) == len(puts)
    assert layer.mark(STAFF, "S-1") == whole.mark(STAFF, "S-1")  # named with their delivery from the first frame


def test_over_the_budget_a_pan_chooses_the_pins_in_view_again_in_steps():
    from app.map_layer import PIN_STEP

    west = [delivery(i, dropoff=(52.52, 13.30 + i * 0.00001)) for i in range(PIN_STEP)]
    east = [delivery(1000 + i, dropoff=(52.52, 13.60 + i * 0.00001)) for i in range(PIN_STEP)]
    board = Board(west + east, [])
    view = Viewport(400, 300).fit(Bounds(52.51, 13.29, 52.53, 13.31))
    layer, puts, _ = first_frame(board, pin_budget=PIN_STEP + 5, view=view)
    assert layer.culled and {m.id for m in puts} == {d.id for d in west}
    there = Viewport(400, 300).fit(Bounds(52.51, 13.59, 52.53, 13.61))
    layer.note_view()
    puts, drops = layer.frame(board, view=there, keep_going=lambda: False)
    assert (puts, drops) == ([], []) and layer.midway()  # PIN_STEP * 2 to look at: two steps
    puts, drops = layer.frame(board, view=there, keep_going=lambda: False)
    assert {m.id for m in puts} == {d.id for d in east} and {i for _, i in drops} == {d.id for d in west}
    assert not layer.pending()


def test_a_resets_dots_come_a_step_a_frame_named_with_their_delivery():
    from app.map_layer import STAFF_STEP

    crew = [member(i, where=(52.50 + i / 10000, 13.39)) for i in range(1, 2 * STAFF_STEP + 2)]
    board = Board([delivery(1, assignee="S-7")], crew, [zone()])
    layer = MapLayer(clock=lambda: NOW.timestamp())
    note(layer, board, Changes(reset=True))
    frames, puts = 0, []
    while frames < 10:
        more, _ = layer.frame(board, keep_going=lambda: False)
        puts += more
        frames += 1
        if not layer.pending():
            break
    assert frames == 3 and not layer.midway()
    assert sorted(m.id for m in puts if isinstance(m, StaffMark)) == sorted(m.id for m in crew)
    assert layer.mark(STAFF, "S-7").label == "Ada Okafor, on delivery, D-1"
