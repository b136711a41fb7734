"""The page's own JavaScript modules as the panels call them, for tests and tools under CPython.

``app.web.fake_dom.browser()`` puts these where the page has its modules:
``dcRows`` (``static/js/rows.mjs``'s ``RowTable``), ``dcMap``
(``static/js/map.mjs``'s ``MapCanvas``) and ``dcBridge.nextFrame``
(``static/js/bridge.mjs``). Each applies the same operations as its module,
with the codes the Python side hands it, and keeps what tests read: the rows
flashed, the map's batches and what it would paint. Never shipped to the
browser (``scripts/pyscript_files.py``, ``CPYTHON_ONLY``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from app.web.fake_dom import Element


class RowTable:
    """``static/js/rows.mjs``'s ``RowTable`` for tests: applies the same operations (``row_ops.json``)."""

    def __init__(self, body, parked, prototype, id_cell, control_cells, flash_cap, codes=None):
        self._ops = json.loads(codes) if codes else dict(zip(
            ("new", "window", "remove", "text", "attr", "class", "select", "flash"), "nwxtacsf"))
        self.body, self.parked, self.prototype = body, parked, prototype.cloneNode(True)
        self.id_cell = id_cell
        self.rows: dict[str, Element] = {}
        self.flashed: list[str] = []  # every flash applied, in order (tests read it)
        tables.add(self)

    def node(self, row_id):
        return self.rows.get(row_id)

    def apply(self, text: str) -> None:
        ops = self._ops
        flashes = []
        for op in json.loads(text):
            kind = op[0]
            if kind == ops["new"]:
                self.create(op[1])
                continue
            if kind == ops["window"]:
                self.window(op[1])
                continue
            tr = self.rows.get(op[1])
            if tr is None:
                continue
            if kind == ops["remove"]:
                tr.remove()
                del self.rows[op[1]]
            elif kind == ops["flash"]:
                flashes.append(op[1])
            else:
                node = _target(tr, op[2])
                if node is None:  # as rows.mjs: an edit to a part the row does not have is skipped
                    continue
                if kind == ops["text"]:
                    node.textContent = op[3]
                elif kind == ops["attr"]:
                    node.removeAttribute(op[3]) if op[4] is None else node.setAttribute(op[3], op[4])
                elif kind == ops["class"]:
                    node.className = op[3]
                elif kind == ops["select"]:  # rows.mjs showCurrent: pick it, else hold just that option
                    node.value = op[3]
                    if node.getAttribute("data-filled") != "true" or node.value != op[3]:
                        node.replaceChildren(node.ownerDocument.createElement("option"))
                        node.removeAttribute("data-filled")
                        node.firstChild.value, node.firstChild.textContent = op[3], op[4]
                        node.value = op[3]
                else:
                    raise ValueError(f"unknown row operation {kind}")
        self.flashed.extend(i for i in flashes if i in self.rows and self.rows[i].parentNode is self.body)

    def create(self, row_id: str) -> None:
        if row_id in self.rows:
            return
        tr = self.prototype.cloneNode(True)
        tr.setAttribute("data-id", row_id)
        tr.hidden = True
        _target(tr, self.id_cell * 4 + 1).textContent = row_id
        self.rows[row_id] = tr
        self.parked.appendChild(tr)

    def window(self, ids) -> None:
        wanted = [self.rows[i] for i in dict.fromkeys(ids) if i in self.rows]
        for tr in self.body.children:
            if tr not in wanted:
                tr.hidden = True
                self.parked.appendChild(tr)
        for tr in wanted:
            self.body.appendChild(tr)
            tr.hidden = False

    def clear(self) -> None:
        for tr in self.rows.values():
            tr.remove()
        self.rows.clear()
        tables.discard(self)


def _target(tr, code: int):
    """``row_ops.at``'s code: -1 the row, else cell * 4 + part (the cell, its first or its last child);
    or ``row_ops.inside``'s list: from ``[cell, part]``, element children by index."""
    if isinstance(code, list):
        node = _target(tr, code[0] * 4 + code[1])
        for index in code[2:]:
            children = node.children if node is not None else []
            node = children[index] if index < len(children) else None
        return node
    if code < 0:
        return tr
    cell = tr.cells[code >> 2]
    return (cell, cell.firstChild, cell.lastChild)[code & 3]


class MapCanvas:
    """``static/js/map.mjs``'s ``MapCanvas`` for tests: the same operations (``map_canvas.OPS``, ``TEMPLATES``)."""

    def __init__(self, svg, layers, link, templates, codes, paint=None, looks="{}"):
        self.op = json.loads(codes)
        self.paint, self.looks = paint, json.loads(looks)
        self.painted: dict[tuple[str, str], list] = {}  # what map-paint.mjs would draw, and where
        self.svg, self.layers, self.link = svg, dict(layers), link
        self.templates = {kind: _build(spec, svg.ownerDocument) for kind, spec in json.loads(templates).items()}
        self.marks: dict[tuple[str, str], Element] = {}
        self.batches: list[list] = []  # every batch applied, in order (tests read it)

    def node(self, kind, some_id):
        return self.marks.get((kind, some_id))

    def apply(self, text: str) -> None:
        ops = json.loads(text)
        self.batches.append(ops)
        for op in ops:
            code = op[0]
            if code == self.op["put"]:
                node = self.marks.get((op[1], op[2]))
                if node is None:
                    node = self.templates[op[1]].cloneNode(True)
                    node.setAttribute("data-id", op[2])
                    self.marks[(op[1], op[2])] = node
                    self.layers[op[1]].appendChild(node)
                _set_all(node, op[3])
                if len(op) > 5 and op[5] is not None:
                    self.painted[(op[1], op[2])] = op[5]
                parts = list(node._descendants())
                for index, attrs in (op[4] or {}).items():
                    _set_all(parts[int(index)], attrs)
            elif code == self.op["drop"]:
                node = self.marks.pop((op[1], op[2]), None)
                self.painted.pop((op[1], op[2]), None)
                if node is not None:
                    node.remove()
            elif code == self.op["view"]:
                self.svg.setAttribute("viewBox", op[1])
            elif code == self.op["link"]:
                if op[1] is None:
                    self.link.setAttribute("hidden", "")
                else:
                    for name, value in zip(("x1", "y1", "x2", "y2"), op[1:]):
                        self.link.setAttribute(name, str(value))
                    self.link.removeAttribute("hidden")
            else:
                raise ValueError(f"unknown map operation {code}")

    def clear(self) -> None:
        for node in self.marks.values():
            node.remove()
        self.marks.clear()
        self.painted.clear()


def _build(spec, document):
    tag, attrs, children = (list(spec) + [None, None])[:3]
    node = document.createElement(tag)
    for name, value in (attrs or {}).items():
        node.setAttribute(name, value)
    for child in children or ():
        node.appendChild(_build(child, document))
    return node


def _set_all(node, attrs) -> None:
    for name, value in attrs.items():
        if name == "#text":
            node.textContent = value
        elif value is None:
            node.removeAttribute(name)
        else:
            node.setAttribute(name, str(value))


tables: set = set()


class Frames:
    """``dcBridge.nextFrame``: callbacks wait here until a test runs them (``run``)."""

    def __init__(self):
        self.waiting: list[Callable] = []

    def nextFrame(self, callback) -> None:
        self.waiting.append(callback)

    def run(self) -> int:
        waiting, self.waiting = self.waiting, []
        for callback in waiting:
            callback()
        return len(waiting)
