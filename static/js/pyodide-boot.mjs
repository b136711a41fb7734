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
// pydantic-core's extension module is compiled from its own URL (a `.wasm`
// moved out of the wheel, scripts/vendor.py's dynlibs) with `compileStreaming`, so
// Chromium's code cache serves it on a warm load; Pyodide would compile the
// bytes it unpacks from the wheel, which no cache serves. After the restore
// the module is instantiated the way Emscripten's own preload plugin does
// (`Module.loadWebAssemblyModule` into `Module.preloadedWasm[path]`), and
// `dlopen` of that path takes it from there. `dcBoot.dynlibs`: "used",
// "absent", "off" (`?dynlibs=0`: its bytes are instantiated, as Pyodide does) or
// "failed" (the same, after a warning).
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

const query = new URLSearchParams(location.search);
const wanted = query.get("snapshot") !== "0";
const streamed = query.get("dynlibs") !== "0";
const initial = wanted ? "absent" : "off";
const boot = (globalThis.dcBoot = { snapshot: initial, pycache: initial, dynlibs: streamed ? "absent" : "off",
                                    pyodide: null });
const snapshotBytes = wanted ? fetchBytes("snapshot.bin") : Promise.resolve(null);
const pycacheBytes = wanted ? fetchBytes("pycache.zip") : Promise.resolve(null);
const lockFile = fetch(RUNTIME + "pyodide-lock.json").then((answer) => answer.json());
lockFile.catch(() => {});  // each user says what a missing lock means

// pyscript.toml's `packages` (tests/test_build.py checks the two agree): PyScript asks
// Pyodide for them only once the interpreter is up. Fetching their wheels now, while the
// runtime downloads, leaves them in the HTTP cache (the runtime folder is immutable), so
// that request is served from there instead of waiting for the line.
export const PACKAGES = ["pydantic"];
warmPackages();
const dynlibsCompiled = compileDynlibs();

// PACKAGES and what they depend on, by their lock key.
function closure(lock) {
  const seen = new Set();
  const visit = (name) => {
    const entry = lock.packages[name.toLowerCase()];
    if (!entry || seen.has(name)) return;
    seen.add(name);
    (entry.depends || []).forEach(visit);
  };
  PACKAGES.forEach(visit);
  return [...seen];
}

// [{path (in site-packages), file, module}] for every dynlib the packages list; module is
// null with ?dynlibs=0 or when compiling failed (the bytes are instantiated then, as Pyodide would).
async function compileDynlibs() {
  let listed = [];
  try {
    const lock = await lockFile;
    listed = closure(lock).flatMap((name) => lock.packages[name.toLowerCase()].dc_dynlibs || [])
      .filter((entry) => /^[\w.+-]+\.wasm$/.test(entry.file));
  } catch {
    return [];  // no lock: Pyodide cannot load the packages either, and says so
  }
  return Promise.all(listed.map(async (entry) => {
    let module = null;
    if (streamed) {
      try {
        module = await WebAssembly.compileStreaming(fetch(RUNTIME + entry.file));
      } catch (error) {
        boot.dynlibs = "failed";
        console.warn(`${entry.file} could not be compiled from its URL; instantiating its bytes:`, error);
      }
    }
    return { ...entry, module };
  }));
}

// Put each dynlib where its wheel had it (vendor.py moved it out): instantiated as Emscripten's
// preload plugin does, into preloadedWasm, where dlopen of that path takes it; the file in the
// file system is then an empty marker for Python's import system. Without the hook (another
// Pyodide), the bytes go into the file and Pyodide's dlopen compiles them itself.
async function preloadDynlibs(pyodide) {
  const entries = await dynlibsCompiled;
  if (!entries.length) return;
  const module = pyodide._module;
  const hooked = typeof module?.loadWebAssemblyModule === "function" && typeof module.preloadedWasm === "object"
    && typeof module.PATH?.normalize === "function";
  const site = pyodide.runPython("import site; site.getsitepackages()[0]");
  for (const entry of entries) {
    const name = `${site}/${entry.path}`;
    pyodide.FS.mkdirTree(name.replace(/\/[^/]*$/, ""));
    let wasm = hooked ? entry.module : null;
    try {
      wasm ??= await fetchBytes(entry.file, true);
      if (!hooked) {
        boot.dynlibs = "failed";
        console.warn(`Pyodide ${version} has no preloadedWasm hook: dlopen compiles ${entry.file}`);
        pyodide.FS.writeFile(name, wasm);
        continue;
      }
      const path = module.PATH.normalize(name);
      module.preloadedWasm[path] = await module.loadWebAssemblyModule(wasm, { loadAsync: true, nodelete: true },
                                                                      path, {});
      pyodide.FS.writeFile(name, new Uint8Array(0));
    } catch (error) {
      boot.dynlibs = "failed";
      throw new Error(`${entry.file} could not be loaded: ${error}`);
    }
  }
  if (streamed && boot.dynlibs === "absent") boot.dynlibs = "used";
}

