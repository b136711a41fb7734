// The interpreter module PyScript loads (pyscript.toml's `interpreter`): the
// vendored Pyodide, started from its memory snapshot when there is one.
//
// scripts/snapshot.py makes two files next to the runtime:
// - snapshot.bin, the wasm heap of a Pyodide that has already started CPython.
//   Restoring it skips that start (most of the runtime's load: bench/README.md).
// - pycache.zip, the vendored wheels compiled to bytecode, unpacked over the
//   installed packages so that importing pydantic compiles nothing.
// Without them (a setup with no Chromium), with `?snapshot=0` in the page's
// URL, or when restoring fails (a snapshot from another runtime), Pyodide
// starts the ordinary way. How it went is in `globalThis.dcBoot`: `snapshot`
// and `pycache` are "used", "absent", "off" or "failed".
//
// pyscript-csp.mjs imports this module first thing, so both are fetched
// while PyScript itself loads.
import * as pyodideModule from "../vendor/pyodide/pyodide.mjs";

export const version = pyodideModule.version;

const RUNTIME = import.meta.resolve("../vendor/pyodide/pyodide.mjs").replace(/[^/]*$/, "");
// Every page restored from one snapshot would draw the same "random" numbers
// (the backoff's jitter among them): reseed from the browser's entropy.
const AFTER_RESTORE = "import random\nrandom.seed()";
const PYCACHE = "/tmp/dc-pycache.zip";
const UNPACK = `import os, site, zipfile
with zipfile.ZipFile("${PYCACHE}") as archive:
    archive.extractall(site.getsitepackages()[0])
os.remove("${PYCACHE}")`;

// The boot's progress (boot-progress.mjs, loaded first by index.html); absent elsewhere.
const step = (name, state) => globalThis.dcBootStep?.(name, state);
step("runtime", "loading");

const wanted = new URLSearchParams(location.search).get("snapshot") !== "0";
const initial = wanted ? "absent" : "off";
const boot = (globalThis.dcBoot = { snapshot: initial, pycache: initial, pyodide: null });
const snapshotBytes = wanted ? fetchBytes("snapshot.bin") : Promise.resolve(null);
const pycacheBytes = wanted ? fetchBytes("pycache.zip") : Promise.resolve(null);

// pyscript.toml's `packages` (tests/test_build.py checks the two agree): PyScript asks
// Pyodide for them only once the interpreter is up. Fetching their wheels now, while the
// runtime downloads, leaves them in the HTTP cache (the runtime folder is immutable), so
// that request is served from there instead of waiting for the line.
export const PACKAGES = ["pydantic"];
warmPackages();

async function warmPackages() {
  try {
    const lock = await (await fetch(RUNTIME + "pyodide-lock.json")).json();
    const seen = new Set();
    const visit = (name) => {
      const entry = lock.packages[name.toLowerCase()];
      if (!entry || seen.has(name)) return;
      seen.add(name);
      (entry.depends || []).forEach(visit);
    };
    PACKAGES.forEach(visit);
    await Promise.all([...seen].map(async (name) => {
      const file = lock.packages[name.toLowerCase()].file_name;
      if (/^[\w.+-]+\.whl$/.test(file)) await (await fetch(RUNTIME + file)).arrayBuffer();
    }));
  } catch {
    // Only a head start: Pyodide fetches what it needs anyway.
  }
}

async function fetchBytes(name) {
  try {
    const response = await fetch(RUNTIME + name);
    return response.ok ? new Uint8Array(await response.arrayBuffer()) : null;
  } catch {
    return null;
  }
}

// PyScript passes indexURL as the directory of this module; the runtime's own
// files are next to pyodide.mjs (static/vendor/pyodide/ here, runtime/<hash>/pyodide/
// in a build), so that is what Pyodide gets.
export async function loadPyodide(options = {}) {
  let pyodide;
  try {
    pyodide = boot.pyodide = await start({ ...options, indexURL: RUNTIME });
  } catch (error) {
    step("runtime", "failed");
    throw error;
  }
  step("runtime", "done");
  step("python", "loading");
  const pycache = await pycacheBytes;
  if (pycache) {
    try {
      pyodide.FS.writeFile(PYCACHE, pycache);
      pyodide.runPython(UNPACK);
      boot.pycache = "used";
    } catch (error) {
      boot.pycache = "failed";
      console.warn("The precompiled wheels could not be unpacked; Python compiles them:", error);
    }
  }
  return pyodide;
}

// The snapshot's bytes go to loadPyodide as a promise: Pyodide starts fetching its wasm,
// asm.mjs, stdlib and lock file at once and awaits the snapshot only to instantiate, so the
// downloads run side by side instead of one after the other (on a cable line the wasm
// used to start only when the snapshot was in: bench/README.md, "Figures behind the code").
class Absent extends Error {}

async function start(settings) {
  if (wanted) {
    const snapshot = snapshotBytes.then((bytes) => {
      if (!bytes) throw new Absent("no snapshot");
      return bytes;
    });
    try {
      const pyodide = await pyodideModule.loadPyodide({ ...settings, _loadSnapshot: snapshot });
      pyodide.runPython(AFTER_RESTORE);
      boot.snapshot = "used";
      return pyodide;
    } catch (error) {
      if (!(error instanceof Absent)) {
        boot.snapshot = "failed";
        console.warn("Pyodide's memory snapshot could not be restored; starting without it:", error);
      }
    }
  }
  return pyodideModule.loadPyodide(settings);
}
