// Start PyScript so that the page runs under a Content-Security-Policy without
// 'unsafe-eval' (docs/HOSTING.md), and without PyScript watching every DOM
// mutation (pyscript-observer.mjs). index.html loads this module instead of
// PyScript's core.js; importing core.js here runs it exactly as before.
//
// PyScript 0.7.31 builds each worker hook ("hooks.worker.onReady" and the
// like) with Function(...) when it is read, and polyscript's Hook reads all
// of them for every <script type="py">, worker or not: the one place a page
// of ours would evaluate a string as code. This app runs Python on the main
// thread only and defines no worker hooks, so the ones PyScript registers for
// workers (pyscript.fs in a worker) are dropped before any script starts.
// Pyodide itself needs no eval: only 'wasm-unsafe-eval' to compile its wasm.
// If the app ever uses <script type="py" worker>, remove this and allow
// 'unsafe-eval' in the policy.
import "./pyodide-boot.mjs";  // starts fetching Pyodide's memory snapshot now, not when PyScript asks
import { quiet } from "./pyscript-observer.mjs";  // before core.js: it must see PyScript's observer made
import { hooks } from "../vendor/pyscript/dist/core.js";
import { step } from "./boot-progress.mjs";

quiet();
// The boot's progress: PyScript is ready once pydantic is loaded and the app's files are
// written; main.py's top level only schedules main(), so "after run" is the app started.
hooks.main.onReady.add(() => {
  step("python", "done");
  step("app", "loading");
});
hooks.main.onAfterRun.add(() => step("app", "done"));
hooks.main.onAfterRunAsync.add(() => step("app", "done"));
for (const set of Object.values(hooks.worker)) set.clear();
