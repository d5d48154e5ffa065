// The drawing pad: a canvas to draw one digit on with a mouse, pen or finger, a Clear button, and
// (when the page asks for it) a 2-D VAE's latent map beside it (under it on a narrow column). After
// every stroke the browser turns the drawing into a 28x28 digit as the server does (the crop, the
// 20x20 fit and the centring by mass of vae_tf/images/recipe.py), runs the exported encoder on it,
// and draws q(z|x) on the map at once; then it sends the drawing (a PNG) to the server, which runs
// the whole preprocessing and the page's analysis. Built on latent_map.js (appended after it).
const PAD = 280; // the canvas's own pixels, whatever its size on screen
const PEN = 20; // pen width in those pixels: about MNIST's 2.6 px once a full-height digit is fitted into 20x20
const FIT = 20, SIDE = 28, CENTRE = 14;

// Python's round(): halves to the even neighbour (the recipe's sizes and shifts use it).
function roundEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// preprocess_canvas's ink: how far each pixel is from the median colour of the border, scaled to max 1.
function inkOf(rgba, w, h) {
  const border = [];
  for (let x = 0; x < w; x++) border.push(x, (h - 1) * w + x);
  for (let y = 1; y < h - 1; y++) border.push(y * w, y * w + w - 1);
  const bg = [0, 1, 2].map((c) => {
    const v = border.map((i) => rgba[4 * i + c] / 255).sort((a, b) => a - b), n = v.length;
    return n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  });
  const ink = new Float32Array(w * h);
  let top = 0;
  for (let i = 0; i < w * h; i++) {
    const r = Math.abs(rgba[4 * i] / 255 - bg[0]), g = Math.abs(rgba[4 * i + 1] / 255 - bg[1]);
    ink[i] = Math.max(r, g, Math.abs(rgba[4 * i + 2] / 255 - bg[2]));
    top = Math.max(top, ink[i]);
  }
  if (top < 0.05) return null;
  for (let i = 0; i < ink.length; i++) ink[i] = ink[i] / top < 0.02 ? 0 : ink[i] / top;
  return ink;
}

function bbox(a, w, h) {
  let top = h, bottom = 0, left = w, right = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (a[y * w + x] > 0) {
    top = Math.min(top, y); bottom = Math.max(bottom, y + 1); left = Math.min(left, x); right = Math.max(right, x + 1);
  }
  return [top, bottom, left, right];
}

// Pillow's resampling weights along one axis (Resample.c, precompute_coeffs): box when shrinking, else bilinear.
function coefficients(inSize, outSize, box) {
  const scale = inSize / outSize, fs = Math.max(scale, 1), support = (box ? 0.5 : 1) * fs, out = [];
  const filter = box ? (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) : (x) => Math.max(0, 1 - Math.abs(x));
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale, lo = Math.max(0, Math.trunc(centre - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(centre + support + 0.5)), k = [];
    for (let x = lo; x < hi; x++) k.push(filter((x - centre + 0.5) / fs));
    const sum = k.reduce((a, b) => a + b, 0);
    out.push({ lo, k: k.map((v) => (sum ? v / sum : 0)) });
  }
  return out;
}

// Image.resize of a float ("F") image: horizontal pass, then vertical, clipped to [0, 1] as _fit does.
function resize(a, w, h, ow, oh, box) {
  const cx = coefficients(w, ow, box), cy = coefficients(h, oh, box);
  const mid = new Float32Array(ow * h), out = new Float32Array(ow * oh);
  for (let y = 0; y < h; y++) for (let x = 0; x < ow; x++) {
    let s = 0; cx[x].k.forEach((v, i) => { s += v * a[y * w + cx[x].lo + i]; }); mid[y * ow + x] = s;
  }
  for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) {
    let s = 0; cy[y].k.forEach((v, i) => { s += v * mid[(cy[y].lo + i) * ow + x]; }); out[y * ow + x] = Math.min(1, Math.max(0, s));
  }
  return out;
}