async function warmPackages() {
  try {
    const lock = await lockFile;
    const seen = closure(lock);
    await Promise.all(seen.map(async (name) => {
      const file = lock.packages[name.toLowerCase()].file_name;
      if (/^[\w.+-]+\.whl$/.test(file)) await (await fetch(RUNTIME + file)).arrayBuffer();
    }));
  } catch {
    // Only a head start: Pyodide fetches what it needs anyway.
  }
}

async function fetchBytes(name, required = false) {
  try {
    const response = await fetch(RUNTIME + name);
    if (response.ok) return new Uint8Array(await response.arrayBuffer());
    if (required) throw new Error(`HTTP ${response.status}`);
  } catch (error) {
    if (required) throw error;
  }
  return null;
}

// PyScript passes indexURL as the directory of this module; the runtime's own
// files are next to pyodide.mjs (static/vendor/pyodide/ here, runtime/<hash>/pyodide/
// in a build), so that is what Pyodide gets.
//
// PyScript hands its `packages` (pyscript.toml, "passthrough") to loadPyodide, which would
// load them before this module could preload pydantic-core: they are loaded here instead,
// right after the preload, as quietly as Pyodide does.
export async function loadPyodide({ packages = [], ...options } = {}) {
  let pyodide;
  try {
    pyodide = boot.pyodide = await start({ ...options, indexURL: RUNTIME });
  } catch (error) {
    step("runtime", "failed");
    throw error;
  }
  step("runtime", "done");
  step("python", "loading");
  const began = performance.now();
  await preloadDynlibs(pyodide);
  if (packages.length) await pyodide.loadPackage(packages, { messageCallback() {} });
  performance.measure("dc-packages", { start: began });  // pydantic in, its extension loaded (bench, tests)
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

// Pyodide instantiates a whole runtime, its memory sized by the snapshot, before it reads the
// snapshot's header; a file that is not this runtime's snapshot (a cache's error page, a cut
// download, another Pyodide build's) would leave a second runtime in the page when Pyodide
// then starts the ordinary way (CI once saw the renderer crash on that path). The header
// (Pyodide's makeSnapshot: magic, header size, JSON size, 0, build id as 8 little-endian
// words) is checked here first.
const SNAPSHOT_MAGIC = 1886286592;  // Pyodide's "\0dop"
const HEADER_BYTES = 48;
const WASM_PAGE = 65536;

// The runtime's build id: a default in pyodide.mjs's config (the module is already in the
// cache: it is imported above). null when it cannot be read (another Pyodide): Pyodide's
// own check still applies.
const runtimeBuild = !wanted ? Promise.resolve(null) : fetch(RUNTIME + "pyodide.mjs").then((answer) => answer.text())
  .then((source) => source.match(/BUILD_ID:"([0-9a-f]{64})"/)?.[1] ?? null, () => null);

function snapshotFault(bytes, build) {
  if (bytes.byteLength < HEADER_BYTES + WASM_PAGE) return `${bytes.byteLength} bytes`;
  const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const word = (index) => header.getUint32(4 * index, true);
  const [magic, size, json] = [word(0), word(1), word(2)];
  if (magic !== SNAPSHOT_MAGIC) return "wrong magic number";
  if (size < HEADER_BYTES || size % 16 || json > size - HEADER_BYTES) return "bad header";
  if ((bytes.byteLength - size) % WASM_PAGE) return "heap not whole wasm pages";
  const made = Array.from({ length: 8 }, (_, index) => word(4 + index).toString(16).padStart(8, "0")).join("");
  if (build && made !== build) return `made by Pyodide build ${made.slice(0, 12)}…, this is ${build.slice(0, 12)}…`;
  return null;
}

async function start(settings) {
  if (wanted) {
    const snapshot = Promise.all([snapshotBytes, runtimeBuild]).then(([bytes, build]) => {
      if (!bytes) throw new Absent("no snapshot");
      const wrong = snapshotFault(bytes, build);
      if (wrong) throw new Error(`not a snapshot of this runtime (${wrong})`);
      return bytes;
    });
    snapshot.catch(() => {});  // handled below; Pyodide may not await it before failing otherwise
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
