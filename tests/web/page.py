"""Test pages for the shell's views that find their elements by id in the document."""

from app.web.dom import el
from app.web.runtime import document


def page_with(*ids_and_tags):
    holder = el("div")
    for element_id, tag in ids_and_tags:
        holder.appendChild(el(tag, {"id": element_id}))
    document.body.appendChild(holder)
    return holder
