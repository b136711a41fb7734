// Start the board's data while the runtime boots, and hand it to Python when it asks.
//
// A returning user (a token in sessionStorage) needs GET {api}/snapshot as soon as
// Python is up; Python needs static/config.json first of all. Both are fetched here,
// at once, with the same options app/web/http.py uses (no-store, no credentials).
// The hand-over (app/web/http.py, app/prefetch.py decides):
//
//   globalThis.dcPrefetch.take(absoluteUrl)  -> Promise of {url, authorization, status,
//       text, ageMs, error} or undefined (None in Python; a JS null would not be); each
//       prefetched answer is taken once.
//   globalThis.dcPrefetch.report(absoluteUrl, verdict)  -> "used", "stale", "failed", "other"
//   globalThis.dcPrefetch.state  -> {url: "pending" | "answered" | verdict}  (tests, diagnostics)
//
// Where the app would choose endpoints this module cannot check (?api= and ?ws=,
// honoured only for trusted origins: PROTOCOL.md 1), no snapshot is prefetched.
// A prefetch that is not used costs one request; it never changes what Python does.

import { HANDED_KEY } from "./fragment-token.mjs";  // it has moved a #token= aside by now

const TOKEN_KEY = "dc.token";  // app/web/session.py
const CONFIG = new URL("static/config.json", location.href).href;
const entries = new Map();
const state = {};

function start(url, authorization) {
  state[url] = "pending";
  const headers = authorization ? { Authorization: authorization, Accept: "application/json" } : {};
  const answer = fetch(url, { method: "GET", headers, cache: "no-store", credentials: "omit" })
    .then(async (response) => ({ status: response.status, text: await response.text(), error: "" }))
    .catch((error) => ({ status: 0, text: "", error: String(error) }))
    .then((got) => {
      state[url] = "answered";
      return { ...got, url, authorization, at: performance.now() };
    });
  entries.set(url, answer);
  return answer;
}

function apiBase(config) {
  const query = new URLSearchParams(location.search);
  if (query.get("api") || query.get("ws")) return null;
  let api = `${location.origin}/api`;
  if (config && typeof config === "object" && (config.api_base_url || config.ws_base_url)) {
    if (typeof config.api_base_url !== "string" || !config.api_base_url) return null;
    api = config.api_base_url;
  }
  return api.replace(/\/+$/, "");
}

let token = null;
let handed = null;
try {
  token = sessionStorage.getItem(TOKEN_KEY);
  handed = sessionStorage.getItem(HANDED_KEY);
} catch {
  token = null;  // storage blocked: Python will say so; nothing to prefetch
}
// With no session in this tab, a #token= handed in the address is the one Python adopts
// (PROTOCOL.md 1); with one, Python ignores the fragment, and so does this. fragment-token.mjs
// has already taken it out of the address and kept the fragment under HANDED_KEY.
if (!token) token = new URLSearchParams((handed || location.hash).replace(/^#/, "")).get("token");

export const hasSession = Boolean(token);
export const snapshotStarted = start(CONFIG, null).then((got) => {
  if (!token) return false;
  let config = null;
  if (got.status === 200) {
    try {
      config = JSON.parse(got.text);
    } catch {
      return false;  // Python reports the broken file
    }
  }
  const api = apiBase(config);
  if (api === null) return false;
  start(new URL(`${api}/snapshot`, location.href).href, `Bearer ${token}`);
  return true;
});

globalThis.dcPrefetch = {
  state,
  async take(url) {
    if (url !== CONFIG) await snapshotStarted;  // the snapshot's request starts after config.json's answer
    const answer = entries.get(url);
    if (!answer) return undefined;
    entries.delete(url);
    const got = await answer;
    return { url: got.url, authorization: got.authorization || "", status: got.status, text: got.text,
             error: got.error, ageMs: performance.now() - got.at };
  },
  report(url, verdict) {
    state[url] = verdict;
  },
};
