// The Lab: a VAE that trains in the visitor's browser with TensorFlow.js (vendored in
// static/tfjs/, WASM backend), on MNIST digits bundled in static/lab/. The ELBO is vae_tf's:
// q(z|x) = N(mu, diag softplus(s)^2) from a dense ReLU encoder, a Bernoulli p(x|z) from the
// mirrored decoder, the closed-form KL to N(0, I); the loss is recon + beta * KL, the reported
// -ELBO weighs the KL by 1. Each digit is binarized afresh at every use (pixel on when u < p).
// Nothing here talks to the server: training, drawing and hover-decoding run in the page.
//
// The trainer lives on `window` (one per page load), the view is rebuilt when Streamlit redraws
// the component, so a rerun of the page (a prompt answered, a language switch) keeps the run.

const LAB = (window.__vaeLab = window.__vaeLab || {});
const PRIOR_RINGS = [1, 2];

// ---------- loading the library and the digits (once per page load) ----------

function script(url) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = url;
    s.onload = resolve;
    s.onerror = () => reject(new Error("could not load " + url));
    document.head.appendChild(s);
  });
}

// A file's bytes from the browser's Cache Storage when an earlier visit kept them, else downloaded once
// and kept there. Streamlit sends static files with no Cache-Control and answers no conditional request
// with 304, so the HTTP cache alone would download them again once its heuristic freshness ran out. Every
// address carries its file's version (?v=), so a new file is a new address; older versions are dropped.
// Cache Storage exists only on https and localhost; elsewhere the HTTP cache does what it can.
async function cached(url) {
  const href = new URL(url, document.baseURI).href;
  const store = window.caches ? await caches.open("vae-lab").catch(() => null) : null;
  const kept = store && (await store.match(href));
  if (kept) return kept.arrayBuffer();
  const response = await fetch(href);
  if (!response.ok) throw new Error(href + ": " + response.status);
  if (store) {
    const path = href.split("?")[0];
    for (const old of await store.keys()) if (old.url.split("?")[0] === path && old.url !== href) await store.delete(old);
    await store.put(href, response.clone()).catch(() => null);
  }
  return response.arrayBuffer();
}

async function blobUrl(url, type) {
  return URL.createObjectURL(new Blob([await cached(url)], { type }));
}

// TensorFlow.js and its WASM backend, from Cache Storage as blobs (see `cached`); the CPU backend if
// this browser has no WebAssembly. Only the WASM binary this browser runs is fetched: with SIMD or
// without (the threaded one needs cross-origin isolation, which the site does not have).
async function loadLibrary(lib) {
  if (!window.tf) await script(await blobUrl(lib.core, "text/javascript"));
  if (!window.tf.wasm) await script(await blobUrl(lib.wasm, "text/javascript"));
  const tf = window.tf;
  let ok = false;
  try {
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const plain = lib.wasm_dir + "tfjs-backend-wasm.wasm", fast = lib.wasm_dir + "tfjs-backend-wasm-simd.wasm";
    const used = await blobUrl((simd ? fast : plain) + lib.query, "application/wasm");
    const abs = (u) => new URL(u, document.baseURI).href;
    tf.wasm.setWasmPaths({
      "tfjs-backend-wasm.wasm": simd ? abs(plain) : used,
      "tfjs-backend-wasm-simd.wasm": simd ? used : abs(fast),
      "tfjs-backend-wasm-threaded-simd.wasm": used,
    });
    ok = await tf.setBackend("wasm");
  } catch (e) {
    ok = false;
  }
  if (!ok) await tf.setBackend("cpu"); // no WebAssembly: slower, same numbers
  await tf.ready();
  return tf.getBackend();
}

