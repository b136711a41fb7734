"""bench/measure.py's list_view in Chromium, on hand-made pages: a stream is only measured while the
deliveries list's rows are on screen (a sign-in form left over the board once collapsed the list to
0 px, and every figure taken then skipped the rows' layout and paint)."""

from __future__ import annotations

import pytest

from bench.measure import list_view

pytestmark = pytest.mark.e2e

URL = "http://bench-list-view.invalid/"
ROWS = "".join(f"<tr><td>D-{i}</td></tr>" for i in range(40))


def page_with(page, body: str):
    html = f"<!doctype html><title>list</title><style>body{{margin:0}} tr{{height:30px}}</style>{body}"
    page.route(URL, lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(URL)
    page.wait_for_selector("[data-testid=delivery-list]", state="attached")
    return page


def test_rows_in_a_scrolled_box_are_counted_up_to_its_bottom(page):
    page_with(page, f"""<section id="login-view" hidden>sign in</section>
        <div style="height:300px; overflow:auto"><table><tbody data-testid="delivery-list">{ROWS}</tbody></table></div>""")
    view = list_view(page)
    assert view["loginShown"] is False and view["viewportPx"] == 300
    assert 10 <= view["rowsInView"] <= 11  # 300 px of 30 px rows (a border may shift one)


def test_a_collapsed_list_is_refused(page):
    page_with(page, f"""<div style="height:0; overflow:auto"><table><tbody data-testid="delivery-list">{ROWS}</tbody></table></div>""")
    with pytest.raises(RuntimeError, match="not on screen"):
        list_view(page)


def test_a_sign_in_form_over_the_board_is_refused_even_with_rows_showing(page):
    page_with(page, f"""<section id="login-view">sign in</section>
        <div style="height:300px; overflow:auto"><table><tbody data-testid="delivery-list">{ROWS}</tbody></table></div>""")
    with pytest.raises(RuntimeError, match="loginShown': True"):
        list_view(page)
