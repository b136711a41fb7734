"""scripts/profile_stream.py: the whole app's Python per event under CPython, fed by the stub's own world."""

from scripts import profile_stream


def test_a_small_world_streams_through_every_panel_and_gives_a_cost_per_event():
    result = profile_stream.run(frames=6, per_frame=25, map_shown=True, profile=True, deliveries=300, staff=40)
    assert result["events"] == 150
    assert 0 < result["median_us"] <= result["p95_us"]
    groups = dict(result["groups"])
    assert groups["app (the pure core)"] > 0 and groups["app/web (the shell, panels)"] > 0


def test_the_streams_are_a_third_locations_in_seq_order():
    from server_stub.world import World

    world = World(deliveries=300, staff=40, seed=7)
    batches = profile_stream.streams(world, frames=3, per_frame=30, locations_share=1 / 3)
    texts = [text for batch in batches for text in batch]
    assert len(texts) == 90 and sum('"staff_location_update"' in t for t in texts) == 30
    seqs = [int(t.split('"seq":')[1].split(",")[0]) for t in texts]
    assert seqs == sorted(seqs) and len(set(seqs)) == 90


def test_python_seconds_leaves_the_fake_pages_time_out_and_its_timer_on_only_while_it_runs():
    import time

    from app.web import fake_scripts
    from scripts.profile_deliveries import python_seconds

    apply = fake_scripts.RowTable.apply

    def spin(seconds: float) -> None:
        end = time.process_time() + seconds
        while time.process_time() < end:
            pass

    def work() -> None:
        assert fake_scripts.RowTable.apply is not original  # the timer is on while fn runs
        spin(0.02)
        fake_scripts.RowTable.apply(None, "")  # the page's share: 0.2 s of CPU, left out

    fake_scripts.RowTable.apply = lambda self, text: spin(0.2)
    try:
        original = fake_scripts.RowTable.apply
        took = python_seconds(work)
        assert fake_scripts.RowTable.apply is original
    finally:
        fake_scripts.RowTable.apply = apply
    assert 0.015 < took < 0.15