async function bytes(url) {
  const raw = new Uint8Array(await cached(url));
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw; // already unpacked by the browser
  const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function load(data) {
  if (!LAB.loading) {
    LAB.loading = Promise.all([loadLibrary(data.lib), bytes(data.digits.images), bytes(data.digits.labels)])
      .then(([backend, grey, labels]) => ({ backend, grey, labels, count: labels.length }));
  }
  return LAB.loading;
}

// ---------- a seeded generator: batches, binarization, noise and initial weights ----------

function generator(seed) {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  const next = () => { // mulberry32
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, normal };
}

// Keras's defaults, as vae_tf's Dense layers: Glorot-uniform kernels, zero biases.
function glorot(rng, nIn, nOut) {
  const limit = Math.sqrt(6 / (nIn + nOut)), w = new Float32Array(nIn * nOut);
  for (let i = 0; i < w.length; i++) w[i] = (2 * rng.next() - 1) * limit;
  return window.tf.tensor2d(w, [nIn, nOut]);
}

// ---------- the model ----------

const NAMES = ["enc_W", "enc_b", "head_W", "head_b", "dec_W", "dec_b", "out_W", "out_b"];

function initialWeights(rng, hidden, latent) {
  const tf = window.tf;
  return [
    glorot(rng, 784, hidden), tf.zeros([hidden]), glorot(rng, hidden, 2 * latent), tf.zeros([2 * latent]),
    glorot(rng, latent, hidden), tf.zeros([hidden]), glorot(rng, hidden, 784), tf.zeros([784]),
  ];
}

// a @ b, with TF.js's own gradient rule written with explicit transposes. Measured in headless Chromium:
// the WASM backend multiplies by a transposed operand (what the library's MatMul gradient asks for) up to
// 8 times slower than by a plain one, and the three transposed products of the big layers took 4/5 of a
// training step; transposing first costs little. The gradients are the same: d(a@b) = dy@b^T, a^T@dy.
function matMul(a, b) {
  const tf = window.tf;
  if (!LAB.matMul) {
    LAB.matMul = tf.customGrad((a, b, save) => {
      save([a, b]);
      return {
        value: tf.matMul(a, b),
        gradFunc: (dy, [a, b]) => [tf.matMul(dy, tf.transpose(b)), tf.matMul(tf.transpose(a), dy)],
      };
    });
  }
  return LAB.matMul(a, b);
}

// q(z|x)'s mean and standard deviation: (B, L) each.
function encode(v, x, latent) {
  const tf = window.tf;
  const h = tf.relu(tf.add(matMul(x, v.enc_W), v.enc_b));
  const out = tf.add(matMul(h, v.head_W), v.head_b);
  const n = out.shape[0];
  return [tf.slice(out, [0, 0], [n, latent]), tf.softplus(tf.slice(out, [0, latent], [n, latent]))];
}

// p(x|z)'s logits: (B, 784).
function logits(v, z) {
  const tf = window.tf;
  return tf.add(matMul(tf.relu(tf.add(matMul(z, v.dec_W), v.dec_b)), v.out_W), v.out_b);
}

// Per digit: -log p(x|z) at z = mu + sigma * eps, and KL(q(z|x) || N(0, I)) in closed form. (B,) each.
function terms(v, x, eps, latent) {
  const tf = window.tf;
  const [mu, sd] = encode(v, x, latent);
  const l = logits(v, tf.add(mu, tf.mul(sd, eps)));
  const recon = tf.sum(tf.sub(tf.softplus(l), tf.mul(x, l)), 1); // Bernoulli NLL from logits
  const kl = tf.mul(0.5, tf.sum(tf.sub(tf.sub(tf.add(tf.square(mu), tf.square(sd)), 1), tf.mul(2, tf.log(sd))), 1));
  return { recon, kl };
}

function decodeProbs(v, z) {
  return window.tf.sigmoid(logits(v, z));
}

// ---------- the trainer ----------

class Trainer {
  constructor(set, config) {
    this.set = set;
    this.config = config; // {hidden, latent, batch, shown, chosen}
    this.beta = 1;
    this.lr = config.lr;
    this.seed = config.seed;
    this.listeners = new Set();
    this.reset(this.seed);
    this.shown = this.fixedDigits(config.shown); // the map's digits, binarized once
    this.chosen = this.fixedDigits(config.chosen);
  }

  reset(seed) {
    const tf = window.tf;
    this.pause();
    if (this.vars) Object.values(this.vars).forEach((t) => t.dispose());
    if (this.optimizer) this.optimizer.dispose();
    this.seed = seed;
    this.rng = generator(seed);
    const w = initialWeights(this.rng, this.config.hidden, this.config.latent);
    this.vars = Object.fromEntries(NAMES.map((n, i) => [n, tf.variable(w[i], true, "lab_" + n + "_" + seed + "_" + Date.now())]));
    w.forEach((t) => t.dispose());
    this.optimizer = tf.train.adam(this.lr);
    this.order = [];
    this.steps = 0;
    this.seen = 0;
    this.seconds = 0;
    this.history = []; // {t, seen, neg_elbo, recon, kl}: one point per drawing interval
    this.pending = { n: 0, recon: 0, kl: 0 };
    this.rate = 0;
    this.timing = { step: 0, draw: 0 }; // ms spent in training steps and in drawing (bench/lab_speed.py reads it)
    this.emit();
  }

  fixedDigits(indices) {
    const rng = generator(12345), x = new Float32Array(indices.length * 784);
    indices.forEach((d, i) => {
      for (let p = 0; p < 784; p++) x[i * 784 + p] = rng.next() * 255 < this.set.grey[d * 784 + p] ? 1 : 0;
    });
    return { x: window.tf.tensor2d(x, [indices.length, 784]), labels: indices.map((d) => this.set.labels[d]), indices };
  }

  // The next batch: a fresh permutation each pass, each digit binarized afresh.
  batch() {
    const { batch } = this.config, grey = this.set.grey, x = new Float32Array(batch * 784);
    for (let i = 0; i < batch; i++) {
      if (!this.order.length) this.order = shuffled(this.set.count, this.rng);
      const d = this.order.pop();
      for (let p = 0; p < 784; p++) x[i * 784 + p] = this.rng.next() * 255 < grey[d * 784 + p] ? 1 : 0;
    }
    const eps = new Float32Array(batch * this.config.latent);
    for (let i = 0; i < eps.length; i++) eps[i] = this.rng.normal();
    return [x, eps];
  }

  // One Adam step on recon + beta * KL; returns the batch's mean recon and KL (before the step).
  step() {
    const tf = window.tf, { batch, latent } = this.config;
    const [xs, es] = this.batch();
    this.optimizer.learningRate = this.lr;
    const out = tf.tidy(() => {
      const x = tf.tensor2d(xs, [batch, 784]), eps = tf.tensor2d(es, [batch, latent]);
      let recon, kl;
      const { grads } = tf.variableGrads(() => {
        const t = terms(this.vars, x, eps, latent);
        recon = tf.keep(tf.mean(t.recon));
        kl = tf.keep(tf.mean(t.kl));
        return tf.add(recon, tf.mul(this.beta, kl));
      }, Object.values(this.vars));
      this.optimizer.applyGradients(grads);
      return tf.stack([recon, kl]);
    });
    const [recon, kl] = out.dataSync();
    out.dispose();
    this.steps += 1;
    this.seen += batch;
    this.pending.n += 1;
    this.pending.recon += recon;
    this.pending.kl += kl;
    return { recon, kl, neg_elbo: recon + kl };
  }

  record() {
    const p = this.pending;
    if (!p.n) return;
    const recon = p.recon / p.n, kl = p.kl / p.n;
    this.history.push({ t: this.seconds, seen: this.seen, recon, kl, neg_elbo: recon + kl });
    this.pending = { n: 0, recon: 0, kl: 0 };
  }

  play() {
    if (this.running) return;
    this.running = true;
    this.emit();
    const interval = () => (matchMedia("(prefers-reduced-motion: reduce)").matches ? 1500 : 400);
    let last = performance.now(), drawn = last, windowStart = last, windowSeen = this.seen, lastDraw = 0;
    const tick = () => {
      if (!this.running) return;
      const start = performance.now();
      while (performance.now() - start < 50) this.step();
      const now = performance.now();
      this.timing.step += now - start;
      this.seconds += (now - last) / 1000;
      last = now;
      if (now - drawn >= Math.max(interval(), 9 * lastDraw)) { // drawing takes at most ~1/10 of the time
        this.rate = ((this.seen - windowSeen) * 1000) / (now - windowStart);
        windowStart = now;
        windowSeen = this.seen;
        drawn = now;
        this.record();
        this.emit();
        lastDraw = performance.now() - now;
        this.timing.draw += lastDraw; // counted in `seconds` at the next slice: wall time
      }
      yieldThen(tick);
    };
    yieldThen(tick);
  }

  pause() {
    if (!this.running) return;
    this.running = false;
    this.record();
    this.emit();
  }

  once() {
    this.pause();
    this.step();
    this.record();
    this.emit();
  }

  emit() { this.listeners.forEach((f) => f(this)); }

  // What the view draws: codes of the shown digits, the chosen digits' posteriors, a grid of decodes.
  snapshot(gridSize, gridSpan) {
    const tf = window.tf, latent = this.config.latent;
    return tf.tidy(() => {
      const [mu] = encode(this.vars, this.shown.x, latent);
      const [cmu, csd] = encode(this.vars, this.chosen.x, latent);
      const g = [];
      for (let r = 0; r < gridSize; r++) {
        for (let c = 0; c < gridSize; c++) {
          g.push(-gridSpan + (2 * gridSpan * c) / (gridSize - 1), gridSpan - (2 * gridSpan * r) / (gridSize - 1));
        }
      }
      const grid = decodeProbs(this.vars, tf.tensor2d(g, [gridSize * gridSize, 2]));
      return { codes: mu.arraySync(), means: cmu.arraySync(), stds: csd.arraySync(), grid: grid.dataSync() };
    });
  }

  decode(z) {
    const tf = window.tf;
    return tf.tidy(() => decodeProbs(this.vars, tf.tensor2d([z], [1, 2])).dataSync());
  }

  // Test hooks: set the weights (vae_tf's, as nested arrays in NAMES order), score digits with given noise.
  setWeights(arrays) {
    NAMES.forEach((n, i) => this.vars[n].assign(window.tf.tensor(arrays[i], this.vars[n].shape)));
    this.emit();
  }

  score(x, eps) {
    const tf = window.tf, n = x.length / 784;
    return tf.tidy(() => {
      const t = terms(this.vars, tf.tensor2d(x, [n, 784]), tf.tensor2d(eps, [n, this.config.latent]), this.config.latent);
      return { recon: Array.from(t.recon.dataSync()), kl: Array.from(t.kl.dataSync()) };
    });
  }
}

function shuffled(n, rng) {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// Yield to the browser (input, drawing) between slices of training, without setTimeout's 4 ms clamp.
const channel = new MessageChannel();
const queue = [];
channel.port1.onmessage = () => queue.shift()?.();
function yieldThen(f) {
  queue.push(f);
  channel.port2.postMessage(0);
}

// ---------- the view ----------

function fmt(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : "{" + k + "}"));
}

