// What the page does before Python is ready (index.html loads this module first).
//
// - A returning user (a session token in this tab) sees the board's layout at once
//   (#skeleton) while the runtime boots and the data is prefetched (prefetch.mjs).
// - Anyone else gets the login form at first paint: they can type during the boot,
//   and a submit waits for the app. The hook for Python (app/web/login.py):
//
//     globalThis.dcPendingLogin       set ({at: ms since navigation}) when the form was
//                                     submitted before Python listened; the values stay
//                                     in the form, never in a global
//     globalThis.dcEarlyLogin.stop()  removes this module's submit listener and returns
//                                     whether a submit is waiting (clearing it)
//
// Nothing here sets html[data-app-state]: that stays Python's (tests wait on it).
// html[data-boot] says what this module showed: "session" or "login".

import { hasSession } from "./prefetch.mjs";
import { step } from "./boot-progress.mjs";

const root = document.documentElement;
const form = document.querySelector("form[data-testid=login]");
const error = document.querySelector("[data-testid=login-error]");
const fragmentToken = /(^#|&)token=/.test(location.hash);
let listening = false;

function onSubmit(event) {
  event.preventDefault();
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  if (!username || !password) {
    error.textContent = "Enter your username and password.";
    error.hidden = false;
    (username ? form.elements.password : form.elements.username).focus();
    return;
  }
  error.hidden = true;
  globalThis.dcPendingLogin = { at: performance.now() };
  form.setAttribute("aria-busy", "true");
  form.querySelector("[type=submit]").textContent = "Signing in…";
  step("data", "waiting");
}

function showLogin() {
  root.dataset.boot = "login";
  performance.mark("dc-login-ready");  // the submit is queued from here on (bench/network.py reads it)
  form.addEventListener("submit", onSubmit);
  listening = true;
  if (!document.activeElement || document.activeElement === document.body) form.elements.username.focus();
}

function showSkeleton() {
  root.dataset.boot = "session";
  performance.mark("dc-skeleton-shown");
  document.getElementById("login-view").hidden = true;
  document.getElementById("skeleton").hidden = false;
  step("data", "loading");
}

globalThis.dcEarlyLogin = {
  stop() {
    if (listening) form.removeEventListener("submit", onSubmit);
    listening = false;
    const pending = Boolean(globalThis.dcPendingLogin);
    delete globalThis.dcPendingLogin;
    return pending;
  },
};

// The skeleton goes, and the data step ends, when Python leaves "loading".
let previous = root.getAttribute("data-app-state");
new MutationObserver(() => {
  const state = root.getAttribute("data-app-state");
  const before = previous;
  previous = state;
  if (state === "loading") {
    if (before !== "loading") step("data", "loading");  // signed in: the board loads
    return;
  }
  document.getElementById("skeleton").hidden = true;
  if (state === "ready") step("data", "done");
  if (state === "error") step("data", "failed");
}).observe(root, { attributes: true, attributeFilter: ["data-app-state"] });

if (hasSession || fragmentToken) showSkeleton();
else showLogin();
