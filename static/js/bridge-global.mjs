// Expose the bridge, the row writer and the map's writer to Python as globals, so the app does
// not depend on PyScript's js_modules loader for its hot paths.
import * as bridge from "./bridge.mjs";
import * as rows from "./rows.mjs";
import * as map from "./map.mjs";
globalThis.dcBridge = bridge;
globalThis.dcRows = rows;
globalThis.dcMap = map;
