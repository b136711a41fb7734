"""The map's tooltip: one element inside the map, shown for keyboard focus or for the pointer.

    tip = MapTip(frame)                  # frame: the map's box, which clips what leaves it
    tip.show(marker, FOCUS)              # its data-label, placed above the marker (or below it)
    tip.hide(POINTER)                    # hides it only if the pointer's: focus keeps its own

Whose it is matters: a pan to a focused marker moves the map under a
resting pointer, and Chromium then sends pointerout and pointerover with no
movement (``unmoved``), which must not take a keyboard user's tooltip away.
Text only ever goes in through ``textContent``.
"""

from __future__ import annotations

from typing import Optional

from app.web.dom import el

FOCUS, POINTER = "focus", "pointer"
TIP_GAP = 8  # px between a marker and its tooltip
TIP_EDGE = 4  # px kept between a tooltip and the map's sides


class MapTip:
    def __init__(self, frame):
        self.frame = frame
        self.node = el("div", {"class": "map-tip", "role": "tooltip", "id": "map-tip", "data-testid": "map-tip",
                               "hidden": True})
        self.owner: Optional[str] = None  # FOCUS or POINTER while shown

    def show(self, marker, owner: str) -> None:
        self.owner = owner
        node = self.node
        node.textContent = str(marker.getAttribute("data-label") or "")
        node.hidden = False
        if hasattr(marker, "getBoundingClientRect"):
            m, f = marker.getBoundingClientRect(), self.frame.getBoundingClientRect()
            left, top, _below = tip_position((float(m.left), float(m.top), float(m.right), float(m.bottom)),
                                             (float(f.left), float(f.top), float(f.right), float(f.bottom)),
                                             float(node.offsetWidth), float(node.offsetHeight))
            node.style.left = f"{left:.0f}px"
            node.style.top = f"{top:.0f}px"

    def hide(self, owner: str) -> None:
        """The pointer leaving hides the pointer's tooltip, focus leaving the keyboard's."""
        if self.owner == owner:
            self.node.hidden = True
            self.owner = None


def unmoved(event) -> bool:
    """A pointer event with no movement: Chromium sends them when what is under a still pointer changes."""
    return getattr(event, "movementX", None) == 0 and getattr(event, "movementY", None) == 0


def focus_visible(node) -> bool:
    """Focus from the keyboard (a click on a marker focuses it too, and must not pan the map)."""
    try:
        return bool(node.matches(":focus-visible"))
    except Exception:  # a page without the selector: treat focus as the keyboard's
        return True


def tip_position(marker: tuple, frame: tuple, tip_width: float, tip_height: float) -> tuple[float, float, bool]:
    """Where a marker's tooltip goes, inside the map (which clips it): ``(left, top, below)`` from the frame's corner.

    Centred above the marker; below it when there is no room above (a pin in the top row);
    slid sideways, and up or down, to stay inside the frame. Boxes are ``(left, top, right, bottom)``
    in page pixels.
    """
    m_left, m_top, m_right, m_bottom = marker
    f_left, f_top, f_right, f_bottom = frame
    width, height = f_right - f_left, f_bottom - f_top
    left = (m_left + m_right) / 2 - f_left - tip_width / 2
    left = max(TIP_EDGE, min(width - tip_width - TIP_EDGE, left)) if width > tip_width + 2 * TIP_EDGE else 0.0
    top = m_top - f_top - TIP_GAP - tip_height
    if top >= 0:
        return left, top, False
    below = m_bottom - f_top + TIP_GAP
    return left, max(0.0, min(below, height - tip_height)), True
