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
// found <script type="py">. If the app ever adds Python scripts or py-*
// attributes after start, drop this.

const Native = globalThis.MutationObserver;
const watching = [];

class Noted extends Native {
  observe(target, options) {
    if (target === document && options && options.subtree) watching.push(this);
    return super.observe(target, options);
  }
}

globalThis.MutationObserver = Noted;

export function quiet() {
  globalThis.MutationObserver = Native;
  // PyScript's first scan runs in a microtask queued by its module: a task later, it is done.
  setTimeout(() => {
    for (const observer of watching.splice(0)) observer.disconnect();
  }, 0);
}
