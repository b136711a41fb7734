"""A small stand-in for the browser under CPython, so the shell's panels import and render in pytest.

``app.web.runtime`` uses it when there is no ``js`` module (in the manner of
PuePy's server-side runtime). It models what the panels use and no more: a
tree of elements with attributes, text, classes, form values, simple
selectors (``tag.class[attr=value]``, descendants), events that bubble; and
the page's own modules (``dcRows``, ``dcMap``, ``dcBridge``) from
``app.web.fake_scripts``. Never shipped to the browser
(``scripts/pyscript_files.py``, ``CPYTHON_ONLY``).

    >>> doc = Document()
    >>> row = doc.createElement("tr"); row.setAttribute("data-id", "D-1")
    >>> cell = row.appendChild(doc.createElement("td")); cell.textContent = "Ada"
    >>> row.querySelector("td").textContent, cell.closest("[data-id=D-1]") is row
    ('Ada', True)
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Optional

from app.web.fake_scripts import Frames, MapCanvas, RowTable, tables

_SIMPLE = re.compile(r"([a-zA-Z][\w-]*)|\.([\w-]+)|#([\w-]+)|\[([\w-]+)(?:=\"?([^\]\"]*)\"?)?\]")


def _compound(text: str) -> list:
    parts, at = [], 0
    while at < len(text):
        found = _SIMPLE.match(text, at)
        if not found:
            raise ValueError(f"selector not supported by the fake DOM: {text!r}")
        parts.append(found.groups())
        at = found.end()
    return parts


def _matches_compound(node, parts) -> bool:
    for tag, cls, ident, attr, value in parts:
        if tag and node.tagName != tag.upper():
            return False
        if cls and cls not in node.classList:
            return False
        if ident and node.getAttribute("id") != ident:
            return False
        if attr and (not node.hasAttribute(attr) or (value is not None and node.getAttribute(attr) != value)):
            return False
    return True


def _matches(node, selector: str) -> bool:
    for alternative in selector.split(","):
        steps = [_compound(step) for step in alternative.split()]
        if _matches_compound(node, steps[-1]):
            up, i = node.parentNode, len(steps) - 2
            while i >= 0 and up is not None:
                if isinstance(up, Element) and _matches_compound(up, steps[i]):
                    i -= 1
                up = up.parentNode
            if i < 0:
                return True
    return False


class ClassList:
    def __init__(self, node):
        self._node = node

    def _names(self) -> list[str]:
        return (self._node.getAttribute("class") or "").split()

    def __contains__(self, name) -> bool:
        return name in self._names()

    def contains(self, name) -> bool:
        return name in self

    def add(self, *names) -> None:
        self._node.setAttribute("class", " ".join(dict.fromkeys(self._names() + list(names))))

    def remove(self, *names) -> None:
        self._node.setAttribute("class", " ".join(n for n in self._names() if n not in names))

    def toggle(self, name, force=None) -> bool:
        on = name not in self if force is None else bool(force)
        (self.add if on else self.remove)(name)
        return on


class Event:
    def __init__(self, type_: str, target=None, **fields):
        self.type = type_
        self.target = target
        self.defaultPrevented = False
        for key, value in fields.items():
            setattr(self, key, value)

    def preventDefault(self) -> None:
        self.defaultPrevented = True


class Node:
    nodeType = 3

    def __init__(self, document):
        self.ownerDocument = document
        self.parentNode = None
        self.childNodes: list = []

    # tree ---------------------------------------------------------------------------------------

    @property
    def firstChild(self):
        return self.childNodes[0] if self.childNodes else None

    @property
    def lastChild(self):
        return self.childNodes[-1] if self.childNodes else None

    def appendChild(self, child):
        return self.insertBefore(child, None)

    def insertBefore(self, child, before):
        if isinstance(child, Fragment):
            for item in list(child.childNodes):
                self.insertBefore(item, before)
            return child
        if child.parentNode is not None:
            child.parentNode.childNodes.remove(child)
        index = len(self.childNodes) if before is None else self.childNodes.index(before)
        self.childNodes.insert(index, child)
        child.parentNode = self
        return child

    def removeChild(self, child):
        self.childNodes.remove(child)
        child.parentNode = None
        return child

    def remove(self) -> None:
        if self.parentNode is not None:
            self.parentNode.removeChild(self)

    def contains(self, other) -> bool:
        while other is not None:
            if other is self:
                return True
            other = other.parentNode
        return False

    def isSameNode(self, other) -> bool:
        return other is self

    @property
    def isConnected(self) -> bool:
        return self.ownerDocument.body.contains(self) or self.ownerDocument.documentElement.contains(self)

    @property
    def textContent(self) -> str:
        return "".join(child.textContent for child in self.childNodes)

    @textContent.setter
    def textContent(self, text) -> None:
        for child in self.childNodes:
            child.parentNode = None
        self.childNodes = []
        if text:
            self.appendChild(Text(self.ownerDocument, str(text)))


class Text(Node):
    def __init__(self, document, data: str):
        super().__init__(document)
        self.data = data

    @property
    def textContent(self) -> str:
        return self.data

    @textContent.setter
    def textContent(self, text) -> None:
        self.data = str(text)

    def cloneNode(self, deep=False):
        return Text(self.ownerDocument, self.data)


class Fragment(Node):
    nodeType = 11


class Element(Node):
    nodeType = 1

    def __init__(self, document, tag: str):
        super().__init__(document)
        self.tagName = tag.upper()
        self.attributes: dict[str, str] = {}
        self._listeners: dict[str, list] = {}
        self._value = None
        self.open = False
        self.classList = ClassList(self)

    # attributes ------------------------------------------------------------------------------

    def setAttribute(self, name, value) -> None:
        self.attributes[str(name)] = str(value)

    def getAttribute(self, name) -> Optional[str]:
        return self.attributes.get(name)

    def hasAttribute(self, name) -> bool:
        return name in self.attributes

    def removeAttribute(self, name) -> None:
        self.attributes.pop(name, None)

    def _flag(name):  # noqa: N805  (a property factory)
        def get(self):
            return name in self.attributes

        def set_(self, on):
            if on:
                self.attributes[name] = ""
            else:
                self.attributes.pop(name, None)
        return property(get, set_)

    hidden = _flag("hidden")
    disabled = _flag("disabled")
    del _flag

    @property
    def className(self) -> str:
        return self.attributes.get("class", "")

    @className.setter
    def className(self, value) -> None:
        self.attributes["class"] = str(value)

    @property
    def id(self) -> str:
        return self.attributes.get("id", "")

    # form values ---------------------------------------------------------------------------------

    @property
    def value(self) -> str:
        if self.tagName == "SELECT":
            options = self.querySelectorAll("option")
            if self._value is not None and any(o.value == self._value for o in options):
                return self._value
            chosen = [o for o in options if o.hasAttribute("selected")]
            return (chosen or options or [SimpleNamespace(value="")])[0].value
        if self.tagName == "OPTION":
            return self.attributes["value"] if "value" in self.attributes else self.textContent
        return self._value if self._value is not None else self.attributes.get("value", "")

    @value.setter
    def value(self, value) -> None:
        value = str(value)
        if self.tagName == "SELECT" and not any(o.value == value for o in self.querySelectorAll("option")):
            self._value = "\0none"  # a select shows nothing when told a value it has no option for
            return
        if self.tagName == "OPTION":
            self.attributes["value"] = value
            return
        self._value = value

    # children and selectors --------------------------------------------------------------------------

    @property
    def children(self) -> list:
        return [c for c in self.childNodes if isinstance(c, Element)]

    @property
    def firstElementChild(self):
        children = self.children
        return children[0] if children else None

    @property
    def cells(self) -> list:
        return [c for c in self.children if c.tagName in ("TD", "TH")]

    def prepend(self, child) -> None:
        self.insertBefore(child, self.firstChild)

    def replaceChildren(self, *children) -> None:
        for child in list(self.childNodes):
            self.removeChild(child)
        for child in children:
            self.appendChild(child)

    def _descendants(self):
        for child in self.childNodes:
            if isinstance(child, Element):
                yield child
                yield from child._descendants()

    def querySelectorAll(self, selector: str) -> list:
        return [node for node in self._descendants() if _matches(node, selector)]

    def querySelector(self, selector: str):
        return next((node for node in self._descendants() if _matches(node, selector)), None)

    def closest(self, selector: str):
        node = self
        while isinstance(node, Element):
            if _matches(node, selector):
                return node
            node = node.parentNode
        return None

    def cloneNode(self, deep=False):
        copy = Element(self.ownerDocument, self.tagName.lower())
        copy.attributes = dict(self.attributes)
        copy._value = self._value
        if deep:
            for child in self.childNodes:
                copy.appendChild(child.cloneNode(True))
        return copy

    # events and focus -----------------------------------------------------------------------------------

    def addEventListener(self, type_, handler) -> None:
        self._listeners.setdefault(type_, []).append(handler)

    def removeEventListener(self, type_, handler) -> None:
        if handler in self._listeners.get(type_, []):
            self._listeners[type_].remove(handler)

    def dispatchEvent(self, event: Event) -> bool:
        """Bubbles from this element up to the root, as the browser does for click, change, input..."""
        event.target = event.target or self
        node = self
        while node is not None:
            for handler in list(getattr(node, "_listeners", {}).get(event.type, [])):
                handler(event)
            node = node.parentNode
        return not event.defaultPrevented

    def focus(self) -> None:
        self.ownerDocument.activeElement = self

    def showModal(self) -> None:
        self.open = True

    def close(self) -> None:
        if self.open:
            self.open = False
            self.dispatchEvent(Event("close"))


class Document:
    def __init__(self):
        self.documentElement = Element(self, "html")
        self.body = Element(self, "body")
        self.documentElement.appendChild(self.body)
        self.activeElement = self.body
        self.hidden = False

    def createElement(self, tag: str) -> Element:
        return Element(self, tag)

    def createElementNS(self, namespace: str, tag: str) -> Element:
        return Element(self, tag)

    def createTextNode(self, data: str) -> Text:
        return Text(self, data)

    def createDocumentFragment(self) -> Fragment:
        return Fragment(self)

    def getElementById(self, element_id: str):
        return self.documentElement.querySelector(f"#{element_id}")

    def querySelector(self, selector: str):
        return self.documentElement.querySelector(selector)

    def querySelectorAll(self, selector: str):
        return self.documentElement.querySelectorAll(selector)


class Proxy:
    """What ``create_proxy`` returns: callable until destroyed."""

    def __init__(self, fn):
        self._fn = fn

    def __call__(self, *args):
        if self._fn is None:
            raise RuntimeError("a destroyed proxy was called")
        return self._fn(*args)

    def destroy(self) -> None:
        self._fn = None


def create_proxy(fn) -> Proxy:
    return Proxy(fn)


def create_once_callable(fn) -> Proxy:
    return Proxy(fn)


def to_js(value, dict_converter=None):
    return value


class Storage(dict):
    """``sessionStorage``: strings by key."""

    def setItem(self, key, value) -> None:
        self[str(key)] = str(value)

    def getItem(self, key):
        return self.get(str(key))

    def removeItem(self, key) -> None:
        self.pop(str(key), None)


class _Date:
    @staticmethod
    def new():
        return SimpleNamespace(getTimezoneOffset=lambda: 0)


def browser() -> SimpleNamespace:
    """A fresh ``js`` namespace: a document and the page's globals the shell uses."""
    document = Document()
    window = SimpleNamespace(document=document, sessionStorage=Storage(), localStorage=Storage(), console=SimpleNamespace(log=print),
                             addEventListener=lambda *args: None)
    return SimpleNamespace(
        document=document, window=window, Date=_Date, Object=SimpleNamespace(fromEntries=dict),
        dcRows=SimpleNamespace(rowTable=RowTable, tables=tables), dcBridge=Frames(),
        dcMap=SimpleNamespace(mapCanvas=MapCanvas),
    )
