// PyScript (polyscript) watches the whole document with one MutationObserver
// (childList, subtree and attributes) for <script type="py"> elements and
// py-* event attributes added after start, and runs an XPath query over every
// element added. This app adds neither after start, but it adds, moves and
// edits thousands of table rows: every one of those mutations went through
// that observer (measured at 10,000 deliveries: most of the main thread's
// time outside style and layout during a stream of updates, and most of the
// time to build the rows).
//
// So, while PyScript's core module evaluates (pyscript-csp.mjs imports this
// module first), the document-wide observers it creates are noted, and
// `quiet()` disconnects them once PyScript's own first scan of the page has
// found <script type="py">; those its plugins make later are disconnected as
// they are made. If the app ever adds Python scripts or py-* attributes after
// start, drop this.

const Native = globalThis.MutationObserver;
const watching = [];
let quieted = false;
// PyScript's own modules, wherever the build puts them (static/vendor/pyscript/dist/ here,
// runtime/<hash>/pyscript/dist/ in a build).
const PYSCRIPT = /\/pyscript\/dist\//;

class Noted extends Native {
  observe(target, options) {
    const wide = target === document && options && options.subtree;
    const result = super.observe(target, options);
    if (wide && PYSCRIPT.test(String(new Error().stack))) {
      if (quieted) this.disconnect();  // a plugin loaded later (py-editor): it watches for nothing we add
      else watching.push(this);
    }
    return result;
  }
}

globalThis.MutationObserver = Noted;

export function quiet() {
  // PyScript's first scan runs in a microtask queued by its module: a task later, it is done.
  // Noted stays in place: PyScript's plugins load later (py-editor watches every childList
  // change in the document and re-queries the whole page for editors 250 ms after each), and
  // their observers are disconnected as they are made. Every other observer is ordinary.
  setTimeout(() => {
    quieted = true;
    for (const observer of watching.splice(0)) observer.disconnect();
  }, 0);
}
