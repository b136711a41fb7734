"""Optional map tiles under the marks: which source (``static/config.json``) and which tiles a view needs.

    >>> source = tile_source({"map_tiles": {"url": "https://tile.example.org/{z}/{x}/{y}.png",
    ...                                     "attribution": "© OpenStreetMap contributors"}})
    >>> source.origin, tile_source({}) is None
    ('https://tile.example.org', True)
    >>> tile_url(source, Tile(12, 2200, 1343))
    'https://tile.example.org/12/2200/1343.png'

Off by default: with no ``map_tiles`` in ``static/config.json`` the map draws
only its own SVG and loads nothing from anywhere. When it is set, the build's
Content-Security-Policy (``scripts/policy.py``) and the stub's allow
``img-src`` for that one origin, and the page loads the tiles of the view
(standard XYZ, 256 pixels, Web Mercator: the map's own projection).

A template must be ``https://`` (``http://`` only for a loopback host, for
tests) with ``{z}``, ``{x}`` and ``{y}``, and no other braces.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import NamedTuple, Optional
from urllib.parse import urlsplit

from app.map_projection import WORLD, Viewport

TILE_PX = 256
MAX_ZOOM = 19
#: Tiles on show at most (a huge screen at a fractional zoom): beyond it none are drawn.
MAX_TILES = 64
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


class TileConfigError(ValueError):
    """``map_tiles`` in static/config.json cannot be used; the message says what to write."""


@dataclass(frozen=True)
class TileSource:
    template: str
    attribution: str
    origin: str
    max_zoom: int = MAX_ZOOM


class Tile(NamedTuple):
    z: int
    x: int
    y: int

    @property
    def size(self) -> float:
        """Its side in world units."""
        return WORLD / (1 << self.z)


def tile_source(config: dict) -> Optional[TileSource]:
    """The configured source, None when there is none; ``TileConfigError`` for one that cannot work."""
    value = config.get("map_tiles") if isinstance(config, dict) else None
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("url"), str):
        raise TileConfigError('map_tiles must be {"url": "https://.../{z}/{x}/{y}.png", "attribution": "..."}')
    template = value["url"]
    attribution = value.get("attribution", "")
    if not isinstance(attribution, str) or not attribution.strip():
        raise TileConfigError("map_tiles needs an attribution (the tiles' licence asks for one)")
    parts = urlsplit(template)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"))
    if not secure or not parts.netloc:
        raise TileConfigError("map_tiles url must be https:// (http:// only for a loopback host)")
    fields = re.findall(r"\{[^}]*\}", template)
    if sorted(fields) != ["{x}", "{y}", "{z}"] or template.count("{") != 3:
        raise TileConfigError("map_tiles url must hold {z}, {x} and {y} once each, and no other braces")
    if "{" in parts.netloc:
        raise TileConfigError("map_tiles url must name one host (no {s} subdomains): the policy allows one origin")
    max_zoom = value.get("max_zoom", MAX_ZOOM)
    if not isinstance(max_zoom, int) or isinstance(max_zoom, bool) or not 0 <= max_zoom <= 22:
        raise TileConfigError("map_tiles max_zoom must be an integer from 0 to 22")
    return TileSource(template, attribution.strip(), f"{parts.scheme}://{parts.netloc}", max_zoom)


def tile_url(source: TileSource, tile: Tile) -> str:
    return source.template.replace("{z}", str(tile.z)).replace("{x}", str(tile.x)).replace("{y}", str(tile.y))


def zoom_for(view: Viewport, max_zoom: int = MAX_ZOOM) -> int:
    """The tile zoom whose pixels are closest to the screen's (a tile shows at 256 px or a little more)."""
    z = math.floor(math.log2(WORLD / (TILE_PX * view.units_per_px)))
    return max(0, min(max_zoom, z))


def tiles_in_view(view: Viewport, max_zoom: int = MAX_ZOOM) -> list[Tile]:
    """The tiles covering the view at ``zoom_for``; none if that would be more than ``MAX_TILES``."""
    z = zoom_for(view, max_zoom)
    size = WORLD / (1 << z)
    last = (1 << z) - 1
    x0, x1 = max(0, int(view.x // size)), min(last, int((view.x + view.width) // size))
    y0, y1 = max(0, int(view.y // size)), min(last, int((view.y + view.height) // size))
    if x1 < x0 or y1 < y0 or (x1 - x0 + 1) * (y1 - y0 + 1) > MAX_TILES:
        return []
    return [Tile(z, x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]
