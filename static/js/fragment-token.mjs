// Take a `#token=...` out of the address bar at once (PROTOCOL.md 1), before
// the Python runtime has even started, and again on every same-page
// navigation (`hashchange`): the token must not sit in the address bar, the
// history entry or a shoulder-surfer's view while Pyodide boots (seconds), nor
// stay there when the configuration fails or Python never starts.
//
// This module only moves the fragment aside: it keeps the fragment as it was
// under sessionStorage's "dc.handed-fragment" and removes the token= pair
// from the address. Whether the token is used (never while a session is
// active in the tab: no session fixation) is decided in Python,
// app/web/session.py, which reads the kept fragment with app/config.py's
// token_from_fragment. The pair test here, "a &-separated pair starting
// with token=", is app/config.py's fragment_without_token.
export const HANDED_KEY = "dc.handed-fragment";

export function moveTokenAside() {
  const fragment = location.hash.replace(/^#/, "");
  const pairs = fragment.split("&");
  if (!pairs.some((pair) => pair.startsWith("token="))) return false;
  const kept = pairs.filter((pair) => pair && !pair.startsWith("token="));
  try {
    sessionStorage.setItem(HANDED_KEY, "#" + fragment);
  } catch (error) {
    // No sessionStorage (blocked storage): the token is dropped, never left in the address.
  }
  history.replaceState(history.state, "", location.pathname + location.search + (kept.length ? "#" + kept.join("&") : ""));
  return true;
}

moveTokenAside();
// Registered before Python's own hashchange listener, so it always runs first.
addEventListener("hashchange", moveTokenAside);