function h(tag, attrs = {}, parent = null, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  if (text != null) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function number(lang, v, digits = 1) {
  return v.toLocaleString(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function slider(parent, id, label, values, index, show) {
  const wrap = h("div", { class: "lab-field" }, parent);
  const lab = h("label", { for: id }, wrap);
  const input = h("input", { type: "range", id, min: 0, max: values.length - 1, step: 1, value: index }, wrap);
  const paint = () => {
    lab.textContent = fmt(label, { value: show(values[+input.value]) });
    input.setAttribute("aria-valuetext", show(values[+input.value]));
  };
  paint();
  input.addEventListener("input", paint);
  return input;
}

function build(root, data, state) {
  const text = data.text, lang = data.lang;
  root.innerHTML = "";
  const controls = h("div", { class: "lab-controls", role: "group", "aria-label": text.controls }, root);
  const play = h("button", { type: "button", class: "lab-button lab-primary", disabled: "" }, controls, text.play);
  const step = h("button", { type: "button", class: "lab-button", disabled: "" }, controls, text.step);
  const reset = h("button", { type: "button", class: "lab-button", disabled: "" }, controls, text.reset);
  const seedWrap = h("div", { class: "lab-field lab-seed" }, controls);
  h("label", { for: "lab-seed" }, seedWrap, text.seed);
  const seed = h("input", { type: "number", id: "lab-seed", min: 0, max: 99999, step: 1, value: data.config.seed, inputmode: "numeric" }, seedWrap);
  const sliders = h("div", { class: "lab-sliders" }, root);
  const beta = slider(sliders, "lab-beta", text.beta, data.betas, data.betas.indexOf(1), (v) => number(lang, v, v < 1 ? 1 : 0));
  const lr = slider(sliders, "lab-lr", text.lr, data.rates, data.rates.indexOf(data.config.lr), (v) => v.toExponential(0).replace("e-", "e−"));
  const status = h("p", { class: "lab-status" }, root, text.loading);
  // Screen readers hear the status when training starts or pauses, not at every redraw.
  const live = h("p", { class: "lab-sr", "aria-live": "polite" }, root);
  const numbers = h("p", { class: "lab-numbers" }, root);

  const panels = h("div", { class: "lab-panels" }, root);
  const left = h("div", { class: "lab-panel" }, panels);
  h("h2", {}, left, text.map_title);
  const mapWrap = h("div", { class: "lab-mapwrap" }, left);
  const map = h("canvas", { class: "lab-map", tabindex: 0, role: "img", "aria-label": text.map_aria }, mapWrap);
  const box = h("div", { class: "lab-hover" }, mapWrap);
  const hover = h("canvas", { class: "lab-digit", width: 28, height: 28, role: "img", "aria-label": text.hover_none }, box);
  const hoverText = h("div", { class: "lab-hover-text" }, box, text.hover_hint);
  const legend = h("div", { class: "lab-legend", role: "group", "aria-label": text.legend }, left);
  h("span", { class: "lab-legend-title" }, legend, text.legend);
  const keys = data.colours.map((c, d) => {
    const b = h("button", { type: "button", class: "lab-key", "aria-pressed": "false", "aria-label": fmt(text.legend_key, { digit: d }) }, legend);
    h("i", { style: `background:${c}` }, b);
    b.append(String(d));
    return b;
  });
  const chosenRow = h("div", { class: "lab-chosen" }, left);
  h("p", { class: "lab-note" }, left, text.map_note);

  const right = h("div", { class: "lab-panel" }, panels);
  h("h2", {}, right, text.curves_title);
  const curves = h("canvas", { class: "lab-curves", role: "img", "aria-label": text.curves_empty }, right);
  const curveKey = h("div", { class: "lab-curve-key" }, right);
  const klCurve = h("canvas", { class: "lab-kl", role: "img", "aria-label": text.curves_empty }, right);
  h("h2", {}, right, text.grid_title);
  const span = { size: data.grid.size, span: number(lang, data.grid.span, 0) };
  const grid = h("canvas", { class: "lab-grid", role: "img", "aria-label": fmt(text.grid_aria, span) }, right);
  h("p", { class: "lab-note" }, right, fmt(text.grid_note, span));

  const view = { root, data, text, lang, play, step, reset, seed, beta, lr, status, live, numbers, map, hover, hoverText,
    keys, chosenRow, curves, curveKey, klCurve, grid, highlight: null, cursor: null, snap: null, announced: false };
  [["neg_elbo", "lab-c1"], ["recon", "lab-c2"], ["kl", "lab-c3"], ["reference", "lab-c4"]].forEach(([k, cls]) => {
    const item = h("span", { class: "lab-curve-item" }, curveKey);
    h("b", { class: cls }, item);
    item.append(text["curve_" + k]);
  });
  state.view = view;
  return view;
}

function wire(view, trainer) {
  const { play, step, reset, seed, beta, lr, keys, map, data } = view;
  [play, step, reset].forEach((b) => b.removeAttribute("disabled"));
  play.addEventListener("click", () => (trainer.running ? trainer.pause() : trainer.play()));
  step.addEventListener("click", () => trainer.once());
  reset.addEventListener("click", () => trainer.reset(Math.max(0, Math.floor(+seed.value || 0))));
  beta.value = data.betas.indexOf(trainer.beta);
  beta.dispatchEvent(new Event("input"));
  lr.value = Math.max(0, data.rates.indexOf(trainer.lr));
  lr.dispatchEvent(new Event("input"));
  seed.value = trainer.seed;
  beta.addEventListener("input", () => { trainer.beta = data.betas[+beta.value]; });
  lr.addEventListener("input", () => { trainer.lr = data.rates[+lr.value]; });
  keys.forEach((b, d) => {
    const on = () => { view.highlight = d; paintMap(view, trainer); };
    const off = () => { if (b.getAttribute("aria-pressed") !== "true") { view.highlight = pinned(view); paintMap(view, trainer); } };
    b.addEventListener("pointerenter", on);
    b.addEventListener("focus", on);
    b.addEventListener("pointerleave", off);
    b.addEventListener("blur", off);
    b.addEventListener("click", () => {
      const was = b.getAttribute("aria-pressed") === "true";
      keys.forEach((k) => k.setAttribute("aria-pressed", "false"));
      b.setAttribute("aria-pressed", was ? "false" : "true");
      view.highlight = was ? null : d;
      paintMap(view, trainer);
    });
  });
  const toZ = (ev) => {
    const r = map.getBoundingClientRect(), s = view.scale;
    return [s.x0 + ((ev.clientX - r.left) / r.width) * (s.x1 - s.x0), s.y1 - ((ev.clientY - r.top) / r.height) * (s.y1 - s.y0)];
  };
  map.addEventListener("pointermove", (ev) => hoverAt(view, trainer, toZ(ev)));
  map.addEventListener("pointerdown", (ev) => { map.setPointerCapture?.(ev.pointerId); hoverAt(view, trainer, toZ(ev)); });
  map.addEventListener("keydown", (ev) => {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    if (!moves[ev.key]) return;
    ev.preventDefault();
    const [dx, dy] = moves[ev.key], by = ev.shiftKey ? 0.5 : 0.1, z = view.cursor || [0, 0];
    const half = view.scale.x1;
    hoverAt(view, trainer, [clamp(z[0] + dx * by, -half, half), clamp(z[1] + dy * by, -half, half)]);
  });
  map.addEventListener("focus", () => { if (!view.cursor) hoverAt(view, trainer, [0, 0]); });
}

function pinned(view) {
  const i = view.keys.findIndex((k) => k.getAttribute("aria-pressed") === "true");
  return i < 0 ? null : i;
}

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

function hoverAt(view, trainer, z) {
  view.cursor = z;
  paintDigit(view.hover, trainer.decode(z));
  const where = fmt(view.text.hover_at, { z1: z[0].toFixed(2), z2: z[1].toFixed(2) });
  view.hoverText.textContent = where;
  view.hover.setAttribute("aria-label", where);
  view.hover.dataset.z = JSON.stringify(z);
  paintMap(view, trainer);
}

function paintDigit(canvas, probs, at = 0) {
  const ctx = canvas.getContext("2d"), image = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(probs[at + i] * 255); // white ink on black, like the site's other digits
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = v;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

function sized(canvas, height) {
  const ratio = window.devicePixelRatio || 1, width = canvas.clientWidth || 300;
  canvas.style.height = height + "px";
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return [ctx, width, height];
}

function paintMap(view, trainer) {
  const snap = view.snap;
  const size = Math.min(view.map.clientWidth || 360, 480);
  const [ctx, w, hgt] = sized(view.map, size);
  const half = extent(snap); // the prior's scale at least, more while the codes are still spread wide
  const s = (view.scale = { x0: -half, x1: half, y0: -half, y1: half });
  const sx = (v) => ((v - s.x0) / (s.x1 - s.x0)) * w, sy = (v) => hgt - ((v - s.y0) / (s.y1 - s.y0)) * hgt;
  ctx.strokeStyle = "#e9ecef";
  ctx.lineWidth = 1;
  const every = half > 8 ? 2 : 1;
  for (let v = -Math.floor(half / every) * every; v <= half; v += every) {
    ctx.beginPath(); ctx.moveTo(sx(v), 0); ctx.lineTo(sx(v), hgt); ctx.moveTo(0, sy(v)); ctx.lineTo(w, sy(v)); ctx.stroke();
  }
  ctx.fillStyle = "#6c757d";
  ctx.font = "11px sans-serif";
  ctx.textAlign = "left"; // the context keeps its settings from the last drawing
  ctx.textBaseline = "alphabetic";
  for (const v of niceTicks(-half, half, 4)) { ctx.fillText(String(v), sx(v) + 2, hgt - 3); ctx.fillText(String(v), 2, sy(v) - 2); }
  ctx.setLineDash([4, 4]);
  ctx.strokeStyle = "#868e96";
  PRIOR_RINGS.forEach((r) => { ctx.beginPath(); ctx.ellipse(sx(0), sy(0), sx(r) - sx(0), sx(r) - sx(0), 0, 0, 2 * Math.PI); ctx.stroke(); });
  ctx.setLineDash([]);
  if (!snap) return;
  ctx.font = "bold 10px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  snap.codes.forEach(([a, b], i) => {
    const d = trainer.shown.labels[i];
    ctx.globalAlpha = view.highlight == null || view.highlight === d ? 0.85 : 0.08;
    ctx.fillStyle = view.data.colours[d];
    ctx.fillText(String(d), sx(a), sy(b));
  });
  ctx.globalAlpha = 1;
  snap.means.forEach((m, i) => {
    const sd = snap.stds[i], colour = view.data.ring_colours[i % view.data.ring_colours.length];
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    ctx.ellipse(sx(m[0]), sy(m[1]), Math.max(1, sx(sd[0]) - sx(0)), Math.max(1, sx(sd[1]) - sx(0)), 0, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.font = "bold 13px sans-serif";
    ctx.lineWidth = 3;
    ctx.strokeStyle = "#fff";
    const label = view.data.ring_labels[i];
    const lx = sx(clamp(m[0], -0.95 * half, 0.95 * half)), ly = sy(clamp(m[1], -0.95 * half, 0.95 * half)) - 12;
    ctx.strokeText(label, lx, ly);
    ctx.fillStyle = colour;
    ctx.fillText(label, lx, ly);
  });
  if (view.cursor) {
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(sx(view.cursor[0]), sy(view.cursor[1]), 6, 0, 2 * Math.PI);
    ctx.stroke();
  }
}

// Half the width of the map: 4 (the prior's 4 sigma), or more to hold 98% of the codes (at most 20).
function extent(snap) {
  if (!snap) return 4;
  const r = snap.codes.map(([a, b]) => Math.max(Math.abs(a), Math.abs(b))).sort((x, y) => x - y);
  return Math.min(20, Math.max(4, Math.ceil(r[Math.floor(0.98 * (r.length - 1))] * 1.05)));
}

function paintChosen(view, trainer) {
  const snap = view.snap, row = view.chosenRow;
  if (!row.childElementCount) {
    trainer.chosen.indices.forEach((d, i) => {
      const item = h("div", { class: "lab-chosen-item" }, row);
      const c = h("canvas", { width: 28, height: 28, class: "lab-thumb", role: "img",
        "aria-label": fmt(view.text.chosen_alt, { name: view.data.ring_labels[i], digit: trainer.chosen.labels[i] }) }, item);
      const grey = new Float32Array(784);
      for (let p = 0; p < 784; p++) grey[p] = trainer.set.grey[d * 784 + p] / 255;
      paintDigit(c, grey);
      const label = h("span", { class: "lab-chosen-label", style: `color:${view.data.ring_colours[i]}` }, item, view.data.ring_labels[i]);
      h("span", { class: "lab-chosen-sd" }, item);
      label.dataset.i = i;
    });
  }
  if (!snap) return;
  row.querySelectorAll(".lab-chosen-sd").forEach((node, i) => {
    const sd = snap.stds[i];
    node.textContent = fmt(view.text.chosen_sd, { s1: number(view.lang, sd[0], 2), s2: number(view.lang, sd[1], 2) });
  });
}

function paintCurves(view, trainer) {
  const hist = trainer.history, ref = view.data.reference, text = view.text;
  const [ctx, w, hgt] = sized(view.curves, 200);
  const [kctx, kw, kh] = sized(view.klCurve, 110);
  if (!hist.length) return;
  const tMax = Math.max(10, hist[hist.length - 1].t);
  const late = hist.slice(Math.floor(hist.length * 0.1));
  let lo = Math.min(...late.map((p) => p.recon), ref ? ref.neg_elbo : Infinity);
  let hi = Math.max(...late.map((p) => p.neg_elbo));
  if (hi - lo < 20) hi = lo + 20;
  lo = Math.floor((lo - 5) / 10) * 10;
  hi = Math.ceil(hi / 10) * 10;
  axes(ctx, w, hgt, [0, tMax], [lo, hi], text.axis_seconds, text.axis_nats);
  const series = [["neg_elbo", "#1f77b4", []], ["recon", "#ff7f0e", [6, 3]]];
  series.forEach(([k, colour, dash]) => line(ctx, w, hgt, hist.map((p) => [p.t, p[k]]), [0, tMax], [lo, hi], colour, dash));
  if (ref) line(ctx, w, hgt, [[0, ref.neg_elbo], [tMax, ref.neg_elbo]], [0, tMax], [lo, hi], "#495057", [2, 3]);
  const kHi = Math.max(2, ...hist.map((p) => p.kl)) * 1.1;
  axes(kctx, kw, kh, [0, tMax], [0, kHi], text.axis_seconds, text.axis_kl);
  line(kctx, kw, kh, hist.map((p) => [p.t, p.kl]), [0, tMax], [0, kHi], "#2ca02c", [2, 2]);
  const last = hist[hist.length - 1];
  const summary = fmt(text.curves_aria, { seconds: number(view.lang, last.t, 0), neg_elbo: number(view.lang, last.neg_elbo),
    recon: number(view.lang, last.recon), kl: number(view.lang, last.kl) });
  view.curves.setAttribute("aria-label", summary);
  view.klCurve.setAttribute("aria-label", summary);
}

const PAD = { l: 40, r: 8, t: 20, b: 30 };

function axes(ctx, w, hgt, [x0, x1], [y0, y1], xTitle, yTitle) {
  ctx.strokeStyle = "#adb5bd";
  ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(PAD.l, PAD.t); ctx.lineTo(PAD.l, hgt - PAD.b); ctx.lineTo(w - PAD.r, hgt - PAD.b); ctx.stroke();
  ctx.fillStyle = "#6c757d";
  ctx.font = "11px sans-serif";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  niceTicks(y0, y1, 4).forEach((v) => ctx.fillText(String(v), PAD.l - 4, yAt(v, hgt, y0, y1)));
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  niceTicks(x0, x1, Math.max(3, Math.floor(w / 70))).forEach((v) => ctx.fillText(String(v), xAt(v, w, x0, x1), hgt - PAD.b + 3));
  ctx.fillText(xTitle, (PAD.l + w - PAD.r) / 2, hgt - 13);
  ctx.textAlign = "left";
  ctx.fillText(yTitle, 4, 2);
}

const xAt = (v, w, x0, x1) => PAD.l + ((v - x0) / (x1 - x0)) * (w - PAD.l - PAD.r);
const yAt = (v, hgt, y0, y1) => hgt - PAD.b - ((v - y0) / (y1 - y0)) * (hgt - PAD.t - PAD.b);

function niceTicks(lo, hi, count) {
  const raw = (hi - lo) / count, p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

function line(ctx, w, hgt, points, xd, yd, colour, dash) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(PAD.l, PAD.t, w - PAD.l - PAD.r, hgt - PAD.t - PAD.b);
  ctx.clip();
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2;
  ctx.setLineDash(dash);
  ctx.beginPath();
  points.forEach(([x, y], i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, xAt(x, w, ...xd), yAt(y, hgt, ...yd)));
  ctx.stroke();
  ctx.restore();
}

function paintGrid(view) {
  const n = view.data.grid.size, canvas = view.grid;
  canvas.width = canvas.height = n * 28;
  if (!view.snap) return;
  const ctx = canvas.getContext("2d"), image = ctx.createImageData(n * 28, n * 28), g = view.snap.grid;
  for (let k = 0; k < n * n; k++) {
    const r = Math.floor(k / n), c = k % n;
    for (let i = 0; i < 784; i++) {
      const v = Math.round(g[k * 784 + i] * 255), at = 4 * ((r * 28 + Math.floor(i / 28)) * n * 28 + c * 28 + (i % 28));
      image.data[at] = image.data[at + 1] = image.data[at + 2] = v;
      image.data[at + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
}

function paint(view, trainer) {
  const text = view.text, lang = view.lang;
  view.snap = trainer.snapshot(view.data.grid.size, view.data.grid.span);
  view.play.textContent = trainer.running ? text.pause : text.play;
  view.play.setAttribute("aria-pressed", trainer.running ? "true" : "false");
  const passes = trainer.seen / trainer.set.count;
  view.status.textContent = fmt(trainer.running ? text.status_running : text.status_paused, {
    seconds: number(lang, trainer.seconds, 0), digits: trainer.seen.toLocaleString(lang), passes: number(lang, passes),
    rate: Math.round(trainer.rate).toLocaleString(lang), backend: LAB.backend.toUpperCase() });
  if (view.announced !== trainer.running) {
    view.announced = trainer.running;
    view.live.textContent = view.status.textContent;
  }
  const last = trainer.history[trainer.history.length - 1];
  view.numbers.textContent = last
    ? fmt(text.numbers, { neg_elbo: number(lang, last.neg_elbo), recon: number(lang, last.recon), kl: number(lang, last.kl),
      ref: number(lang, view.data.reference.neg_elbo), gap: number(lang, Math.abs(last.neg_elbo - view.data.reference.neg_elbo)) })
    : text.numbers_none;
  paintMap(view, trainer);
  paintChosen(view, trainer);
  paintCurves(view, trainer);
  paintGrid(view);
  const spread = view.snap.codes.reduce((acc, [a, b]) => acc + a * a + b * b, 0) / Math.max(1, view.snap.codes.length);
  view.map.setAttribute("aria-label", fmt(text.map_aria_now, { count: view.snap.codes.length, spread: number(lang, Math.sqrt(spread), 2) }));
  // Until the pointer or the keys pick a code, the box shows the prior's centre decoded.
  paintDigit(view.hover, trainer.decode(view.cursor || [0, 0]));
  if (!view.cursor) view.hover.setAttribute("aria-label", fmt(text.hover_at, { z1: "0.00", z2: "0.00" }));
  view.root.dataset.steps = trainer.steps;
}

export default function (component) {
  const { data, parentElement } = component;
  let root = parentElement.querySelector(".lab");
  if (!root) root = h("div", { class: "lab" }, parentElement);
  const state = {};
  const view = build(root, data, state);
  let listener = null;
  load(data).then((set) => {
    LAB.backend = set.backend;
    if (!LAB.trainer) LAB.trainer = new Trainer(set, data.config);
    const trainer = LAB.trainer;
    if (!root.isConnected || state.view !== view) return;
    wire(view, trainer);
    listener = () => paint(view, trainer);
    trainer.listeners.add(listener);
    paint(view, trainer);
    LAB.ready = true;
  }, () => {
    view.status.textContent = data.text.failed;
  });
  let lastWidth = root.clientWidth;
  const observer = new ResizeObserver(() => {
    if (Math.abs(root.clientWidth - lastWidth) > 2 && LAB.trainer && listener) { lastWidth = root.clientWidth; paint(view, LAB.trainer); }
  });
  observer.observe(root);
  return () => {
    observer.disconnect();
    if (listener && LAB.trainer) LAB.trainer.listeners.delete(listener);
    setTimeout(() => { if (!root.isConnected && LAB.trainer) LAB.trainer.pause(); }, 0);
  };
}
