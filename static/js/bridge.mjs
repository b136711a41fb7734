// The one hot path kept in JavaScript: WebSocket frames are queued here and
// handed to Python in one batch per animation frame. A Python onmessage per
// frame costs 40-85 us in Pyodide; one call per frame keeps up with ~10k/s.
// Everything else (state, protocol, rendering) is Python in app/.

const schedule = (fn) =>
  document.hidden ? setTimeout(fn, 50) : requestAnimationFrame(fn);

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
    if (!scheduled) { scheduled = true; schedule(flush); }
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
