// The latent map: the test digits' 2-D codes, posteriors q(z|x) as 1- and 2-sigma ellipses, and
// marked points, drawn in SVG; moving or dragging the pointer (mouse, pen or finger) over it, or
// the arrow keys on the focused map, decode the code under the point in the browser, with the
// trained decoder's weights (vae_tf/export_decoder.py), and show the digit at once: no message to
// the server, no rerun. On a touch screen a vertical swipe scrolls the page (touch-action: pan-y);
// a tap or a sideways drag decodes. The legend's digits are buttons: one picks out its class (a
// second channel beside colour, which red-green colour-blind visitors cannot rely on).
// vae_site/latent_map.py appends `export default mountLatentMap;`; the drawing pad
// (drawing_pad.js) is appended after this file and uses `draw`, `loadWeights` and `forward`.
const SVG = "http://www.w3.org/2000/svg";
const cache = (window.__vaeDecoders = window.__vaeDecoders || new Map()); // url -> Promise of layers
let HALF = null; // float16 bit pattern -> float32, built once

function halfTable() {
  if (HALF) return HALF;
  HALF = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
    HALF[h] = e === 0 ? s * 2 ** -14 * (f / 1024) : e === 31 ? (f ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + f / 1024);
  }
  return HALF;
}

// The weights' bytes: from the browser's Cache Storage when an earlier visit kept them (the URL
// carries the file's hash, so a new export is a new URL), else downloaded once and kept there.
// Cache Storage exists only on https and localhost; elsewhere the download is once per page load.
async function download(url) {
  const store = window.caches ? await caches.open("vae-decoders").catch(() => null) : null;
  const kept = store && (await store.match(url));
  if (kept) return kept.arrayBuffer();
  const response = await fetch(url);
  if (!response.ok) throw new Error(response.status);
  if (store) await store.put(url, response.clone()).catch(() => null);
  return response.arrayBuffer();
}

// An exported trunk (decoder or encoder): [{W (in x out), b}], float16 on the wire, float32 here.
function loadWeights(url, sizes) {
  if (!cache.has(url)) {
    cache.set(url, download(url).then((buffer) => {
      const bits = new Uint16Array(buffer), table = halfTable(), layers = [];
      let at = 0;
      for (let l = 0; l + 1 < sizes.length; l++) {
        const n = sizes[l] * sizes[l + 1], W = new Float32Array(n), b = new Float32Array(sizes[l + 1]);
        for (let i = 0; i < n; i++) W[i] = table[bits[at + i]];
        at += n;
        for (let j = 0; j < b.length; j++) b[j] = table[bits[at + j]];
        at += b.length;
        layers.push({ W, b, nIn: sizes[l], nOut: sizes[l + 1] });
      }
      return layers;
    }));
  }
  return cache.get(url);
}

// Dense layers with ReLU between them, the last one linear (as vae_tf.export_decoder._trunk).
function forward(layers, x) {
  let h = Float32Array.from(x);
  layers.forEach((layer, l) => {
    const out = Float32Array.from(layer.b);
    for (let i = 0; i < layer.nIn; i++) {
      const hi = h[i];
      if (hi === 0) continue; // most pixels of a digit, and every ReLU that is off
      const row = i * layer.nOut;
      for (let j = 0; j < layer.nOut; j++) out[j] += hi * layer.W[row + j];
    }
    if (l < layers.length - 1) for (let j = 0; j < out.length; j++) out[j] = Math.max(out[j], 0);
    h = out;
  });
  return h;
}

// p(x|z)'s pixel probabilities: the trunk's logits through a sigmoid (models.decode).
function decode(layers, z) {
  return forward(layers, z).map((v) => 1 / (1 + Math.exp(-v)));
}

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function ticks([lo, hi], count) {
  const raw = (hi - lo) / count, p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => values[k]);
}

