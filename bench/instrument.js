// The benchmark's probe, injected into every page it opens before the page's
// own scripts run (Playwright add_init_script). It changes nothing the page
// does; it watches:
//   - when html[data-app-state] becomes "ready", and when the delivery list
//     holds every row (window.__benchConfig.expectRows);
//   - every WebSocket frame (a listener added before the page's own), keeping
//     each delivery_update's ts and receive time by (deliveryId, eta);
//   - every data-value change of a row's [data-field=eta] cell (MutationObserver):
//     the events it shows, or shows a newer state of, are done at that moment
//     (kept apart when the row was in [data-testid=delivery-list] as the event
//     arrived: the app's parked rows, outside the document, are drawn in the
//     background or when they come into the list);
//   - every staff_location_update (the map phase, bench/map.py): its location.at
//     and receive time by staffId, and every data-lat/data-lon change of a map
//     marker [data-testid=map-staff] (MutationObserver): the events whose
//     position it now shows are done at that moment (a later position drawn in
//     the same frame supersedes the earlier ones: the app coalesces per frame);
//     an event that repeats the position already received (a person standing
//     still) changes nothing to draw and is counted apart, not waited for;
//   - long tasks (PerformanceObserver "longtask");
//   - the wasm memories instantiated (WebAssembly.instantiate*), for their size;
//   - on the app only, the bridge (window.dcBridge): the time of each Python
//     batch call, and a handle on the Pyodide API for memory and profiling.
// Times are performance.now() (page) unless named wall (timeOrigin + now).
(() => {
  if (window.__bench) return;
  const config = window.__benchConfig || {};
  const wall = () => performance.timeOrigin + performance.now();
  const B = window.__bench = {
    readyAt: null, rowsAt: null, socketAt: null, errorAt: null,
    recording: false, t0: null,
    pending: new Map(),          // deliveryId -> [[eta, tsWall, rxWall], ...] oldest first
    lat: null, net: null,        // per event: ts -> DOM, ts -> receive (wall ms); Series, below
    latShown: null,              // ts -> DOM of the events whose row was in the page when they arrived
    received: 0, etaEvents: 0, superseded: 0, strayMutations: 0,
    moves: new Map(),            // staffId -> [[lat, lon, atWall, rxWall], ...] oldest first
    lastPos: new Map(),          // staffId -> [lat, lon]: the newest position received (or drawn at start)
    markerLat: null, markerNet: null,  // per location event: at -> marker attributes, at -> receive (Series)
    locEvents: 0, locSame: 0, markerSuperseded: 0, markerStray: 0,
    batches: null,               // flat [start, ms, frames] of Python batch calls
    frames: null,                // flat [start, ms] of nextFrame callbacks (chunks, renders)
    longtasks: [],               // flat [start, ms]
    memories: [], py: null, hookError: null, profiling: false,
  };

  // The probe's own samples go in Float64Array chunks: their bytes live
  // outside the JS heap that the soak measures, so the probe (a few numbers
  // per event, 120,000 events in a 10-minute soak: ~3 MB in plain arrays)
  // does not show up as the page's memory growth.
  class Series {
    constructor() { this.chunks = []; this.n = 0; }
    push(...values) {
      for (const v of values) {
        const i = this.n % 65536;
        if (i === 0) this.chunks.push(new Float64Array(65536));
        this.chunks[this.chunks.length - 1][i] = v;
        this.n++;
      }
    }
    get length() { return this.n; }
    toArray() {
      const out = new Array(this.n);
      for (let k = 0; k < this.n; k++) out[k] = this.chunks[k >> 16][k & 65535];
      return out;
    }
  }
  B.lat = new Series(); B.net = new Series(); B.latShown = new Series(); B.batches = new Series(); B.frames = new Series();
  B.markerLat = new Series(); B.markerNet = new Series();

  // --- load milestones -------------------------------------------------------
  // Rows built: the app shows a window of them and parks the rest, up to
  // date, in a <tbody> outside the document (static/js/rows.mjs,
  // dcRows.tables); both count, and the probe below watches both.
  const parkedHolders = () => {
    const tables = globalThis.dcRows && globalThis.dcRows.tables;
    return tables ? [...tables].map((table) => table.parked) : [];
  };
  const rowCount = () => {
    const list = document.querySelector("[data-testid=delivery-list]");
    let n = list ? list.childElementCount : 0;
    for (const holder of parkedHolders()) n += holder.childElementCount;
    return n;
  };
  const watchRows = () => {
    const want = config.expectRows || 0;
    if (!want) return;
    const until = performance.now() + 900000;
    const look = () => {
      if (B.rowsAt !== null) return;
      if (rowCount() >= want) { B.rowsAt = performance.now(); return; }
      if (performance.now() < until) requestAnimationFrame(look);
    };
    look();
  };
  new MutationObserver(() => {
    const state = document.documentElement && document.documentElement.getAttribute("data-app-state");
    if (state === "ready" && B.readyAt === null) { B.readyAt = performance.now(); watchRows(); }
    if (state === "error" && B.errorAt === null) B.errorAt = performance.now();
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-app-state"] });

  // --- long tasks ------------------------------------------------------------
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) B.longtasks.push(entry.startTime, entry.duration);
    }).observe({ type: "longtask", buffered: true });
  } catch (e) { B.longtaskError = String(e); }

  // --- frames in -------------------------------------------------------------
  const onMessage = (event) => {
    if (!B.recording || typeof event.data !== "string") return;
    const rx = wall();
    let message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    B.received++;
    if (message.type === "staff_location_update") { onLocation(message, rx); return; }
    if (message.type !== "delivery_update" || !message.changes || !("eta" in message.changes)) return;
    B.etaEvents++;
    const ts = typeof message.ts === "string" ? Date.parse(message.ts) : NaN;
    let list = B.pending.get(message.deliveryId);
    if (!list) B.pending.set(message.deliveryId, list = []);
    const shown = listWatched === null || inList.has(message.deliveryId);
    list.push([message.changes.eta === null ? "" : String(message.changes.eta), Number.isNaN(ts) ? rx : ts, rx, shown]);
  };

  const onLocation = (message, rx) => {
    const where = message.location;
    if (!where || typeof where.lat !== "number" || typeof where.lon !== "number") return;
    B.locEvents++;
    const id = message.staffId;
    const last = B.lastPos.get(id);
    if (last && last[0] === where.lat && last[1] === where.lon) { B.locSame++; return; }  // nothing new to draw
    B.lastPos.set(id, [where.lat, where.lon]);
    const at = typeof where.at === "string" ? Date.parse(where.at) : NaN;
    let list = B.moves.get(id);
    if (!list) B.moves.set(id, list = []);
    list.push([where.lat, where.lon, Number.isNaN(at) ? rx : at, rx]);
  };

  // The ids of the rows in [data-testid=delivery-list] now (a row moved within it stays).
  const inList = new Set();
  let listWatched = null;
  const listObserver = new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) if (node.nodeType === 1 && node.dataset.id) inList.add(node.dataset.id);
      for (const node of record.removedNodes) {
        if (node.nodeType === 1 && node.dataset.id && !node.isConnected) inList.delete(node.dataset.id);
      }
    }
  });
  setInterval(() => {
    const list = document.querySelector("[data-testid=delivery-list]");
    if (!list || list === listWatched) return;
    listWatched = list;
    listObserver.disconnect();
    inList.clear();
    for (const row of list.children) if (row.dataset.id) inList.add(row.dataset.id);
    listObserver.observe(list, { childList: true });
  }, 50);
  const NativeSocket = window.WebSocket;
  class BenchSocket extends NativeSocket {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener("message", onMessage);
    }
  }
  window.WebSocket = BenchSocket;

  // --- DOM out ---------------------------------------------------------------
  const onMutations = (records) => {
    if (!B.recording) return;
    const t = wall();
    const seen = new Set();
    for (const record of records) {
      const cell = record.target;
      if (seen.has(cell)) continue;
      seen.add(cell);
      if (cell.getAttribute("data-field") !== "eta") continue;
      const row = cell.parentNode;
      const id = row && row.getAttribute ? row.getAttribute("data-id") : null;
      const list = id === null ? undefined : B.pending.get(id);
      const value = cell.getAttribute("data-value");
      let k = -1;
      if (list) for (let i = list.length - 1; i >= 0; i--) if (list[i][0] === value) { k = i; break; }
      if (k < 0) { B.strayMutations++; continue; }
      for (let i = 0; i <= k; i++) {
        B.lat.push(t - list[i][1]); B.net.push(list[i][2] - list[i][1]);
        if (list[i][3]) B.latShown.push(t - list[i][1]);
      }
      B.superseded += k;
      list.splice(0, k + 1);
      if (!list.length) B.pending.delete(id);
    }
  };
  const onMarkers = (records) => {
    if (!B.recording) return;
    const t = wall();
    const seen = new Set();
    for (const record of records) {
      const marker = record.target;
      if (seen.has(marker)) continue;
      seen.add(marker);
      if (marker.getAttribute("data-testid") !== "map-staff") continue;
      const list = B.moves.get(marker.getAttribute("data-id"));
      const lat = Number(marker.getAttribute("data-lat")), lon = Number(marker.getAttribute("data-lon"));
      let k = -1;
      if (list) for (let i = list.length - 1; i >= 0; i--) if (list[i][0] === lat && list[i][1] === lon) { k = i; break; }
      if (k < 0) { B.markerStray++; continue; }  // half a move (lat written, lon not yet), or not from the window
      for (let i = 0; i <= k; i++) { B.markerLat.push(t - list[i][2]); B.markerNet.push(list[i][3] - list[i][2]); }
      B.markerSuperseded += k;
      list.splice(0, k + 1);
    }
  };
  new MutationObserver(onMarkers).observe(document, { subtree: true, attributes: true,
                                                       attributeFilter: ["data-lat", "data-lon"] });
  const watcher = new MutationObserver(onMutations);
  watcher.observe(document, { subtree: true, attributes: true, attributeFilter: ["data-value"] });
  const watched = new WeakSet();
  const watchParked = () => {  // the app's parked rows live outside the document: watch them too
    for (const holder of parkedHolders()) {
      if (!watched.has(holder)) {
        watched.add(holder);
        watcher.observe(holder, { subtree: true, attributes: true, attributeFilter: ["data-value"] });
      }
    }
  };
  setInterval(watchParked, 50);

  // --- wasm memory -----------------------------------------------------------
  const grab = (result) => {
    try {
      const instance = result && (result.instance || result);
      for (const value of Object.values((instance && instance.exports) || {})) {
        if (value instanceof WebAssembly.Memory && !B.memories.includes(value)) B.memories.push(value);
      }
    } catch (e) { /* not an instance */ }
    return result;
  };
  for (const name of ["instantiateStreaming", "instantiate"]) {
    const original = WebAssembly[name];
    if (typeof original === "function") {
      WebAssembly[name] = function (...args) { return original.apply(this, args).then(grab); };
    }
  }
  B.wasmBytes = () => B.memories.reduce((most, m) => Math.max(most, m.buffer.byteLength), 0);

  // --- the app's bridge: Python batch timing and a Pyodide handle --------------
  const hookPython = (pyFunction) => {
    // A PyProxy of a bound method: its module's builtins give __import__, and
    // "pyodide_js" is the Pyodide API object itself (pyodide._module.HEAPU8, runPython).
    const made = [];
    try {
      const func = pyFunction.__func__; made.push(func);
      const globals = func.__globals__; made.push(globals);
      const builtins = globals.get("__builtins__"); made.push(builtins);
      const importer = typeof builtins.get === "function" ? builtins.get("__import__") : builtins.__import__;
      made.push(importer);
      B.py = importer("pyodide_js");
      if (config.profileLoad) {
        B.py.runPython("import cProfile as _bench_cp\n_bench_prof = _bench_cp.Profile()\n_bench_prof.enable()");
        B.profiling = true;
      }
    } catch (e) {
      B.hookError = String(e);
    } finally {
      for (const proxy of made) { try { if (proxy && proxy.destroy) proxy.destroy(); } catch (e) { /* fine */ } }
    }
  };
  const wrapBridge = (real) => ({
    ...real,
    openSocket(url, onOpen, onBatch, onClose) {
      if (B.socketAt === null) B.socketAt = performance.now();
      if (!B.py && config.hookPython) hookPython(onBatch);
      const timed = (frames) => {
        const start = performance.now();
        try { return onBatch(frames); } finally {
          if (B.recording) B.batches.push(start, performance.now() - start, frames.length);
        }
      };
      return real.openSocket(url, onOpen, timed, onClose);
    },
    nextFrame(fn) {
      return real.nextFrame((...args) => {
        const start = performance.now();
        try { return fn(...args); } finally {
          if (B.recording) B.frames.push(start, performance.now() - start);
        }
      });
    },
  });
  let bridge;
  Object.defineProperty(window, "dcBridge", {
    configurable: true, enumerable: true,
    get() { return bridge; },
    set(value) { bridge = value && typeof value.openSocket === "function" ? wrapBridge(value) : value; },
  });

  // --- what the harness calls ------------------------------------------------
  B.lastSeq = () => {
    if (typeof window.__refLastSeq === "number") return window.__refLastSeq;
    const box = document.querySelector("[data-testid=diagnostics]");
    const text = box && box.getAttribute("data-last-seq");
    return text ? Number(text) : null;
  };
  B.diagnostics = () => {
    const box = document.querySelector("[data-testid=diagnostics]");
    if (!box) return null;
    const out = {};
    for (const key of ["received", "applied", "invalid", "duplicates", "unknown", "resyncs", "last-seq", "proxies", "sockets"]) {
      const text = box.getAttribute("data-" + key);
      out[key] = text === null || text === "" ? null : Number(text);
    }
    return out;
  };
  B.start = () => {
    B.pending.clear();
    B.lat = new Series(); B.net = new Series(); B.latShown = new Series(); B.batches = new Series(); B.frames = new Series();
    B.received = 0; B.etaEvents = 0; B.superseded = 0; B.strayMutations = 0;
    B.moves.clear(); B.lastPos.clear(); B.markerLat = new Series(); B.markerNet = new Series();
    B.locEvents = 0; B.locSame = 0; B.markerSuperseded = 0; B.markerStray = 0;
    for (const marker of document.querySelectorAll("[data-testid=map-staff][data-id]")) {  // what is drawn now
      const lat = marker.getAttribute("data-lat"), lon = marker.getAttribute("data-lon");
      if (lat !== null && lat !== "" && lon !== null && lon !== "") {
        B.lastPos.set(marker.getAttribute("data-id"), [Number(lat), Number(lon)]);
      }
    }
    B.t0 = performance.now();
    B.recording = true;
    return B.t0;
  };
  B.stop = () => {
    B.recording = false;
    const t1 = performance.now();
    let longMs = 0, longCount = 0;
    for (let i = 0; i < B.longtasks.length; i += 2) {
      const start = B.longtasks[i], end = start + B.longtasks[i + 1];
      const overlap = Math.min(end, t1) - Math.max(start, B.t0);
      if (overlap > 0) { longMs += overlap; longCount++; }
    }
    let unshown = 0, markerUnshown = 0;
    for (const list of B.pending.values()) unshown += list.length;
    for (const list of B.moves.values()) markerUnshown += list.length;
    const round = (xs) => xs.map((x) => Math.round(x * 100) / 100);
    return {
      t0: B.t0, t1, longMs, longCount, received: B.received, etaEvents: B.etaEvents,
      superseded: B.superseded, strayMutations: B.strayMutations, unshown,
      lat: round(B.lat.toArray()), net: round(B.net.toArray()), latShown: round(B.latShown.toArray()),
      batches: round(B.batches.toArray()),
      frames: round(B.frames.toArray()),
      locEvents: B.locEvents, locSame: B.locSame, markerSuperseded: B.markerSuperseded,
      markerStray: B.markerStray, markerUnshown,
      markerLat: round(B.markerLat.toArray()), markerNet: round(B.markerNet.toArray()),
    };
  };
  B.rows = () => {
    const out = {};
    const all = [...document.querySelectorAll("[data-testid=delivery-row]")];
    for (const holder of parkedHolders()) all.push(...holder.querySelectorAll("[data-testid=delivery-row]"));
    for (const row of all) {
      const value = (field) => {
        const cell = row.querySelector(`[data-field=${field}]`);
        return cell ? cell.getAttribute("data-value") : null;
      };
      out[row.getAttribute("data-id")] = [value("status"), value("assignedTo"), value("eta")];
    }
    return out;
  };
  // The app draws parked rows in the background (deliveries.py _catch_up); true once none waits.
  B.caughtUp = () => parkedHolders().every((holder) => holder.getAttribute("data-caught-up") !== "false");
  B.memory = () => ({
    wasmBytes: B.wasmBytes(),
    heapU8: B.py && B.py._module && B.py._module.HEAPU8 ? B.py._module.HEAPU8.length : null,
    jsHeapUsed: performance.memory ? performance.memory.usedJSHeapSize : null,
    domNodes: document.getElementsByTagName("*").length,
    rows: rowCount(),
  });
  B.python = (code) => (B.py ? B.py.runPython(code) : null);
  // The map's staff markers as drawn: id -> [data-lat, data-lon] (raw attribute text).
  B.markers = () => {
    const out = {};
    for (const marker of document.querySelectorAll("[data-testid=map-staff][data-id]")) {
      out[marker.getAttribute("data-id")] = [marker.getAttribute("data-lat"), marker.getAttribute("data-lon")];
    }
    return out;
  };
})();
