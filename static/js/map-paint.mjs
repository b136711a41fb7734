// The map's markers painted on two canvases: the pins, the zones' names and the selection's line under,
// the staff dots (with their headings) over, so that people moving repaint only theirs.
//
// Why canvases: with the markers as ~2,000 painted SVG shapes, Chromium rasterised the whole map again
// on every frame in which one of them moved, and that took a raster thread's whole time at 500 moves a
// second; the compositor then held back the page's frames (bench/README.md, "What moved the map").
// Here a marker is one blit of a small pre-drawn image (an ImageBitmap per look), and each layer's
// raster is one image.
//
// The SVG keeps every marker as an element with the hooks (data-testid, data-id, data-lat, ...), its
// accessible name, tabindex and its shape for hit testing, but map.css paints none of them; this paints
// what they look like, from the same operations (map.mjs calls put, drop, view, line). It reads the
// theme's colours from the CSS variables, again when the colour scheme changes. Sizes are the ones the
// SVG shapes are drawn at (app/web/map_canvas.py hands them over: LOOKS), in CSS pixels.

const STATUS_FILL = {available: "--dot-ok", on_delivery: "--dot-info", on_break: "--dot-warn", offline: "--dot-idle"};
const VARIABLES = ["--surface", "--text", "--accent", "--bad", "--dot-bad", "--dot-ok", "--dot-info", "--dot-warn",
                   "--dot-idle", "--font"];
const MARGIN = 40;  // CSS pixels outside the canvas where a marker may still show a part
const UNDER_EVERY_MS = 250;  // a pin that went away is erased within this
const FOCUS_GAP = 3;  // CSS pixels between a focused marker and its focus ring
const HEADING_STEP = 5;  // degrees: a heading is drawn to the nearest of these (72 looks a status)

export class Painter {
  constructor(canvas, looks) {
    // Two layers: the pins, names and line under; the staff over. 500 people moving repaint only theirs.
    this.under = canvas;
    canvas.dcPainter = this;  // for tests and diagnostics
    this.over = canvas.cloneNode(false);
    canvas.after(this.over);
    this.looks = looks;
    this.pinPath = new Path2D(looks.pin);
    this.pins = new Map();    // id -> {x, y, late, sel}
    this.staff = new Map();   // id -> {x, y, h, status, sel}
    this.labels = new Map();  // id -> {x, y, text}
    this.view = null;         // the SVG's viewBox: [x, y, width, height]
    this.line = null;         // the selection's line: [x1, y1, x2, y2] in world units
    this.focused = null;      // [kind, id] of the marker with visible focus
    this.size = [0, 0, 1];    // CSS width, CSS height, device pixels per CSS pixel
    this.colors = null;
    this.sprites = new Map();
    this.dirtyUnder = false;  // the under layer is painted again now
    this.stale = false;       // ... or within UNDER_EVERY_MS: a pin went away or changed (see paint)
    this.added = [];          // pins new since the last paint: drawn on top at once
    this.lastUnder = -Infinity;
    this.timer = null;
    this.dirtyOver = false;
    this.painted = {under: 0, added: 0, over: 0};  // what paint did (diagnostics, tests)
    this.observer = new ResizeObserver((entries) => this.resized(entries[entries.length - 1].contentRect));
    this.observer.observe(canvas);
    this.scheme = matchMedia("(prefers-color-scheme: dark)");
    this.onScheme = () => { this.colors = null; this.sprites.clear(); this.paintAll(); };
    this.scheme.addEventListener("change", this.onScheme);
  }

  get dirty() { return this.dirtyUnder || this.dirtyOver || this.added.length > 0 || this.stale; }

  put(kind, id, attrs, where) {
    const k = this.looks.kinds;
    // A put carries only the attributes that changed since the mark's last put (map_canvas.put_mark).
    const flag = (name, was) => (name in attrs ? attrs[name] === "true" : was);
    if (kind === k.pin) {
      const mark = this.pins.get(id);
      const late = flag("data-late", mark ? mark.late : false), sel = flag("data-selected", mark ? mark.sel : false);
      if (mark && mark.x === where[0] && mark.y === where[1] && mark.late === late && mark.sel === sel) return;
      const pin = {x: where[0], y: where[1], late, sel};
      this.pins.set(id, pin);
      if (sel || (mark && mark.sel)) this.dirtyUnder = true;  // the user's own act: shown at once
      else if (mark) this.stale = true;
      else this.added.push(pin);
    } else if (kind === k.staff) {
      const mark = this.staff.get(id);
      const status = "data-status" in attrs ? attrs["data-status"] : mark && mark.status, h = where[2];
      const sel = flag("data-selected", mark ? mark.sel : false);
      if (mark && mark.x === where[0] && mark.y === where[1] && mark.h === h && mark.status === status
          && mark.sel === sel) return;
      this.staff.set(id, {x: where[0], y: where[1], h, status, sel});
      this.dirtyOver = true;
    } else if (kind === k.label) {
      const label = this.labels.get(id);
      this.labels.set(id, {x: where[0], y: where[1], text: "#text" in attrs ? attrs["#text"] : label && label.text});
      this.dirtyUnder = true;
    }
  }

