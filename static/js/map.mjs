// The map's marks written in batches: Python (app/web/map_canvas.py) decides
// what every mark shows and queues small operations; this applies one
// frame's worth in a single call, as rows.mjs does for the deliveries table.
// Each Python-to-page call costs microseconds through Pyodide's proxies, and
// 500 location events a second would otherwise be a few thousand of them.
//
// Text only ever goes in through textContent and setAttribute: no operation
// parses HTML. The operations and the marks' shapes are defined once, in
// app/web/map_canvas.py (OPS and TEMPLATES), which hands both to this module:
//
//   [put, kind, id, {attr: value|null}, {part: {attr: value|null}}, [x, y, heading]|null]
//                       make the mark if new (a clone of its kind's template, appended
//                       to its kind's layer), then set attributes on it and on its
//                       parts (its descendants in document order; "#text" sets text);
//                       the last item is where the painter draws it (world units)
//   [drop, kind, id]    remove the mark
//   [view, viewBox]     the svg's viewBox (markers are drawn for the view's scale in Python)
//   [link, x1, y1, x2, y2]  the selection's line (x1 null hides it)
//
// The SVG's markers are hooks and hit targets that map.css leaves unpainted: what they look
// like is painted on one <canvas> by map-paint.mjs, after each batch (see there why).

import {Painter} from "./map-paint.mjs";

const SVG = "http://www.w3.org/2000/svg";

function build(spec) {
  const [tag, attrs, children] = spec;
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children || []) node.appendChild(build(child));
  return node;
}

function setAll(node, attrs) {
  for (const name in attrs) {
    const value = attrs[name];
    if (name === "#text") node.textContent = value;
    else if (value === null) node.removeAttribute(name);
    else node.setAttribute(name, value);
  }
}

export class MapCanvas {
  constructor(svg, layers, link, templates, codes, paint, looks) {
    this.op = JSON.parse(codes);
    this.painter = paint ? new Painter(paint, JSON.parse(looks)) : null;
    // Focus shows on the canvas: the marker under visible focus is painted raised.
    this.onFocus = (event) => {
      const node = event.target;
      if (!this.painter) return;
      if (event.type === "focusin" && node.dcKind && node.matches(":focus-visible")) this.painter.focus(node.dcKind, node.dcId);
      else this.painter.focus(null, null);
    };
    // On the svg's HTML parent (the map's frame): Chromium makes an <svg> with focus listeners a tab stop.
    this.focusRoot = svg.parentNode || svg;
    this.focusRoot.addEventListener("focusin", this.onFocus);
    this.focusRoot.addEventListener("focusout", this.onFocus);
    this.svg = svg;
    this.layers = layers;  // kind -> <g>
    this.link = link;
    this.templates = {};
    for (const [kind, spec] of Object.entries(JSON.parse(templates))) this.templates[kind] = build(spec);
    this.marks = new Map();  // "kind\u0000id" -> element (with .dcParts)
  }

  node(kind, id) { return this.marks.get(kind + "\u0000" + id) || null; }

  apply(json) {
    const ops = JSON.parse(json);
    const op_ = this.op;
    const painter = this.painter;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      const code = op[0];
      if (code === op_.put) {
        this.put(op[1], op[2], op[3], op[4]);
        if (painter && op[5]) painter.put(op[1], op[2], op[3], op[5]);
      } else if (code === op_.drop) {
        const key = op[1] + "\u0000" + op[2];
        const node = this.marks.get(key);
        if (node) { node.remove(); this.marks.delete(key); }
        if (painter) painter.drop(op[1], op[2]);
      } else if (code === op_.view) {
        this.svg.setAttribute("viewBox", op[1]);
        if (painter) painter.setView(op[1]);
      } else if (code === op_.link) {
        if (painter) painter.setLine(op[1] === null ? null : op.slice(1, 5));
        if (op[1] === null) this.link.setAttribute("hidden", "");
        else {
          this.link.setAttribute("x1", op[1]); this.link.setAttribute("y1", op[2]);
          this.link.setAttribute("x2", op[3]); this.link.setAttribute("y2", op[4]);
          this.link.removeAttribute("hidden");
        }
      } else throw new Error(`unknown map operation ${code}`);
    }
    if (painter && painter.dirty) painter.paint();  // a batch is a frame's worth: painted once
  }

  put(kind, id, attrs, parts) {
    const key = kind + "\u0000" + id;
    let node = this.marks.get(key);
    if (!node) {
      node = this.templates[kind].cloneNode(true);
      node.setAttribute("data-id", id);
      node.dcKind = kind; node.dcId = id;
      node.dcParts = Array.from(node.querySelectorAll("*"));
      this.marks.set(key, node);
      this.layers[kind].appendChild(node);
    }
    setAll(node, attrs);
    if (parts) for (const index in parts) setAll(node.dcParts[index], parts[index]);
  }

  clear() {
    for (const node of this.marks.values()) node.remove();
    this.marks.clear();
    this.focusRoot.removeEventListener("focusin", this.onFocus);
    this.focusRoot.removeEventListener("focusout", this.onFocus);
    if (this.painter) this.painter.close();
  }
}

export function mapCanvas(svg, layers, link, templates, codes, paint, looks) {
  const byKind = {};
  for (const [kind, layer] of Object.entries(layers)) byKind[kind] = layer;
  return new MapCanvas(svg, byKind, link, templates, codes, paint, looks);
}
