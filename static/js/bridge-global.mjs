// Expose the bridge and the row writer to Python as globals, so the app does
// not depend on PyScript's js_modules loader for its hot paths.
import * as bridge from "./bridge.mjs";
import * as rows from "./rows.mjs";
globalThis.dcBridge = bridge;
globalThis.dcRows = rows;
