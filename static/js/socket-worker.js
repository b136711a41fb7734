// The app's WebSocket, kept off the page's main thread (started by bridge.mjs).
//
// Why: each WebSocket message costs the thread that receives it a task of
// its own (about 100 us in Chromium, before any of our code runs). At 1,500
// messages a second that was a tenth of the page's main thread, the thread
// that also runs Python and draws the board. Here the messages are received
// and held; the page gets all that came while it was busy as one message,
// and asks for the next ("more") when it has taken that one. So a busy page
// handles a message from here between its own tasks, not one per frame, and
// no frame waits here longer than it would have waited for the page.
//
// Page -> worker:  ["open", id, url] ["send", id, text] ["close", id, code, reason] ["more", id]
// Worker -> page:  ["open", id] ["frames", id, texts, arrivals] ["closed", id, code, reason]
// ``arrivals`` are the frames' arrival times (performance.timeOrigin + now, ms),
// which the page's own clock reads the same way; a binary frame is passed as
// "" so the page counts it as invalid instead of dropping it silently.

const sockets = new Map();  // id -> {ws, texts, arrivals, out}

const now = () => performance.timeOrigin + performance.now();

function deliver(id, entry) {
  if (!entry.texts.length) return;
  postMessage(["frames", id, entry.texts, entry.arrivals]);
  entry.texts = [];
  entry.arrivals = [];
  entry.out = true;
}

function open(id, url) {
  const entry = { ws: null, texts: [], arrivals: [], out: false };
  sockets.set(id, entry);
  let ws;
  try {
    ws = new WebSocket(url);
  } catch (error) {  // a malformed URL: the page sees an abnormal close, as for a refused one
    sockets.delete(id);
    postMessage(["closed", id, 1006, String(error && error.message || error)]);
    return;
  }
  entry.ws = ws;
  ws.onopen = () => { if (sockets.get(id) === entry) postMessage(["open", id]); };
  ws.onmessage = (event) => {
    if (sockets.get(id) !== entry) return;
    entry.texts.push(typeof event.data === "string" ? event.data : "");
    entry.arrivals.push(now());
    if (!entry.out) deliver(id, entry);
  };
  ws.onerror = () => {};
  ws.onclose = (event) => {
    if (sockets.get(id) !== entry) return;
    sockets.delete(id);
    deliver(id, entry);  // whatever came before the close, even while a batch is out
    postMessage(["closed", id, event.code, event.reason || ""]);
  };
}

onmessage = (event) => {
  const [kind, id, a, b] = event.data;
  const entry = sockets.get(id);
  if (kind === "open") {
    open(id, a);
  } else if (kind === "more") {
    if (entry) { entry.out = false; deliver(id, entry); }
  } else if (kind === "send") {
    if (entry && entry.ws && entry.ws.readyState === 1) entry.ws.send(a);
  } else if (kind === "close") {
    if (!entry) return;
    sockets.delete(id);  // the page has moved on: nothing more is posted for this socket
    if (entry.ws) {
      try { entry.ws.close(a, b); } catch (error) { entry.ws.close(); }
    }
  }
};
