"""PROTOCOL.md section 1: endpoint resolution order, trusted origins, bounded timings, the token fragment."""

from urllib.parse import quote

import pytest

from app.config import (
    DEFAULT_TIMINGS,
    DEFAULT_VIEW,
    TIMING_BOUNDS,
    ConfigError,
    fragment_without_token,
    origin_of,
    resolve_endpoints,
    token_from_fragment,
    trusted_origins,
)

LINK = "http://a.test/?api=http://q.test/api&ws=ws://q.test/ws"


def test_defaults_come_from_the_page_origin():
    ends = resolve_endpoints("http://127.0.0.1:8000/index.html", None)
    assert (ends.api_base, ends.ws_url, ends.source) == ("http://127.0.0.1:8000/api", "ws://127.0.0.1:8000/ws", "origin")


def test_https_page_defaults_to_wss():
    assert resolve_endpoints("https://dash.example/", None).ws_url == "wss://dash.example/ws"


def test_a_trusted_query_beats_config_json_which_beats_origin():
    cfg = {"api_base_url": "http://b.test/api/", "ws_base_url": "ws://b.test/ws", "trusted_origins": ["http://q.test"]}
    assert resolve_endpoints("http://a.test/", cfg).api_base == "http://b.test/api"
    ends = resolve_endpoints(LINK, cfg)
    assert (ends.api_base, ends.ws_url, ends.source, ends.notices) == ("http://q.test/api", "ws://q.test/ws", "query", ())


def test_a_link_to_another_origin_is_ignored_with_a_notice():
    # The issue: a crafted link sent the typed password and the token to the link's host.
    cfg = {"api_base_url": "http://b.test/api", "ws_base_url": "ws://b.test/ws"}
    ends = resolve_endpoints(LINK, cfg)
    assert (ends.api_base, ends.ws_url, ends.source) == ("http://b.test/api", "ws://b.test/ws", "config.json")
    (notice,) = ends.notices
    assert "http://q.test" in notice and "trusted" in notice
    ends = resolve_endpoints(LINK, None)
    assert (ends.api_base, ends.source) == ("http://a.test/api", "origin") and len(ends.notices) == 1


def test_the_pages_own_origin_is_trusted_and_ws_counts_as_its_http_origin():
    ends = resolve_endpoints("http://a.test:8000/?api=http://a.test:8000/v2/api&ws=ws://A.TEST:8000/v2/ws", None)
    assert (ends.api_base, ends.ws_url, ends.source, ends.notices) == (
        "http://a.test:8000/v2/api", "ws://A.TEST:8000/v2/ws", "query", ())
    # Another port, another scheme, another host: another origin.
    for other in ("http://a.test:8001", "https://a.test:8000", "http://b.a.test:8000"):
        ends = resolve_endpoints(f"http://a.test:8000/?api={other}/api&ws=ws://a.test:8000/ws", None)
        assert ends.source == "origin" and ends.notices, other


def test_both_endpoints_must_be_trusted():
    cfg = {"trusted_origins": ["http://q.test"]}
    ends = resolve_endpoints("http://a.test/?api=http://q.test/api&ws=ws://evil.test/ws", cfg)
    assert ends.source == "origin" and "evil.test" in ends.notices[0]


@pytest.mark.parametrize("api", [
    "http://evil.test\\@q.test/api",  # a browser reads the backslash as a slash: host evil.test
    "http://q.test@evil.test/api", "http://evil.test/api#@q.test", "http://q.test.evil.test/api",
    "http://%71.test/api", "http://q.test:99999/api", " http://q.test/api", "http://q.test/api\n", "//q.test/api",
    "javascript:alert(1)//q.test", "http://q.test\t/api",
])
def test_spellings_that_a_browser_could_read_as_another_host_are_not_trusted(api):
    ends = resolve_endpoints(f"http://a.test/?ws=ws://q.test/ws&api={quote(api, safe='')}",
                             {"trusted_origins": ["http://q.test"]})
    assert ends.source == "origin" and len(ends.notices) == 1, api


def test_the_plain_spelling_of_a_trusted_origin_is_honoured_through_the_same_encoding():
    # The control for the test above: the same quoting, the trusted host as written.
    ends = resolve_endpoints(f"http://a.test/?ws=ws://q.test/ws&api={quote('http://q.test/api', safe='')}",
                             {"trusted_origins": ["http://q.test"]})
    assert (ends.source, ends.api_base, ends.notices) == ("query", "http://q.test/api", ())


def test_origins_compare_without_case_or_default_port():
    assert origin_of("HTTPS://Q.Test:443/api") == origin_of("wss://q.test/ws") == "https://q.test"
    assert origin_of("ws://q.test:80/ws") == "http://q.test" != origin_of("ws://q.test:8080/ws")
    assert trusted_origins({"trusted_origins": ["https://Q.test:443/", "ws://r.test:81"]}) == {
        "https://q.test", "http://r.test:81"}
    assert trusted_origins(None) == trusted_origins({}) == frozenset()


@pytest.mark.parametrize("bad", ["https://q.test/api", "q.test", "*", "https://*.q.test", 7])
def test_a_trusted_origins_entry_that_is_not_an_origin_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="trusted_origins"):
        resolve_endpoints("http://a.test/", {"trusted_origins": [bad]})
    with pytest.raises(ConfigError, match="trusted_origins"):
        resolve_endpoints("http://a.test/", {"trusted_origins": "https://q.test"})


