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