  drop(kind, id) {
    const k = this.looks.kinds;
    if (kind === k.staff) {
      if (this.staff.delete(id)) this.dirtyOver = true;
    } else if (kind === k.pin) {
      if (this.pins.delete(id)) this.stale = true;
    } else if (kind === k.label && this.labels.delete(id)) this.dirtyUnder = true;
  }

  setView(viewBox) {
    this.view = viewBox.split(/[\s,]+/).map(Number);
    this.dirtyUnder = this.dirtyOver = true;
  }

  setLine(line) {
    this.line = line;
    this.dirtyUnder = true;
  }

  focus(kind, id) {
    this.focused = kind === null ? null : [kind, id];
    this.paintAll();
  }

  resized(rect) {
    const dpr = window.devicePixelRatio || 1;
    const width = Math.round(rect.width * dpr), height = Math.round(rect.height * dpr);
    for (const canvas of [this.under, this.over]) {
      if (canvas.width !== width) canvas.width = width;
      if (canvas.height !== height) canvas.height = height;
    }
    if (dpr !== this.size[2]) this.sprites.clear();
    this.size = [rect.width, rect.height, dpr];
    this.paintAll();
  }

  close() {
    clearTimeout(this.timer);
    this.observer.disconnect();
    this.scheme.removeEventListener("change", this.onScheme);
    this.pins.clear(); this.staff.clear(); this.labels.clear();
    this.paintAll();
    this.over.remove();
  }

  // --- drawing -------------------------------------------------------------------------------------

  paintAll() {
    this.dirtyUnder = this.dirtyOver = true;
    this.paint();
  }

  // World units to CSS pixels as the SVG's viewBox with preserveAspectRatio="xMidYMid meet" places them,
  // and the box a marker must touch to be painted; null before the size and the view are known.
  transform() {
    const [width, height, dpr] = this.size;
    if (!(width > 0 && height > 0) || this.view === null) return null;
    const [vx, vy, vw, vh] = this.view;
    const scale = Math.min(width / vw, height / vh);
    return {scale, ox: (width - vw * scale) / 2 - vx * scale, oy: (height - vh * scale) / 2 - vy * scale,
            x0: -MARGIN, y0: -MARGIN, x1: width + MARGIN, y1: height + MARGIN, dpr};
  }

  // The staff layer is painted whenever someone moved. The pins' layer is painted whole when the view,
  // the size, the selection, the focus or the names change; a new pin is drawn on top at once; a pin
  // that went away or changed is erased by a whole paint at most UNDER_EVERY_MS after the last one
  // (a stream of deliveries changes a few pins every frame, and 1,500 pins cost a few milliseconds).
  // A new pin drawn on top may cover what belongs over every pin (the zones' names, a selected or
  // focused pin): a whole paint follows it as well, and puts them back on top.
  paint() {
    const at = this.transform();
    const now = performance.now();
    if (this.stale && !this.dirtyUnder && now - this.lastUnder >= UNDER_EVERY_MS) this.dirtyUnder = true;
    if (this.dirtyUnder) {
      const ctx = this.begin(this.under, at);
      if (ctx) { this.paintUnder(ctx, at); this.painted.under++; }
      this.lastUnder = now;
      this.stale = false;
      this.added = [];
    } else if (this.added.length) {
      const added = this.added;
      this.added = [];
      if (at) {
        const ctx = this.under.getContext("2d");
        ctx.setTransform(at.dpr, 0, 0, at.dpr, 0, 0);
        for (const pin of added) {
          this.blit(ctx, this.pinSprite(pin.late, false), pin.x * at.scale + at.ox, pin.y * at.scale + at.oy, at.dpr);
        }
        this.painted.added += added.length;
        this.stale = true;  // drawn over whatever was there: a whole paint (the timer below) puts the order right
      }
    }
    if (this.dirtyOver) {
      const ctx = this.begin(this.over, at);
      if (ctx) { this.paintOver(ctx, at); this.painted.over++; }
    }
    this.dirtyUnder = this.dirtyOver = false;
    if (this.stale && this.timer === null) {
      this.timer = setTimeout(() => { this.timer = null; if (this.stale) { this.dirtyUnder = true; this.paint(); } },
                              Math.max(0, this.lastUnder + UNDER_EVERY_MS - now));
    }
  }

