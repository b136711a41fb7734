"""bench/micro.py runs: each micro-benchmark, on a small world, gives a time per call."""

from bench import micro


def test_each_micro_benchmark_runs_on_a_small_world():
    assert micro.sorted_ids_move(n=50, moves=100) > 0
    assert micro.eta_words(texts=20) > 0
    assert micro.map_layer_frame(n=200, people=20, frames=4) > 0
