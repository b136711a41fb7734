// The plain-JavaScript reference client for the benchmark: the least a browser
// must do to show the stream. PROTOCOL.md 3: auth first, welcome, snapshot,
// events held while it loads, then every event applied to its row at once.
// For the map phase (bench/map.py) it also draws every located staff member as
// an SVG dot, moved as each staff_location_update arrives: no batching, no pins,
// no zones, no tooltips; a hidden map writes nothing and is redrawn when shown.
const FIELDS = ["status", "customer", "address", "zoneId", "assignedTo", "priority", "eta"];
const token = new URLSearchParams(location.hash.slice(1)).get("token");
history.replaceState(null, "", location.pathname + location.search);
const api = `${location.origin}/api`;
const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
const tbody = document.querySelector("[data-testid=delivery-list]");
const rows = new Map();
const SVG = "http://www.w3.org/2000/svg";
const mapBox = document.querySelector("[data-testid=map]");
const mapSvg = mapBox.querySelector("svg");
const mapToggle = document.querySelector("[data-testid=map-toggle]");
const markers = new Map();  // staff id -> {dot, lat, lon, drawn}
let bounds = null;  // [lonMin, latMin, lonMax, latMax] of the snapshot's staff, padded
let lastSeq = null;
let held = null;
window.__refLastSeq = null;

function makeRow(delivery) {
  const tr = document.createElement("tr");
  tr.setAttribute("data-testid", "delivery-row");
  tr.setAttribute("data-id", delivery.id);
  tr.setAttribute("data-status", delivery.status);
  const th = document.createElement("th");
  th.textContent = delivery.id;
  tr.append(th);
  const cells = {};
  for (const field of FIELDS) {
    const td = document.createElement("td");
    const value = delivery[field] ?? "";
    td.setAttribute("data-field", field);
    td.setAttribute("data-value", value);
    td.textContent = value;
    cells[field] = td;
    tr.append(td);
  }
  rows.set(delivery.id, { tr, cells });
  return tr;
}

function place(marker) {
  const [lonMin, latMin, lonMax, latMax] = bounds;
  const dot = marker.dot;
  dot.setAttribute("data-lat", marker.lat);
  dot.setAttribute("data-lon", marker.lon);
  dot.setAttribute("cx", ((marker.lon - lonMin) / (lonMax - lonMin) * 1000).toFixed(1));
  dot.setAttribute("cy", ((latMax - marker.lat) / (latMax - latMin) * 1000).toFixed(1));
  marker.drawn = true;
}

function drawStaff(staff) {
  const located = staff.filter((member) => member.location);
  if (!located.length) return;
  const lats = located.map((m) => m.location.lat), lons = located.map((m) => m.location.lon);
  const pad = 0.05;
  bounds = [Math.min(...lons) - pad, Math.min(...lats) - pad, Math.max(...lons) + pad, Math.max(...lats) + pad];
  const fragment = document.createDocumentFragment();
  for (const member of located) {
    const dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("data-testid", "map-staff");
    dot.setAttribute("data-id", member.id);
    dot.setAttribute("data-status", member.status);
    dot.setAttribute("r", "5");
    const marker = { dot, lat: member.location.lat, lon: member.location.lon, drawn: false };
    markers.set(member.id, marker);
    if (!mapBox.hidden) place(marker);
    fragment.append(dot);
  }
  mapSvg.append(fragment);
}

function move(message) {
  const marker = markers.get(message.staffId);
  const where = message.location;
  if (!marker || !where || typeof where.lat !== "number" || typeof where.lon !== "number") return;
  marker.lat = where.lat;
  marker.lon = where.lon;
  marker.drawn = false;
  if (!mapBox.hidden) place(marker);
}

mapToggle.addEventListener("click", () => {
  mapBox.hidden = !mapBox.hidden;
  mapToggle.setAttribute("aria-pressed", String(!mapBox.hidden));
  if (!mapBox.hidden && bounds) for (const marker of markers.values()) if (!marker.drawn) place(marker);
});

function apply(message) {
  if (typeof message.seq === "number") {
    if (lastSeq !== null && message.seq <= lastSeq) return;
    lastSeq = message.seq;
    window.__refLastSeq = lastSeq;
  }
  if (message.type === "staff_location_update") { move(message); return; }
  if (message.type === "staff_status_update") {
    const marker = markers.get(message.staffId);
    if (marker) marker.dot.setAttribute("data-status", message.status);
    return;
  }
  if (message.type !== "delivery_update") return;
  const row = rows.get(message.deliveryId);
  if (!row) return;
  for (const field of FIELDS) {
    if (!(field in message.changes)) continue;
    const value = message.changes[field] ?? "";
    const td = row.cells[field];
    td.setAttribute("data-value", value);
    td.textContent = value;
    if (field === "status") row.tr.setAttribute("data-status", value);
  }
}

async function loadSnapshot() {
  held = [];
  const answer = await fetch(`${api}/snapshot`, { headers: { Authorization: `Bearer ${token}` } });
  const snapshot = await answer.json();
  const fragment = document.createDocumentFragment();
  for (const delivery of snapshot.deliveries) {
    const row = rows.get(delivery.id);
    if (row) apply({ type: "delivery_update", deliveryId: delivery.id, changes: delivery });
    else fragment.append(makeRow(delivery));
  }
  tbody.append(fragment);
  if (!markers.size) drawStaff(snapshot.staff || []);
  lastSeq = snapshot.seq;
  window.__refLastSeq = lastSeq;
  const waiting = held;
  held = null;
  for (const message of waiting) apply(message);
  document.documentElement.setAttribute("data-app-state", "ready");
}

// One socket at a time; if the server closes it (say, 1008 for a slow consumer at
// 5,000 events/s) reconnect at once and resume from the last applied seq.
window.__refSockets = 0;
window.__refCloses = [];
function connect() {
  const ws = new WebSocket(wsUrl);
  window.__refSockets++;
  ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token, resumeFrom: lastSeq }));
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "welcome") {
      if (!message.resumed) loadSnapshot();
      return;
    }
    if (held) { held.push(message); return; }
    apply(message);
  };
  ws.onclose = (event) => {
    window.__refCloses.push(event.code);
    if (event.code !== 4401) setTimeout(connect, 100);
  };
  const ping = setInterval(() => {
    if (ws.readyState === 1) ws.send(JSON.stringify({ type: "ping", t: Date.now() }));
    if (ws.readyState === 3) clearInterval(ping);
  }, 15000);
}
connect();