  begin(canvas, at) {
    const ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (at === null) return null;
    ctx.setTransform(at.dpr, 0, 0, at.dpr, 0, 0);
    return ctx;
  }

  focusedId(kind) {
    return this.focused && this.focused[0] === kind ? this.focused[1] : null;
  }

  paintUnder(ctx, at) {
    const colors = this.colors || (this.colors = this.readColors());
    const {scale, ox, oy, x0, y0, x1, y1, dpr} = at;
    if (this.line) {
      const [ax, ay, bx, by] = this.line;
      ctx.strokeStyle = colors["--accent"]; ctx.lineWidth = 2.5; ctx.setLineDash([6, 4]);
      ctx.beginPath(); ctx.moveTo(ax * scale + ox, ay * scale + oy); ctx.lineTo(bx * scale + ox, by * scale + oy);
      ctx.stroke(); ctx.setLineDash([]);
    }
    const focused = this.focusedId(this.looks.kinds.pin);
    const plain = this.pinSprite(false, false), late = this.pinSprite(true, false);
    let raised = null;
    for (const [id, pin] of this.pins) {
      if (pin.sel || id === focused) { (raised || (raised = [])).push(pin); continue; }
      const px = pin.x * scale + ox, py = pin.y * scale + oy;
      if (px > x0 && py > y0 && px < x1 && py < y1) this.blit(ctx, pin.late ? late : plain, px, py, dpr);
    }
    for (const pin of raised || []) {
      const sprite = this.pinSprite(pin.late, true), px = pin.x * scale + ox, py = pin.y * scale + oy;
      this.blit(ctx, sprite, px, py, dpr);
      if (pin === this.pins.get(focused)) this.focusRing(ctx, colors, px - sprite.ax, py - sprite.ay, sprite.width, sprite.height);
    }
    if (this.labels.size) {
      ctx.font = `650 12px ${colors["--font"] || "sans-serif"}`;
      ctx.textAlign = "center"; ctx.textBaseline = "alphabetic"; ctx.lineJoin = "round";
      ctx.lineWidth = 4; ctx.strokeStyle = colors["--surface"]; ctx.fillStyle = colors["--text"];
      for (const label of this.labels.values()) {
        const px = label.x * scale + ox, py = label.y * scale + oy;
        if (!(px > x0 && py > y0 && px < x1 && py < y1)) continue;
        ctx.globalAlpha = 0.85; ctx.strokeText(label.text, px, py);
        ctx.globalAlpha = 1; ctx.fillText(label.text, px, py);
      }
    }
  }

  paintOver(ctx, at) {
    const {scale, ox, oy, x0, y0, x1, y1, dpr} = at;
    const focused = this.focusedId(this.looks.kinds.staff);
    let raised = null;
    for (const [id, member] of this.staff) {
      if (member.sel || id === focused) { (raised || (raised = [])).push(member); continue; }
      const px = member.x * scale + ox, py = member.y * scale + oy;
      if (px > x0 && py > y0 && px < x1 && py < y1) this.blit(ctx, this.dotSprite(member.status, false, member.h), px, py, dpr);
    }
    for (const member of raised || []) {
      const sprite = this.dotSprite(member.status, true, member.h), px = member.x * scale + ox, py = member.y * scale + oy;
      this.blit(ctx, sprite, px, py, dpr);
      if (member === this.staff.get(focused)) {
        this.focusRing(ctx, this.colors || (this.colors = this.readColors()), px - sprite.ax, py - sprite.ay,
                       sprite.width, sprite.height);
      }
    }
  }

  // Keyboard focus: a dashed ring in the accent colour around the marker, so that it is not mistaken for
  // the selection (drawn bigger, outlined in the text colour), which may be another marker.
  focusRing(ctx, colors, x, y, width, height) {
    ctx.save();
    ctx.strokeStyle = colors["--accent"]; ctx.lineWidth = 2; ctx.setLineDash([4, 3]);
    ctx.beginPath(); ctx.roundRect(x - FOCUS_GAP, y - FOCUS_GAP, width + 2 * FOCUS_GAP, height + 2 * FOCUS_GAP, 6);
    ctx.stroke();
    ctx.restore();
  }

