// The one hot path kept in JavaScript: WebSocket frames are queued here and
// handed to Python in one batch after each animation frame: a Python
// onmessage per frame costs far more than one call per batch.
// Everything else (state, protocol, rendering) is Python in app/.
//
// The socket itself lives in a worker (socket-worker.js): there, each
// message's own task runs off the page's main thread, and the page gets the
// frames that came while it was busy as one message. A page that
// cannot start the worker (a host's policy, an old browser) opens the
// socket here instead, with the same batches: the choice is invisible to
// Python. The figures: bench/README.md, "The socket in a worker".
//
// The batch runs in a task of its own just after a frame, not inside the
// frame's requestAnimationFrame callback: there, the batch and the frame's
// style, layout and paint made one long task, and long tasks covered several
// times more of a stream. Apart, input and other tasks get the thread between
// them; the DOM written by a batch is painted on the next frame. (Capping a
// batch at 64 frames, the rest in the next task, was tried: each part then
// paid for a frame of its own, and at 1,000 events/s the queue grew without
// end.) The figures: bench/README.md, "Figures behind the code".

const schedule = (fn) =>
  document.hidden ? setTimeout(fn, 50) : requestAnimationFrame(fn);

const waiting = [];
const channel = new MessageChannel();
channel.port1.onmessage = () => {
  const due = waiting.splice(0);
  for (const fn of due) fn();
};
// Run fn in a new task, as soon as the thread is free.
const soon = (fn) => { waiting.push(fn); channel.port2.postMessage(null); };
// Run fn in a new task right after the next frame (or soon, in a hidden tab).
const scheduleBatch = (fn) =>
  document.hidden ? setTimeout(fn, 50) : requestAnimationFrame(() => soon(fn));

// --- the two routes to a socket: {send, close} over callbacks {opened, frame, frames, ended} ---

// The socket on this thread: every message is a task here.
function onPage(url, on) {
  const ws = new WebSocket(url);
  let gone = false;
  ws.onopen = () => { if (!gone) on.opened(); };
  // A binary frame is not part of the protocol: pass an empty text so the
  // Python side counts it as invalid instead of silently dropping it.
  ws.onmessage = (event) => { if (!gone) on.frame(typeof event.data === "string" ? event.data : ""); };
  ws.onerror = () => {};
  ws.onclose = (event) => { if (!gone) { gone = true; on.ended(event.code, event.reason || ""); } };
  return {
    send(text) { if (ws.readyState === 1) ws.send(text); },
    close(code, reason) {
      gone = true;
      try { ws.close(code, reason); } catch (e) { ws.close(); }
    },
  };
}

const WORKER_URL = new URL("./socket-worker.js", import.meta.url);
let worker = null;  // started when this module loads; false once it could not start or failed
const routed = new Map();  // socket id -> what to do with the worker's messages about it
let lastId = 0;

function socketWorker() {
  if (worker !== null) return worker;
  try {
    worker = new Worker(WORKER_URL, { name: "socket" });
  } catch (e) {
    worker = false;
    return worker;
  }
  const started = worker;
  started.onmessage = (event) => {
    const [kind, id, a, b] = event.data;
    const route = routed.get(id);
    if (route) route.receive(kind, a, b);
  };
  // The script did not load (a 404, a policy without workers) or threw: its
  // sockets move to the page, and so does every later one.
  started.onerror = (event) => {
    event.preventDefault();
    if (worker === started) worker = false;
    started.terminate();
    const lost = [...routed.values()];
    routed.clear();
    for (const route of lost) route.failed();
  };
  return worker;
}

// The socket in the worker: one message here for all the frames that came
// while this thread was busy, asking for the next as soon as it is taken
// (asking only when a batch starts made a frame that came just after the
// ask wait a whole batch longer than on this thread).
function inWorker(w, url, on, onFailed) {
  const id = ++lastId;
  routed.set(id, {
    receive(kind, a, b) {
      if (kind === "frames") { on.frames(a); w.postMessage(["more", id]); }
      else if (kind === "open") on.opened();
      else if (kind === "closed") { routed.delete(id); on.ended(a, b); }
    },
    failed: onFailed,
  });
  w.postMessage(["open", id, url]);
  return {
    send(text) { w.postMessage(["send", id, text]); },
    close(code, reason) { routed.delete(id); w.postMessage(["close", id, code, reason]); },
  };
}

// Started now, not with the first socket: by the time Python opens one, the
// worker's script has loaded (or failed, and sockets open here).
socketWorker();

export function openSocket(url, onOpen, onBatch, onClose) {
  let queue = [];
  let scheduled = false;
  let closed = false;
  let heard = false;  // the socket has said something (opened, a frame, closed)
  const flush = () => {
    scheduled = false;
    if (!queue.length) return;
    const batch = queue;
    queue = [];
    onBatch(batch);
  };
  const due = () => { if (!scheduled) { scheduled = true; scheduleBatch(flush); } };
  const on = {
    opened() { heard = true; if (!closed) onOpen(); },
    frame(text) { heard = true; if (!closed) { queue.push(text); due(); } },
    frames(texts) {
      heard = true;
      if (closed) return;
      for (const text of texts) queue.push(text);
      due();
    },
    ended(code, reason) {
      heard = true;
      if (closed) return;
      closed = true;
      flush();
      onClose(code, reason);
    },
  };
  // A worker that fails before this socket said anything: open it here
  // instead, unseen by Python; after, it is a lost connection like any other.
  const workerFailed = () => {
    if (closed) return;
    if (!heard) link = onPage(url, on);
    else on.ended(1006, "the socket worker stopped");
  };
  const w = socketWorker();
  let link = w ? inWorker(w, url, on, workerFailed) : onPage(url, on);
  return {
    send(text) { if (!closed) link.send(text); },
    // Close from our side and detach at once: the Python owner has already
    // moved on (a dead socket, a logout), so no late event may reach it.
    abandon(code, reason) {
      closed = true;
      queue = [];
      link.close(code, reason);
    },
  };
}

// Run fn on the next animation frame (or soon, in a hidden tab).
export function nextFrame(fn) { schedule(fn); }
