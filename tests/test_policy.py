"""scripts/policy.py: the <meta> policy and the _headers file a build carries."""

from __future__ import annotations

import pytest

from scripts import policy

PAGE = '<!doctype html>\n<html>\n<head>\n  <meta charset="utf-8">\n  <script type="module" src="a.mjs"></script>\n</head></html>'


def test_the_meta_goes_right_after_the_charset_before_any_script():
    out = policy.with_policy_meta(PAGE, ["https://api.example.com"])
    charset, csp, script = out.index("<meta charset"), out.index("Content-Security-Policy"), out.index("<script")
    assert charset < csp < script
    assert "connect-src 'self' https://api.example.com;" in out
    assert out.count('<meta name="referrer" content="no-referrer">') == 1


def test_a_page_with_its_own_policy_or_a_script_before_the_charset_is_refused():
    own = PAGE.replace("<head>", '<head><meta http-equiv="content-security-policy" content="default-src *">')
    with pytest.raises(policy.PolicyError, match="already"):
        policy.with_policy_meta(own, [])
    early = PAGE.replace("<head>", '<head><script src="x.js"></script>')
    with pytest.raises(policy.PolicyError, match="before"):
        policy.with_policy_meta(early, [])
    with pytest.raises(policy.PolicyError, match="head"):
        policy.with_policy_meta("<p>no head</p>", [])


def test_connect_sources_keep_each_origin_once_and_twin_trusted_ones():
    config = {"api_base_url": "https://a.example.com/api", "ws_base_url": "wss://a.example.com/ws",
              "trusted_origins": ["http://127.0.0.1:8000", "wss://a.example.com"]}
    assert policy.connect_sources(config, ["https://a.example.com:443/"]) == [
        "https://a.example.com", "wss://a.example.com", "http://127.0.0.1:8000", "ws://127.0.0.1:8000"]
    assert policy.connect_sources({"api_base_url": "", "ws_base_url": ""}) == []


@pytest.mark.parametrize("config", [
    {"api_base_url": "javascript:alert(1)"}, {"ws_base_url": "wss://a b/ws"}, {"trusted_origins": "https://a.example"},
    {"trusted_origins": ["https://a.example/path"]},
])
def test_a_config_json_the_policy_cannot_express_is_refused(config):
    with pytest.raises(policy.PolicyError, match="config.json"):
        policy.connect_sources(config)