// recipe.finish without its outline filling and stroke redrawing (the pad's pen needs the latter
// only for a digit drawn very small or edge to edge: `redrawn` says so, and the note under the map):
// crop with a 5% margin, fit the ink's box into 20x20, trim, centre by mass in 28x28, scale to max 1.
function mnistDigit(ink, w, h) {
  const [top, bottom, left, right] = bbox(ink, w, h), long = Math.max(bottom - top, right - left);
  const margin = Math.max(1, roundEven(0.05 * long)), cw = right - left + 2 * margin, ch = bottom - top + 2 * margin;
  const crop = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) {
    const sy = top - margin + y, sx = left - margin + x;
    crop[y * cw + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? ink[sy * w + sx] : 0;
  }
  const scale = FIT / long, fw = Math.max(1, roundEven(cw * scale)), fh = Math.max(1, roundEven(ch * scale));
  const fitted = resize(crop, cw, ch, fw, fh, scale < 1);
  let [t, b, l, r] = bbox(fitted, fw, fh);
  const rows = Math.min(b - t, SIDE), cols = Math.min(r - l, SIDE);
  t += Math.floor((b - t - rows) / 2);
  l += Math.floor((r - l - cols) / 2);
  let mass = 0, my = 0, mx = 0;
  for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) {
    const v = fitted[(t + y) * fw + l + x]; mass += v; my += v * y; mx += v * x;
  }
  const dy = Math.min(Math.max(roundEven(CENTRE - my / mass), 0), SIDE - rows);
  const dx = Math.min(Math.max(roundEven(CENTRE - mx / mass), 0), SIDE - cols);
  const digit = new Float32Array(SIDE * SIDE);
  let most = 0;
  for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) {
    const v = fitted[(t + y) * fw + l + x]; digit[(dy + y) * SIDE + dx + x] = v; most = Math.max(most, v);
  }
  const out = digit.map((v) => v / most);
  // The page redraws strokes far from MNIST's width (recipe.normalise_strokes: outside 1.5-4.6 px
  // at 20x20); with the pad's fixed pen that is a digit drawn very small or edge to edge.
  const pen = (PEN * FIT) / long;
  out.redrawn = pen < 1.5 || pen > 4.6;
  return out;
}

// q(z|x) = N(mu, diag softplus(s)^2) from the encoder trunk's 4 outputs (tfpl.IndependentNormal's rule).
function posterior(layers, digit) {
  const out = forward(layers, digit), half = out.length / 2;
  const softplus = (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
  return { mean: Array.from(out.slice(0, half)), std: Array.from(out.slice(half)).map(softplus) };
}

function ellipse(mean, std, r) {
  return Array.from({ length: 65 }, (_, i) => {
    const a = (2 * Math.PI * i) / 64;
    return [mean[0] + r * std[0] * Math.cos(a), mean[1] + r * std[1] * Math.sin(a)];
  });
}

function buildPad(parentElement, setStateValue) {
  const root = document.createElement("div");
  root.className = "dp";
  root.innerHTML = `<div class="dp-pad"><canvas class="dp-canvas" width="${PAD}" height="${PAD}" role="img"></canvas>
    <div class="dp-tools"><button type="button" class="dp-clear"><svg viewBox="0 0 24 24" aria-hidden="true">
    <path d="M6 19a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2V7H6zM19 4h-3.5l-1-1h-5l-1 1H5v2h14z"/></svg><span></span></button>
    <span class="dp-keyboard"></span></div></div><div class="dp-map"><div class="lm"></div><p class="dp-note"></p></div>`;
  parentElement.appendChild(root);
  const canvas = root.querySelector("canvas"), ctx = canvas.getContext("2d", { willReadFrequently: true });
  const state = (root.__pad = { data: null, q: null, digit: null, drawing: false, layers: null, queued: false });
  const blank = () => { ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, PAD, PAD); };
  blank();
  const at = (ev) => {
    const rect = canvas.getBoundingClientRect();
    return [((ev.clientX - rect.left) / rect.width) * PAD, ((ev.clientY - rect.top) / rect.height) * PAD];
  };
  Object.assign(ctx, { lineCap: "round", lineJoin: "round", lineWidth: PEN, strokeStyle: "#000" });
  canvas.addEventListener("pointerdown", (ev) => {
    canvas.setPointerCapture?.(ev.pointerId);
    state.drawing = true;
    const [x, y] = at(ev);
    ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + 0.01, y); ctx.stroke();
    ev.preventDefault();
  });
  canvas.addEventListener("pointermove", (ev) => {
    if (!state.drawing) return;
    const [x, y] = at(ev);
    ctx.lineTo(x, y); ctx.stroke();
    if (!state.queued) { state.queued = true; requestAnimationFrame(() => { state.queued = false; analyse(root); }); }
  });
  const end = () => {
    if (!state.drawing) return;
    state.drawing = false;
    analyse(root);
    setStateValue("png", canvas.toDataURL("image/png"));
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  root.querySelector(".dp-clear").addEventListener("click", () => {
    blank();
    state.q = state.digit = null;
    showMap(root);
    setStateValue("png", null);
  });
  return root;
}