function draw(root, data, full) {
  root.innerHTML = "";
  // The decoded digit sits beside the plot on a wide screen, above it on a phone: never over the codes.
  const side = full >= 560, boxWidth = side ? 132 : 0, width = full - boxWidth;
  const text = data.text, height = data.height, m = { l: 44, r: 8, t: 8, b: 36 };
  const [[x0, x1], [y0, y1]] = data.domain;
  const sx = (v) => m.l + ((v - x0) / (x1 - x0)) * (width - m.l - m.r);
  const sy = (v) => height - m.b - ((v - y0) / (y1 - y0)) * (height - m.t - m.b);
  const wrap = document.createElement("div");
  wrap.className = side ? "lm-plot lm-side" : "lm-plot lm-top";
  root.appendChild(wrap);
  const box = document.createElement("div");
  box.className = "lm-box";
  const svg = el("svg", { width, height, class: "lm-svg", role: "img", "aria-label": text.aria });
  if (side) wrap.append(svg, box); else wrap.append(box, svg);
  const nx = Math.max(3, Math.round(width / 90)), ny = Math.max(3, Math.round(height / 70));
  for (const v of ticks([x0, x1], nx)) {
    el("line", { x1: sx(v), x2: sx(v), y1: m.t, y2: height - m.b, class: "lm-grid" }, svg);
    el("text", { x: sx(v), y: height - m.b + 14, class: "lm-tick", "text-anchor": "middle" }, svg).textContent = v;
  }
  for (const v of ticks([y0, y1], ny)) {
    el("line", { x1: m.l, x2: width - m.r, y1: sy(v), y2: sy(v), class: "lm-grid" }, svg);
    el("text", { x: m.l - 5, y: sy(v) + 4, class: "lm-tick", "text-anchor": "end" }, svg).textContent = v;
  }
  el("text", { x: (m.l + width - m.r) / 2, y: height - 4, class: "lm-title", "text-anchor": "middle" }, svg).textContent = text.x_title;
  el("text", { x: 12, y: (m.t + height - m.b) / 2, class: "lm-title", "text-anchor": "middle",
    transform: `rotate(-90 12 ${(m.t + height - m.b) / 2})` }, svg).textContent = text.y_title;
  const dots = el("g", { class: "lm-dots" }, svg);
  data.codes.forEach(([a, b], i) => {
    el("circle", { cx: sx(a), cy: sy(b), r: 2.6, fill: data.colours[data.labels[i]], class: `lm-dot lm-d${data.labels[i]}` }, dots);
  });
  data.posteriors.forEach((p) => {
    p.rings.forEach((ring, k) => {
      el("path", { d: "M" + ring.map(([a, b]) => `${sx(a).toFixed(1)},${sy(b).toFixed(1)}`).join("L") + "Z",
        class: k ? "lm-ring lm-ring2" : "lm-ring", stroke: p.colour }, svg);
    });
    const top = p.rings[p.rings.length - 1].reduce((best, q) => (q[1] > best[1] ? q : best));
    el("text", { x: sx(p.mean[0]), y: Math.max(m.t + 12, sy(top[1]) - 4), class: "lm-label", fill: p.colour,
      "text-anchor": "middle" }, svg).textContent = p.label;
  });
  data.marks.forEach((mark) => {
    const cx = sx(mark.z[0]), cy = sy(mark.z[1]);
    el("path", { d: `M${cx},${cy - 8}L${cx + 8},${cy}L${cx},${cy + 8}L${cx - 8},${cy}Z`, class: "lm-mark" }, svg);
    el("text", { x: cx + 11, y: cy + 4, class: "lm-label" }, svg).textContent = mark.name;
  });
  const cross = el("circle", { r: 6, class: "lm-cross", visibility: "hidden" }, svg);
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 28;
  canvas.className = "lm-digit";
  const readout = document.createElement("div");
  readout.className = "lm-readout";
  readout.setAttribute("aria-live", "polite"); // a keyboard move is announced
  readout.textContent = data.decoder ? text.hint_short : text.unavailable;
  box.append(canvas, readout);
  legend(root, data, dots);
  const hint = document.createElement("p");
  hint.className = "lm-hint";
  hint.textContent = data.decoder ? text.hint : text.unavailable;
  root.appendChild(hint);
  if (data.decoder) listen(svg, canvas, readout, cross, data, { sx, sy, m, width, height, x0, x1, y0, y1 });
}

// The legend: one button per digit class; pressing one shows that class's dots large, outlined and
// on top, the others faded, so a class can be told apart without telling its colour from another's.
function legend(root, data, dots) {
  const row = document.createElement("div");
  row.className = "lm-legend";
  const title = document.createElement("span");
  title.className = "lm-legend-title";
  title.textContent = data.text.legend_title;
  row.appendChild(title);
  const buttons = data.colours.map((c, d) => {
    const item = document.createElement("button");
    item.type = "button";
    item.className = "lm-item lm-class";
    item.setAttribute("aria-pressed", "false");
    item.title = fill(data.text.legend_help, { digit: d });
    item.innerHTML = `<i style="background:${c}"></i>${d}`;
    item.addEventListener("click", () => pick(item.getAttribute("aria-pressed") === "true" ? null : d));
    row.appendChild(item);
    return item;
  });
  function pick(d) {
    buttons.forEach((b, k) => b.setAttribute("aria-pressed", String(k === d)));
    dots.classList.toggle("lm-picking", d !== null);
    dots.querySelectorAll(".lm-on").forEach((n) => n.classList.remove("lm-on"));
    if (d === null) return;
    dots.querySelectorAll(`.lm-d${d}`).forEach((n) => { n.classList.add("lm-on"); dots.appendChild(n); });
  }
  root.appendChild(row);
  if (!data.posteriors.length) return;
  const rings = document.createElement("div");
  rings.className = "lm-legend";
  data.posteriors.forEach((p) => {
    const item = document.createElement("span");
    item.className = "lm-item";
    item.innerHTML = `<b style="border-color:${p.colour}"></b><b class="lm-dash" style="border-color:${p.colour}"></b>`;
    item.append(p.label);
    rings.appendChild(item);
  });
  const note = document.createElement("span");
  note.className = "lm-note";
  note.textContent = data.text.rings;
  rings.appendChild(note);
  root.appendChild(rings);
}

