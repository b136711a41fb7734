// Rows written in batches: a panel in Python decides what every row shows and
// queues small edit operations; this applies one frame's worth in a single
// call. Each Python-to-page call goes through Pyodide's proxies and a
// delivery row needs about twenty, so 10,000 rows cost seconds that way and
// a few tens of milliseconds this way (bench/README.md, "Figures behind the code").
//
// Only a window of rows is in the document: the first few hundred in the
// panel's order, in the list's <tbody>. Every other row is kept, up to date,
// in a second <tbody> that is not in the document (parked). Measured in
// Chromium (bench/README.md, "Figures behind the code"): with 10,000 rows in
// one <tbody>, moving or hiding any shown row cost ten times the style and
// layout of 300 rows, even with most of them `hidden`. And while the parked
// rows were in the document (hidden), Chrome's autofill, which re-reads the
// page a moment after form controls come or go, walked them all, several
// times a second (a trace's ExtractFormsAndNotifyPasswordAutofillAgent
// tasks). Edits to parked rows
// cost next to nothing. `tables` lists the live tables, so tools (the
// benchmark's probe, the tests) can find the parked rows.
//
// A row's form controls (its id <button> and two <select>s) are in the
// document only while the row is shown. Chrome's autofill re-reads every
// form control in the page a moment after controls come or go; with three
// per row and 10,000 rows that took a long task each time, several times a
// second during a stream of updates (measured in a trace:
// ExtractFormsAndNotifyPasswordAutofillAgent). A parked row keeps its
// controls aside, up to date, and gets them back when it is shown again.
//
// Text only ever goes in through textContent and setAttribute: no operation
// parses HTML. The operations are defined once, in app/web/row_ops.py (OPS,
// name -> code), which writes them and hands this module the table of codes:
//
//   [new, id]                      new row, parked: a clone of the prototype, data-id set
//   [window, [id, ...]]            the window: exactly these rows, in this order, are shown
//   [remove, id]
//   [text, id, target, text]       textContent
//   [attr, id, target, name, value] setAttribute; value null removes it
//   [class, id, target, className]
//   [select, id, target, value, label] show a value in a row's lazily filled <select>
//   [flash, id]                    flash the row (a brief highlight) if it is shown, capped
//
// A target is -1 for the row itself, else cell * 4 + part, where part 0 is
// the cell, 1 its first child and 2 its last child; or [cell, part, i, j...]:
// from that, the i-th element child, then its j-th, and so on.

const FLASH_MS = 1200;

export const tables = new Set();

export class RowTable {
  constructor(body, parked, prototype, idCell, controlCells, flashCap, codes) {
    this.op = JSON.parse(codes);  // name -> code (app/web/row_ops.py OPS)
    this.body = body;
    this.parked = parked;
    this.prototype = prototype.cloneNode(true);
    this.idCell = idCell;
    // [cell index, a control to clone]: each cell's first child, taken out of the row prototype (see above).
    this.controls = controlCells.map((index) => {
      const control = this.prototype.cells[index].firstElementChild;
      control.remove();
      return [index, control];
    });
    this.flashCap = flashCap;
    this.rows = new Map();
    this.flashing = new Map();
    this.flashTimer = 0;
    tables.add(this);
  }

  node(id) { return this.rows.get(id) || null; }