// The drawing's digit and q(z|x), computed here; then the map redrawn with q(z|x) on it.
function analyse(root) {
  const t0 = performance.now(), state = root.__pad, canvas = root.querySelector("canvas");
  const pixels = canvas.getContext("2d").getImageData(0, 0, PAD, PAD).data, ink = inkOf(pixels, PAD, PAD);
  state.digit = ink ? mnistDigit(ink, PAD, PAD) : null;
  state.q = state.digit && state.layers ? posterior(state.layers, state.digit) : null;
  showMap(root);
  const stats = (window.__drawingPadStats = window.__drawingPadStats || { analyse: [] });
  stats.analyse.push(performance.now() - t0); // canvas read, preprocessing, encoder and map redrawn
}

function showMap(root) {
  const state = root.__pad, data = state.data, text = data.text;
  const note = !data.map ? "" : !data.encoder ? text.unavailable : !state.q ? text.map_empty
    : state.digit.redrawn ? text.map_note + " " + text.map_redrawn : text.map_note;
  root.querySelector(".dp-note").textContent = note;
  if (!data.map) return;
  const map = root.querySelector(".lm"), q = state.q;
  const posteriors = q ? [{ label: text.name, colour: "#000000", mean: q.mean, std: q.std, rings: [1, 2].map((r) => ellipse(q.mean, q.std, r)) }] : [];
  draw(map, { ...data.map, posteriors }, Math.max(240, Math.floor(map.clientWidth || 400)));
  map.dataset.q = q ? JSON.stringify(q) : "";
  map.dataset.digit = state.digit ? JSON.stringify(Array.from(state.digit, (v) => Math.round(v * 1e4) / 1e4)) : "";
}

function mountDrawingPad(component) {
  const { data, parentElement, setStateValue } = component;
  const root = parentElement.querySelector(".dp") || buildPad(parentElement, setStateValue);
  const state = root.__pad, canvas = root.querySelector("canvas");
  state.data = data;
  root.classList.toggle("dp-alone", !data.map);
  canvas.setAttribute("aria-label", data.text.pad_label);
  root.querySelector(".dp-clear span").textContent = data.text.clear;
  root.querySelector(".dp-keyboard").textContent = data.text.keyboard;
  if (data.encoder && !state.watching) {
    // The encoder (1.3 MB) is fetched once the pad is on screen, not for a visitor who never opens its tab.
    state.watching = true;
    const seen = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      seen.disconnect();
      loadWeights(data.encoder.url, data.encoder.sizes).then((layers) => { state.layers = layers; analyse(root); },
        () => { state.data.encoder = null; showMap(root); });
    });
    seen.observe(canvas);
  }
  showMap(root);
  const map = root.querySelector(".lm");
  let last = map.clientWidth;
  const observer = new ResizeObserver(() => {
    if (Math.abs(map.clientWidth - last) > 2) { last = map.clientWidth; showMap(root); }
  });
  observer.observe(map);
  return () => observer.disconnect();
}
