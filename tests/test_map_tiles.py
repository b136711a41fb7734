"""app/map_tiles.py: the optional tile source, the tiles a view needs, and the one origin the policy allows."""

import pytest

from app.geo import Bounds
from app.map_projection import Viewport, project
from app.map_tiles import MAX_TILES, Tile, TileConfigError, tile_source, tile_url, tiles_in_view, zoom_for
from scripts import policy
from server_stub.security import content_security_policy

PAGE = '<!doctype html>\n<html>\n<head>\n  <meta charset="utf-8">\n</head></html>'
GOOD = {"map_tiles": {"url": "https://tile.example.org/{z}/{x}/{y}.png", "attribution": "© OSM contributors"}}


def test_no_tiles_unless_configured():
    assert tile_source({}) is None and tile_source({"map_tiles": None}) is None
    assert policy.image_sources({}) == []
    assert "img-src 'self' data:;" in content_security_policy()


@pytest.mark.parametrize("tiles", [
    {"url": "http://tile.example.org/{z}/{x}/{y}.png", "attribution": "x"},  # not https
    {"url": "https://{s}.tile.example.org/{z}/{x}/{y}.png", "attribution": "x"},  # more than one origin
    {"url": "https://tile.example.org/{z}/{x}.png", "attribution": "x"},  # no {y}
    {"url": "https://tile.example.org/{z}/{x}/{y}.png"},  # no attribution
    {"url": "https://tile.example.org/{z}/{x}/{y}.png", "attribution": "x", "max_zoom": "19"},
    "https://tile.example.org/{z}/{x}/{y}.png",
])
def test_a_source_that_cannot_work_is_refused_with_a_reason(tiles):
    with pytest.raises(TileConfigError):
        tile_source({"map_tiles": tiles})
    with pytest.raises(policy.PolicyError):
        policy.image_sources({"map_tiles": tiles})


def test_a_source_allows_img_src_for_its_one_origin_only():
    source = tile_source(GOOD)
    assert source.origin == "https://tile.example.org" and policy.image_sources(GOOD) == [source.origin]
    meta = policy.with_policy_meta(PAGE, [], policy.image_sources(GOOD))
    assert "img-src 'self' data: https://tile.example.org;" in meta
    assert tile_url(source, Tile(3, 4, 5)) == "https://tile.example.org/3/4/5.png"
    loopback = {"map_tiles": {"url": "http://127.0.0.1:9/{z}/{x}/{y}.png", "attribution": "test"}}
    assert tile_source(loopback).origin == "http://127.0.0.1:9"


def test_the_tiles_of_a_view_cover_it_at_about_screen_resolution():
    view = Viewport(800, 600).fit(Bounds(52.45, 13.30, 52.60, 13.50))
    tiles = tiles_in_view(view)
    z = zoom_for(view)
    assert tiles and all(t.z == z for t in tiles) and len(tiles) <= MAX_TILES
    assert 256 <= tiles[0].size / view.units_per_px < 512  # a tile shows at 256-511 screen pixels
    x, y = project(52.52, 13.405)
    assert any(t.x * t.size <= x < (t.x + 1) * t.size and t.y * t.size <= y < (t.y + 1) * t.size for t in tiles)
    assert zoom_for(view.zoom(2)) == z + 1
    close = tiles_in_view(view.zoom(64), max_zoom=5)  # past the source's last zoom: its tiles, larger
    assert close and all(t.z == 5 for t in close)


def test_the_stubs_pages_allow_the_configured_tile_origin_only(tmp_path):
    import json

    from server_stub.security import configured_tile_origins

    (tmp_path / "static").mkdir()
    config = tmp_path / "static" / "config.json"
    assert configured_tile_origins(tmp_path) == []  # no config.json
    config.write_text(json.dumps(GOOD))
    assert configured_tile_origins(tmp_path) == ["https://tile.example.org"]
    config.write_text(json.dumps({"map_tiles": {"url": "ftp://x/{z}/{x}/{y}", "attribution": "x"}}))
    assert configured_tile_origins(tmp_path) == []
    assert "img-src 'self' data: https://tile.example.org;" in content_security_policy(
        images=["https://tile.example.org"])