function listen(svg, canvas, readout, cross, data, s) {
  const ctx = canvas.getContext("2d"), image = ctx.createImageData(28, 28);
  const stats = (window.__latentMapStats = window.__latentMapStats || { latencies: [], painted: [], compute: [], decodes: 0 });
  const start = data.marks.length ? data.marks[0].z : data.posteriors.length ? data.posteriors[0].mean : [0, 0];
  let layers = null, pending = null, point = start.slice();
  svg.setAttribute("tabindex", "0");
  loadWeights(data.decoder.url, data.decoder.sizes).then((l) => {
    layers = l;
    if (pending) show(pending);
    else paint(point, false); // the point's digit at once; its ring waits for the visitor (it would hide a small q(z|x))
  }, () => { readout.textContent = data.text.unavailable; });
  const toPixels = ([z1, z2]) => [s.sx(z1), s.sy(z2)];
  function show(ev) {
    const rect = svg.getBoundingClientRect(), px = ev.clientX - rect.left, py = ev.clientY - rect.top;
    const z1 = s.x0 + ((px - s.m.l) / (s.width - s.m.l - s.m.r)) * (s.x1 - s.x0);
    const z2 = s.y0 + ((s.height - s.m.b - py) / (s.height - s.m.t - s.m.b)) * (s.y1 - s.y0);
    if (!layers) { pending = ev; readout.textContent = data.text.loading; return; }
    const c0 = performance.now();
    paint([z1, z2]);
    stats.compute.push(performance.now() - c0); // the forward pass and drawing alone
    stats.decodes += 1;
    stats.latencies.push(performance.now() - ev.timeStamp); // pointer event to image drawn
    const t0 = ev.timeStamp;
    requestAnimationFrame(() => stats.painted.push(performance.now() - t0)); // ... to the frame that shows it
  }
  function paint(z, ring = true) {
    point = z;
    const p = decode(layers, z);
    for (let i = 0; i < 784; i++) {
      const v = Math.round(p[i] * 255); // white ink on black, like the site's other digits
      image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = v;
      image.data[4 * i + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
    const at = { z1: z[0].toFixed(2), z2: z[1].toFixed(2) };
    readout.textContent = fill(data.text.readout, at);
    svg.setAttribute("aria-label", fill(data.text.aria_point, at)); // stays true as the point moves
    canvas.dataset.z = JSON.stringify(z);
    const [cx, cy] = toPixels(z);
    cross.setAttribute("cx", cx);
    cross.setAttribute("cy", cy);
    if (ring) cross.setAttribute("visibility", "visible");
  }
  // Arrow keys move the point by a 40th of the map (Shift: a tenth), kept inside the axes.
  svg.addEventListener("keydown", (ev) => {
    const move = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[ev.key];
    if (!move || !layers) return;
    ev.preventDefault();
    const f = ev.shiftKey ? 0.1 : 0.025;
    const z1 = Math.min(s.x1, Math.max(s.x0, point[0] + move[0] * f * (s.x1 - s.x0)));
    const z2 = Math.min(s.y1, Math.max(s.y0, point[1] + move[1] * f * (s.y1 - s.y0)));
    paint([z1, z2]);
    stats.decodes += 1;
  });
  svg.addEventListener("pointermove", show);
  svg.addEventListener("pointerdown", (ev) => { svg.setPointerCapture?.(ev.pointerId); show(ev); });
}

function mountLatentMap(component) {
  const { data, parentElement } = component;
  let root = parentElement.querySelector(".lm");
  if (!root) {
    root = document.createElement("div");
    root.className = "lm";
    parentElement.appendChild(root);
  }
  const render = () => draw(root, data, Math.max(240, Math.floor(root.clientWidth || 600)));
  render();
  let last = root.clientWidth;
  const observer = new ResizeObserver(() => {
    if (Math.abs(root.clientWidth - last) > 2) { last = root.clientWidth; render(); }
  });
  observer.observe(root);
  return () => observer.disconnect();
}
