// Expose the bridge to Python as a global, so the app does not depend on
// PyScript's js_modules loader for its hot path.
import * as bridge from "./bridge.mjs";
globalThis.dcBridge = bridge;
