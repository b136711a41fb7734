// The boot's visible progress: four steps (runtime, Python, app, data), each with
// its state and the bytes it has transferred, in <ol data-testid=boot-progress>.
//
// Bytes come from the browser's resource timing (encodedBodySize: what crossed the
// wire for the body, 0 when served from the cache), sorted into the steps by URL.
// States are set by the modules that know: pyodide-boot.mjs (runtime), pyscript-csp.mjs
// (Python, app: PyScript's main hooks), early.mjs (data: html[data-app-state]).

export const STEPS = [
  ["runtime", "Runtime"],
  ["python", "Python packages"],
  ["app", "App"],
  ["data", "Deliveries"],
];
const bytes = Object.fromEntries(STEPS.map(([name]) => [name, 0]));
const states = Object.fromEntries(STEPS.map(([name]) => [name, "waiting"]));

export function stepOf(url) {
  const path = new URL(url, location.href).pathname;
  if (/\/api\/|\/snapshot$/.test(path) && !path.endsWith("snapshot.bin")) return "data";
  if (/\.whl$|pycache\.zip$|pyodide-lock\.json$|-[0-9a-f]{16}\.wasm$/.test(path)) return "python";
  if (/\/pyodide\/|\/pyscript\/|pyodide-boot\.mjs$/.test(path)) return "runtime";
  return "app";
}

function megabytes(n) {
  return n >= 100_000 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1000)} kB`;
}

function render() {
  const list = document.getElementById("boot-steps");
  if (!list) return;
  for (const [name, label] of STEPS) {
    let item = list.querySelector(`[data-step="${name}"]`);
    if (!item) {
      item = document.createElement("li");
      item.dataset.step = name;
      list.append(item);
    }
    item.dataset.state = states[name];
    item.textContent = bytes[name] ? `${label} · ${megabytes(bytes[name])}` : label;
  }
}

export function step(name, state) {
  if (!(name in states) || states[name] === "done" && state !== "failed") return;
  states[name] = state;
  render();
}

export function stateOf(name) {
  return states[name];
}

function count(entries) {
  for (const entry of entries) bytes[stepOf(entry.name)] += entry.encodedBodySize || 0;
  render();
}

if (typeof PerformanceObserver === "function") {
  try {
    new PerformanceObserver((list) => count(list.getEntries())).observe({ type: "resource", buffered: true });
  } catch {
    // No resource timing: the steps show without their bytes.
  }
}
// pyodide-boot.mjs may import nothing but the runtime (scripts/build.py), so it calls this.
globalThis.dcBootStep = step;
globalThis.dcBootSteps = { states, bytes };
render();