def test_https_page_refuses_plain_endpoints_instead_of_downgrading():
    with pytest.raises(ConfigError, match="https"):
        resolve_endpoints("https://a.test/", {"api_base_url": "https://b/api", "ws_base_url": "ws://b/ws"})
    # A trusted link cannot downgrade either: ignored, and the notice says why.
    ends = resolve_endpoints("https://a.test/?api=http://b/api&ws=wss://b/ws", {"trusted_origins": ["http://b"]})
    assert ends.api_base == "https://a.test/api" and "https" in ends.notices[0]


def test_half_a_configuration_is_an_error_in_config_json_and_ignored_in_a_link():
    with pytest.raises(ConfigError):
        resolve_endpoints("http://a.test/", {"api_base_url": "http://b/api"})
    ends = resolve_endpoints("http://a.test/?api=http://a.test/api2", None)
    assert ends.api_base == "http://a.test/api" and "both" in ends.notices[0]


def test_relative_or_wrong_scheme_endpoints_are_refused():
    with pytest.raises(ConfigError):
        resolve_endpoints("http://a.test/", {"api_base_url": "/api", "ws_base_url": "ws://b/ws"})
    with pytest.raises(ConfigError):
        resolve_endpoints("http://a.test/", {"api_base_url": "http://b/api", "ws_base_url": "http://b/ws"})
    # From a link they are not trusted endpoints at all: ignored.
    for query in ("api=/api&ws=ws://a.test/ws", "api=http://a.test/api&ws=http://a.test/ws"):
        ends = resolve_endpoints(f"http://a.test/?{query}", None)
        assert ends.source == "origin" and ends.notices, query


def test_timings_can_be_shortened_from_the_query_for_tests():
    ends = resolve_endpoints("http://a.test/?heartbeatMs=500&deadAfterMs=2000&backoffBaseMs=200&commandTimeoutMs=3000"
                             "&slowRetryMs=5000", None)
    assert ends.timings == {"heartbeatMs": 500, "deadAfterMs": 2000, "backoffBaseMs": 200, "commandTimeoutMs": 3000,
                            "slowRetryMs": 5000}
    assert ends.notices == ()
    assert resolve_endpoints("http://a.test/?heartbeatMs=500", None).timings["backoffBaseMs"] == 1000


def test_the_issues_link_cannot_make_every_change_fail():
    ends = resolve_endpoints("http://a.test/?commandTimeoutMs=1&deadAfterMs=1", None)
    assert ends.timings == DEFAULT_TIMINGS
    assert len(ends.notices) == 2 and all("Ignored" in n for n in ends.notices)


@pytest.mark.parametrize("name", sorted(TIMING_BOUNDS))
def test_each_timing_is_honoured_at_its_bounds_and_ignored_outside_them(name):
    low, high = TIMING_BOUNDS[name]
    assert high <= DEFAULT_TIMINGS[name]  # a link only shortens the contract's clock
    base = "heartbeatMs=500&" if name == "deadAfterMs" else ""
    for value in (low, high):
        ends = resolve_endpoints(f"http://a.test/?{base}{name}={value}", None)
        assert ends.timings[name] == value and ends.notices == (), (name, value)
    for value in (str(low - 1), str(high + 1), "0", "-5", "soon", "1e9", "99999999999999999999", ""):
        ends = resolve_endpoints(f"http://a.test/?{base}{name}={value}", None)
        assert ends.timings[name] == DEFAULT_TIMINGS[name], (name, value)
        if value:  # parse_qs drops an empty value: nothing asked, nothing to say
            assert name in ends.notices[-1], (name, value)


def test_a_notice_never_repeats_free_text_from_the_link():
    ends = resolve_endpoints("http://a.test/?heartbeatMs=Your+account+is+locked,+call+555-0100", None)
    (notice,) = ends.notices
    assert "locked" not in notice and "555" not in notice and "heartbeatMs" in notice
    (notice,) = resolve_endpoints("http://a.test/?heartbeatMs=1e9", None).notices
    assert "heartbeatMs=1e9" in notice


def test_dead_after_must_outlast_two_heartbeats():
    ends = resolve_endpoints("http://a.test/?deadAfterMs=2000", None)  # heartbeat stays 15 s
    assert ends.timings["deadAfterMs"] == DEFAULT_TIMINGS["deadAfterMs"] and "heartbeats" in ends.notices[0]
    ends = resolve_endpoints("http://a.test/?heartbeatMs=1000&deadAfterMs=2000", None)
    assert ends.timings["deadAfterMs"] == 2000 and ends.notices == ()


def test_token_fragment_is_read_and_then_removed():
    assert token_from_fragment("#token=abc%20d&view=x") == "abc d"
    assert token_from_fragment("#view=x") is None
    assert fragment_without_token("#token=abc&view=x") == "#view=x"
    assert fragment_without_token("#token=abc") == ""


def test_the_table_window_size_comes_from_the_query_or_defaults():
    assert resolve_endpoints("http://a.test/", None).view["pageRows"] == DEFAULT_VIEW["pageRows"] == 100
    assert resolve_endpoints("http://a.test/?pageRows=20", None).view["pageRows"] == 20
    for bad in ("0", "lots", "10001"):
        ends = resolve_endpoints(f"http://a.test/?pageRows={bad}", None)
        assert ends.view["pageRows"] == 100 and "pageRows" in ends.notices[0]