  heading(ctx, degrees, px, py, scale) {
    const a = degrees * Math.PI / 180, cos = Math.cos(a), sin = Math.sin(a);
    const corners = this.looks.heading;
    for (let i = 0; i < corners.length; i++) {
      const [cx, cy] = corners[i];
      const x = px + (cx * cos - cy * sin) * scale, y = py + (cx * sin + cy * cos) * scale;
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    }
    ctx.closePath();
  }

  blit(ctx, sprite, px, py, dpr) {
    ctx.drawImage(sprite.image, Math.round((px - sprite.ax) * dpr) / dpr, Math.round((py - sprite.ay) * dpr) / dpr,
                  sprite.width, sprite.height);
  }

  // --- sprites: each look drawn once, at the device's pixel ratio ------------------------------------

  sprite(key, width, height, ax, ay, draw) {
    let sprite = this.sprites.get(key);
    if (sprite) return sprite;
    const dpr = this.size[2];
    // An ImageBitmap: a blit from a <canvas> would snapshot that canvas on every call.
    const drawn = new OffscreenCanvas(Math.ceil(width * dpr), Math.ceil(height * dpr));
    const ctx = drawn.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, ax * dpr, ay * dpr);  // the origin at the anchor
    draw(ctx, this.colors || (this.colors = this.readColors()));
    sprite = {image: drawn.transferToImageBitmap(), width: drawn.width / dpr, height: drawn.height / dpr, ax, ay};
    this.sprites.set(key, sprite);
    return sprite;
  }

  pinSprite(late, special) {
    const L = this.looks;
    const scale = special ? L.selected : late ? L.late : 1, line = special ? 3 : 2;
    const [x0, y0, x1, y1] = L.pinBox, pad = line + 1;
    return this.sprite(`pin/${late}/${special}`, (x1 - x0) * scale + 2 * pad, (y1 - y0) * scale + 2 * pad,
                       pad - x0 * scale, pad - y0 * scale, (ctx, colors) => {
      ctx.scale(scale, scale);
      ctx.fillStyle = colors[late ? "--dot-bad" : "--surface"];
      ctx.strokeStyle = colors[special ? "--text" : late ? "--bad" : "--accent"];
      ctx.lineWidth = line / scale; ctx.lineJoin = "round";
      ctx.fill(this.pinPath); ctx.stroke(this.pinPath);
    });
  }

  // A dot with its heading (to HEADING_STEP degrees; none without one): one blit per person.
  dotSprite(status, special, degrees) {
    const L = this.looks;
    const grow = special ? L.selected : 1, radius = L.dot * grow, line = special ? 3.5 : 2;
    const turn = degrees === null || degrees === undefined || !Number.isFinite(degrees) ? null
      : (Math.round(degrees / HEADING_STEP) * HEADING_STEP) % 360;
    const reach = Math.max(...L.heading.map(([x, y]) => Math.hypot(x, y))) * grow;
    const half = Math.ceil(Math.max(radius + line, turn === null ? 0 : reach + 1));
    return this.sprite(`dot/${status}/${special}/${turn}`, 2 * half, 2 * half, half, half, (ctx, colors) => {
      if (turn !== null) {
        ctx.beginPath();
        this.heading(ctx, turn, 0, 0, grow);
        ctx.fillStyle = colors["--text"]; ctx.globalAlpha = 0.75; ctx.fill(); ctx.globalAlpha = 1;
      }
      ctx.beginPath(); ctx.arc(0, 0, radius, 0, 2 * Math.PI);
      ctx.fillStyle = colors[STATUS_FILL[status] || "--dot-idle"];
      ctx.globalAlpha = status === "offline" ? 0.8 : 1; ctx.fill(); ctx.globalAlpha = 1;
      // Selected: outlined in the text colour, as a selected pin is (the accent blue vanished on a blue dot).
      ctx.strokeStyle = colors[special ? "--text" : "--surface"]; ctx.lineWidth = line; ctx.stroke();
    });
  }

  readColors() {
    const style = getComputedStyle(this.under);
    const colors = {};
    for (const name of VARIABLES) colors[name] = style.getPropertyValue(name).trim();
    return colors;
  }
}