  apply(json) {
    const ops = JSON.parse(json);
    const rows = this.rows;
    const op_ = this.op;
    const flashes = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      const kind = op[0];
      if (kind === op_.new) { this.create(op[1]); continue; }
      if (kind === op_.window) { this.window(op[1]); continue; }
      const tr = rows.get(op[1]);
      if (!tr) continue;
      if (kind === op_.remove) { tr.remove(); rows.delete(op[1]); this.flashing.delete(op[1]); continue; }
      if (kind === op_.flash) { flashes.push(op[1]); continue; }
      const node = this.target(tr, op[2]);
      if (!node) continue;
      switch (kind) {
        case op_.text: node.textContent = op[3]; break;
        case op_.attr:
          if (op[4] === null) node.removeAttribute(op[3]);
          else node.setAttribute(op[3], op[4]);
          break;
        case op_.class: node.className = op[3]; break;
        case op_.select: showCurrent(node, op[3], op[4]); break;
        default: throw new Error(`unknown row operation ${kind}`);
      }
    }
    // After the window moved: only a row on show is highlighted.
    for (const id of flashes) {
      const tr = rows.get(id);
      if (tr && tr.parentNode === this.body) this.flash(id, tr);
    }
  }

  create(id) {
    if (this.rows.has(id)) return;
    const tr = this.prototype.cloneNode(true);
    tr.setAttribute("data-id", id);
    tr.hidden = true;
    tr.dcControls = this.controls.map(([, control]) => control.cloneNode(true));
    this.target(tr, this.idCell * 4 + 1).textContent = id;
    this.rows.set(id, tr);
    this.parked.appendChild(tr);
  }

  // Show exactly `ids`, in that order, moving as few rows as it can: the
  // rows already shown in the right relative order (a longest increasing
  // run of their positions) stay; the others are moved or brought in, and
  // rows no longer wanted are parked.
  window(ids) {
    const body = this.body;
    const want = [];
    const wanted = new Set();
    for (const id of ids) {
      const tr = this.rows.get(id);
      if (tr && !wanted.has(tr)) { want.push(tr); wanted.add(tr); }
    }
    for (const tr of Array.from(body.children)) {
      if (!wanted.has(tr)) {
        tr.hidden = true;
        for (const control of tr.dcControls) control.remove();
        this.parked.appendChild(tr);
        this.flashing.delete(tr.getAttribute("data-id"));
        tr.classList.remove("flash");
      }
    }
    const position = new Map();
    let index = 0;
    for (const tr of body.children) position.set(tr, index++);
    const keep = increasingRun(want.map((tr) => (position.has(tr) ? position.get(tr) : -1)));
    let next = null;
    for (let k = want.length - 1; k >= 0; k--) {
      const tr = want[k];
      if (!keep.has(k)) {
        if (tr.parentNode !== body) this.controls.forEach(([index], n) => tr.cells[index].prepend(tr.dcControls[n]));
        body.insertBefore(tr, next);
        tr.hidden = false;
      }
      next = tr;
    }
  }

  // A live change highlights its row for a moment. Above flashCap rows at
  // once (a burst of hundreds a second), new ones are not highlighted: a
  // screen of flashing rows tells a coordinator nothing. (The fade is drawn
  // inside the row, so a row out of view costs no frame: deliveries.css.)
  flash(id, tr) {
    const until = performance.now() + FLASH_MS;
    if (this.flashing.has(id)) {
      this.flashing.set(id, until);
      return;
    }
    if (this.flashing.size >= this.flashCap) return;
    this.flashing.set(id, until);
    tr.classList.add("flash");
    if (!this.flashTimer) this.flashTimer = setTimeout(() => this.unflash(), FLASH_MS);
  }

  unflash() {
    this.flashTimer = 0;
    const now = performance.now();
    let next = Infinity;
    for (const [id, until] of this.flashing) {
      if (until <= now + 20) {
        this.flashing.delete(id);
        const tr = this.rows.get(id);
        if (tr) tr.classList.remove("flash");
      } else if (until < next) next = until;
    }
    if (next !== Infinity) this.flashTimer = setTimeout(() => this.unflash(), Math.max(50, next - now));
  }

  clear() {
    clearTimeout(this.flashTimer);
    this.flashTimer = 0;
    this.flashing.clear();
    for (const tr of this.rows.values()) tr.remove();
    this.rows.clear();
    tables.delete(this);
  }

  target(tr, code) {
    if (Array.isArray(code)) {
      let node = this.target(tr, code[0] * 4 + code[1]);
      for (let k = 2; k < code.length && node; k++) node = node.children[code[k]];
      return node || null;
    }
    if (code < 0) return tr;
    const index = code >> 2;
    const part = code & 3;
    if (part === 1) {  // a control cell's first child is its control, in the row or set aside
      const n = this.controls.findIndex(([i]) => i === index);
      if (n >= 0) return tr.dcControls[n];
    }
    const cell = tr.cells[index];
    if (!cell) return null;
    return part === 1 ? cell.firstChild : part === 2 ? cell.lastChild : cell;
  }
}

// The indices of a longest strictly increasing run in `values`, skipping -1
// (patience sorting, O(n log n)).
export function increasingRun(values) {
  const tails = [];   // tails[l]: index in values of the smallest tail of a run of length l + 1
  const before = new Array(values.length).fill(-1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < 0) continue;
    let lo = 0, hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[tails[mid]] < v) lo = mid + 1; else hi = mid;
    }
    if (lo > 0) before[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const keep = new Set();
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = before[i]) keep.add(i);
  return keep;
}


// A row's <select> holds just its current option until the user reaches it
// (then Python fills every option and marks it data-filled): show `value`
// among the filled options, or as that single option.
function showCurrent(select, value, label) {
  if (select.getAttribute("data-filled") === "true") {
    select.value = value;
    if (select.value === value) return;
    select.replaceChildren(document.createElement("option"));
    select.removeAttribute("data-filled");
  }
  const option = select.firstChild;
  option.value = value;
  option.textContent = label;
  select.value = value;
}

export function rowTable(body, parked, prototype, idCell, controlCells, flashCap, codes) {
  return new RowTable(body, parked, prototype, idCell, controlCells, flashCap, codes);
}
