"""The docs' links resolve: every relative file a markdown link names exists, and every #anchor is a heading.

Anchors are GitHub's: the heading in lower case, punctuation dropped, spaces
as hyphens, a repeated heading suffixed -1, -2, ... Links inside code blocks
and to other sites are not checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *ROOT.glob("docs/*.md"), ROOT / "bench" / "README.md",
               ROOT / "server_stub" / "README.md"])
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in FENCE.sub("", path.read_text()).splitlines():
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            found.add(base if count == 0 else f"{base}-{count}")
            seen[base] = count + 1
    return found


def links(path: Path) -> list[str]:
    text = INLINE_CODE.sub("", FENCE.sub("", path.read_text()))
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


def test_slug_follows_github():
    assert slug("The network phase: the first visit as users meet it") == \
        "the-network-phase-the-first-visit-as-users-meet-it"
    assert slug("The stub's limits, and our extension `POST /api/logout` (issue 14)") == \
        "the-stubs-limits-and-our-extension-post-apilogout-issue-14"
    assert slug("Version 2: the connection, resync and epochs (client)") == \
        "version-2-the-connection-resync-and-epochs-client"


def test_a_missing_anchor_is_found(tmp_path):
    doc = tmp_path / "a.md"
    doc.write_text("# Title\n\n## Same\n\n## Same\n\n```\n# not a heading\n```\n")
    assert anchors(doc) == {"title", "same", "same-1"}


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves(path):
    broken = []
    for target in links(path):
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no file {linked.relative_to(ROOT) if linked.is_relative_to(ROOT) else linked}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.relative_to(ROOT)}")
    assert not broken, "\n".join(broken)
