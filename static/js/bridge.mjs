// The one hot path kept in JavaScript: WebSocket frames are queued here and
// handed to Python in one batch after each animation frame: a Python
// onmessage per frame costs far more than one call per batch.
// Everything else (state, protocol, rendering) is Python in app/.
//
// The socket stays on this thread: moved into a worker (commit a338d2e,
// reverted), it saved the main thread the socket's own tasks but made
// Python slower beside it on two cores and let batches grow after a long
// task. bench/README.md, "The socket in a worker, tried and not kept".
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

export function openSocket(url, onOpen, onBatch, onClose) {
  const ws = new WebSocket(url);
  let queue = [];
  let scheduled = false;
  let closed = false;
  const flush = () => {
    scheduled = false;
    if (!queue.length) return;
    const batch = queue;
    queue = [];
    onBatch(batch);
  };
  ws.onopen = () => { if (!closed) onOpen(); };
  ws.onmessage = (event) => {
    if (closed) return;
    // A binary frame is not part of the protocol: pass an empty text so the
    // Python side counts it as invalid instead of silently dropping it.
    queue.push(typeof event.data === "string" ? event.data : "");
    if (!scheduled) { scheduled = true; scheduleBatch(flush); }
  };
  ws.onerror = () => {};
  ws.onclose = (event) => {
    if (closed) return;
    closed = true;
    flush();
    onClose(event.code, event.reason || "");
  };
  return {
    send(text) { if (ws.readyState === 1) ws.send(text); },
    // Close from our side and detach at once: the Python owner has already
    // moved on (a dead socket, a logout), so no late event may reach it.
    abandon(code, reason) {
      closed = true;
      queue = [];
      try { ws.close(code, reason); } catch (e) { ws.close(); }
    },
  };
}

// Run fn on the next animation frame (or soon, in a hidden tab).
export function nextFrame(fn) { schedule(fn); }
