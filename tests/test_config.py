"""PROTOCOL.md section 1: endpoint resolution order, transport rules, the token fragment."""

import pytest

from app.config import DEFAULT_VIEW, ConfigError, fragment_without_token, resolve_endpoints, token_from_fragment


def test_defaults_come_from_the_page_origin():
    ends = resolve_endpoints("http://127.0.0.1:8000/index.html", None)
    assert (ends.api_base, ends.ws_url, ends.source) == ("http://127.0.0.1:8000/api", "ws://127.0.0.1:8000/ws", "origin")


def test_https_page_defaults_to_wss():
    assert resolve_endpoints("https://dash.example/", None).ws_url == "wss://dash.example/ws"


def test_query_beats_config_json_which_beats_origin():
    cfg = {"api_base_url": "http://b.test/api/", "ws_base_url": "ws://b.test/ws"}
    assert resolve_endpoints("http://a.test/", cfg).api_base == "http://b.test/api"
    ends = resolve_endpoints("http://a.test/?api=http://q.test/api&ws=ws://q.test/ws", cfg)
    assert (ends.api_base, ends.ws_url, ends.source) == ("http://q.test/api", "ws://q.test/ws", "query")


def test_https_page_refuses_plain_endpoints_instead_of_downgrading():
    with pytest.raises(ConfigError, match="https"):
        resolve_endpoints("https://a.test/", {"api_base_url": "https://b/api", "ws_base_url": "ws://b/ws"})
    with pytest.raises(ConfigError, match="https"):
        resolve_endpoints("https://a.test/?api=http://b/api&ws=wss://b/ws", None)


def test_half_a_configuration_is_an_error():
    with pytest.raises(ConfigError):
        resolve_endpoints("http://a.test/?api=http://b/api", None)
    with pytest.raises(ConfigError):
        resolve_endpoints("http://a.test/", {"api_base_url": "http://b/api"})


def test_relative_or_wrong_scheme_endpoints_are_refused():
    with pytest.raises(ConfigError):
        resolve_endpoints("http://a.test/?api=/api&ws=ws://b/ws", None)
    with pytest.raises(ConfigError):
        resolve_endpoints("http://a.test/?api=http://b/api&ws=http://b/ws", None)


def test_timings_can_be_shortened_from_the_query_for_tests():
    ends = resolve_endpoints("http://a.test/?heartbeatMs=500&deadAfterMs=2000", None)
    assert ends.timings["heartbeatMs"] == 500 and ends.timings["deadAfterMs"] == 2000
    assert ends.timings["backoffBaseMs"] == 1000
    with pytest.raises(ConfigError):
        resolve_endpoints("http://a.test/?heartbeatMs=soon", None)


def test_token_fragment_is_read_and_then_removed():
    assert token_from_fragment("#token=abc%20d&view=x") == "abc d"
    assert token_from_fragment("#view=x") is None
    assert fragment_without_token("#token=abc&view=x") == "#view=x"
    assert fragment_without_token("#token=abc") == ""


def test_the_table_window_size_comes_from_the_query_or_defaults():
    assert resolve_endpoints("http://a.test/", None).view["pageRows"] == DEFAULT_VIEW["pageRows"] == 100
    assert resolve_endpoints("http://a.test/?pageRows=20", None).view["pageRows"] == 20
    assert resolve_endpoints("http://a.test/?pageRows=0", None).view["pageRows"] == 1
    with pytest.raises(ConfigError, match="pageRows"):
        resolve_endpoints("http://a.test/?pageRows=lots", None)
