"""How MNIST-like do photographed and painted digits become on the site's upload path?

    .venv/bin/python bench/preprocess_quality.py --n-per-class 30 --seed 0 --write

Generates images of digits with known labels, rendered with several handwriting-like fonts
(Debian font packages, see FONTS) and made to look like real uploads: photos of a digit on
paper (white or grey paper, dark or blue ink, uneven light, off-centre, small in the frame,
rotated by up to 10 degrees, JPEG at quality 40-90), paint-program PNGs with a transparent
background, white on black, and all of it at once (a sheet on a table). Each image is
encoded to the bytes of a file and sent through the site's own upload path,
`vae_site.uploads.convert` (which calls `vae_tf.images.preprocess_upload`). The 28x28 result
is classified by a small CNN trained on MNIST's training images only. Reported per variation
and overall, as accuracy over all generated images (refused uploads count as wrong):

- site path: the classifier on the 28x28 digit the site makes from the upload;
- refused: uploads the site refused (a message instead of a digit);
- naive: the same classifier after a naive resize: PIL `convert("L")`, resize to 28x28,
  invert (255 - x);
- VAE recon: the classifier on the main VAE's reconstruction of the site's digit,
  decode(encode(digit).mean), with the site's main VAE (`vae_tf.store.SHIPPED["vae_main"]`);
- glyph ceiling: the classifier on the clean glyph (the rendered ink alone, before any
  paper, light, noise or compression) put through MNIST's recipe by this script (crop, fit
  into 20x20, centre by mass in 28x28). It measures how MNIST-like the fonts' digit shapes
  are: what a perfect preprocessing could reach with this classifier.

The classifier's weights are cached in bench/out/ (git-ignored) so reruns are fast; a contact
sheet of examples (bench/out/preprocess_examples.png) and one of the site path's worst
failures (bench/out/preprocess_failures.png) are saved, with every prediction in
bench/out/preprocess_records.csv. Everything is seeded: the same --seed gives the same
images and the same table. TensorFlow runs on one thread (the machine is shared).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from common import ROOT, machine_facts, write_section

sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"
MNIST = ROOT.parent / "shared" / "data" / "mnist.npz"

# (Debian package, font file, short name). Chosen for digits that look hand-drawn; DejaVu
# Sans is a non-handwriting control. fonts-femkeklaver was looked at and left out: its
# digits are hollow outlines, nothing like a pen stroke.
FONTS = [
    ("fonts-humor-sans", "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf", "humor-sans"),
    ("fonts-comic-neue", "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf", "comic-neue"),
    ("fonts-comic-neue", "/usr/share/fonts/opentype/comic-neue/ComicNeue-LightItalic.otf", "comic-neue-light-it"),
    ("fonts-urw-base35", "/usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf", "z003-chancery"),
    ("fonts-dkg-handwriting", "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf", "dkg"),
    ("fonts-dkg-handwriting", "/usr/share/fonts/truetype/fifthhorseman/dkgBd.ttf", "dkg-bold"),
    ("fonts-breip", "/usr/share/fonts/truetype/breip/breipfont.ttf", "breip"),
    ("fonts-dejavu-core", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "dejavu-sans (control)"),
]

VARIATIONS = [
    ("clean", "white paper, dark ink, centred, PNG (the easy case)"),
    ("grey_paper", "grey paper (dim photo), dark ink"),
    ("blue_ink", "blue ballpoint on white paper"),
    ("uneven_light", "white paper, light falling off across the sheet plus a soft shadow"),
    ("off_centre", "digit far from the centre of the frame"),
    ("small", "digit 7-15% of the frame's height"),
    ("rotated", "rotated by -10..10 degrees"),
    ("jpeg", "photo encoded as JPEG, quality 40-90"),
    ("transparent_png", "paint-program PNG: opaque strokes on a transparent background"),
    ("white_on_black", "light strokes on a black background"),
    ("photo_mix", "all at once: sheet on a table, uneven light, grey/blue, off-centre, rotated, JPEG"),
]

CLASSIFIER_SEED = 0  # the classifier does not change with --seed: only the images do
CLASSIFIER_EPOCHS = 2


# --------------------------------------------------------------------------- generation


@dataclass
class Sample:
    variation: str
    label: int
    font: str
    payload: bytes  # the uploaded file's bytes
    fmt: str  # PNG or JPEG
    glyph: np.ndarray  # the clean ink alone, float [0, 1], for the glyph ceiling
    preview: Image.Image  # a small RGB thumbnail for the sheets


def render_glyph(label: int, font_path: str, height: int, stroke_frac: float, angle: float) -> np.ndarray:
    """The digit's ink as float coverage in [0, 1], cropped to its box (about `height` tall)."""
    probe = ImageFont.truetype(font_path, 100)
    box = probe.getbbox(str(label))
    size = max(8, round(100 * height / max(1, box[3] - box[1])))
    font = ImageFont.truetype(font_path, size)
    stroke = int(round(stroke_frac * size))
    pad = size + 4 * stroke + 10
    canvas = Image.new("L", (2 * pad, 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad, pad), str(label), font=font, fill=255, anchor="mm",
                                stroke_width=stroke, stroke_fill=255)
    if angle:
        canvas = canvas.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    canvas = canvas.crop(canvas.getbbox())
    return np.asarray(canvas, np.float32) / 255.0


def place(glyph: np.ndarray, shape: tuple[int, int], centre: tuple[float, float]) -> np.ndarray:
    """Paste a glyph into an empty (H, W) coverage map with its box centred at `centre`."""
    out = np.zeros(shape, np.float32)
    gh, gw = glyph.shape
    top = int(round(centre[0] - gh / 2))
    left = int(round(centre[1] - gw / 2))
    top = min(max(top, 0), shape[0] - gh)
    left = min(max(left, 0), shape[1] - gw)
    out[top:top + gh, left:left + gw] = glyph[: shape[0], : shape[1]]
    return out


def lighting(rng: np.random.Generator, shape: tuple[int, int], strength: float) -> np.ndarray:
    """A multiplicative light field: a linear fall-off, a vignette and a soft shadow edge."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy, xx = yy / h - 0.5, xx / w - 0.5
    theta = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(theta) * xx + np.sin(theta) * yy  # -0.7..0.7
    light = 1.0 - strength * (ramp + 0.7) / 1.4 * 0.6
    light -= strength * 0.25 * (xx ** 2 + yy ** 2) * 2
    if rng.random() < 0.7:  # the shadow of a hand or a phone: a soft half-plane
        phi = rng.uniform(0, 2 * np.pi)
        offset = rng.uniform(0.15, 0.4)
        d = np.cos(phi) * xx + np.sin(phi) * yy - offset
        softness = rng.uniform(0.03, 0.12)
        light *= 1.0 - strength * rng.uniform(0.25, 0.45) / (1.0 + np.exp(-d / softness))
    return np.clip(light, 0.2, 1.0).astype(np.float32)


def photo_finish(rng: np.random.Generator, rgb: np.ndarray, blur: float, noise: float) -> Image.Image:
    """Camera softness and sensor noise; returns an 8-bit RGB image."""
    img = Image.fromarray(np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8), "RGB")
    if blur > 0:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    arr = np.asarray(img, np.float32) / 255.0
    arr = arr + rng.normal(0.0, noise, arr.shape).astype(np.float32)
    return Image.fromarray(np.round(np.clip(arr, 0, 1) * 255).astype(np.uint8), "RGB")


def encode(img: Image.Image, fmt: str, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=quality)
    else:
        img.save(buf, "PNG", compress_level=1)  # fast; the pixels are the same at any level
    return buf.getvalue()


def make_sample(seed: int, var_index: int, label: int, index: int) -> Sample:
    """One generated upload; depends only on (seed, variation, label, index)."""
    variation = VARIATIONS[var_index][0]
    rng = np.random.default_rng([seed, var_index, label, index])
    font_index = (index + label + var_index) % len(FONTS)  # every font in every cell
    _, font_path, font_name = FONTS[font_index]

    h = int(rng.integers(360, 820))
    w = int(round(h * rng.uniform(0.7, 1.4)))
    frac = rng.uniform(0.35, 0.7)  # digit height over frame height
    angle = rng.uniform(-3, 3)
    offset = 0.05  # centre offset, as a fraction of the frame
    stroke_frac = rng.choice([0.0, 0.0, rng.uniform(0.01, 0.05)])
    paper = np.array([1.0, 0.99, 0.96]) * rng.uniform(0.86, 0.97)
    ink = np.full(3, rng.uniform(0.04, 0.2))
    light_strength = rng.uniform(0.0, 0.25)
    blur = rng.uniform(0.3, 1.0) * h / 500
    noise = rng.uniform(0.006, 0.02)
    fmt, quality = "PNG", 90

    if variation == "grey_paper":
        paper = np.full(3, rng.uniform(0.45, 0.72)) * np.array([1.0, 0.99, 0.97])
        ink = np.full(3, rng.uniform(0.03, 0.15))
    elif variation == "blue_ink":
        ink = np.array([0.08, 0.18, 0.65]) * rng.uniform(0.7, 1.25)
    elif variation == "uneven_light":
        light_strength = rng.uniform(0.6, 1.0)
    elif variation == "off_centre":
        frac = rng.uniform(0.25, 0.45)
        offset = 0.32
    elif variation == "small":
        frac = rng.uniform(0.07, 0.15)
        offset = 0.25
    elif variation == "rotated":
        angle = rng.choice([-1, 1]) * rng.uniform(4, 10)
    elif variation == "jpeg":
        fmt, quality = "JPEG", int(rng.integers(40, 91))
    elif variation == "photo_mix":
        frac = rng.uniform(0.15, 0.4)
        offset = 0.2
        angle = rng.uniform(-10, 10)
        light_strength = rng.uniform(0.3, 0.9)
        if rng.random() < 0.4:
            paper = np.full(3, rng.uniform(0.5, 0.75))
        if rng.random() < 0.5:
            ink = np.array([0.08, 0.18, 0.65]) * rng.uniform(0.7, 1.25)
        fmt, quality = "JPEG", int(rng.integers(40, 91))

    if variation == "transparent_png":
        h = int(rng.integers(200, 600))
        w = int(round(h * rng.uniform(0.8, 1.6)))
        stroke_frac = rng.uniform(0.02, 0.08)  # a paint brush is round and wide
        angle = 0.0
    glyph = render_glyph(label, font_path, max(8, round(frac * h)), stroke_frac, angle)
    gh, gw = glyph.shape
    if gh > h - 4 or gw > w - 4:  # wide glyphs in a narrow frame: widen the frame
        w = max(w, gw + 8)
        h = max(h, gh + 8)
    # the sheet of paper in photo_mix: margins to the frame (the table shows there)
    inset_x, inset_y = 2.0, 2.0  # how close the glyph's box may come to the frame
    if variation == "photo_mix":  # the digit is written on the sheet, clear of its edges
        mx, my = rng.uniform(0.03, 0.12) * w, rng.uniform(0.03, 0.12) * h
        inset_x, inset_y = mx + 0.05 * w, my + 0.05 * h
    span_y = max(0.0, min(offset * h, (h - gh) / 2 - inset_y))
    span_x = max(0.0, min(offset * w, (w - gw) / 2 - inset_x))
    if variation == "off_centre":  # push it towards a side or corner
        cy = h / 2 + rng.choice([-1, 1]) * span_y * rng.uniform(0.6, 1.0)
        cx = w / 2 + rng.choice([-1, 1]) * span_x * rng.uniform(0.6, 1.0)
    else:
        cy = h / 2 + rng.uniform(-1, 1) * span_y
        cx = w / 2 + rng.uniform(-1, 1) * span_x
    a = place(glyph, (h, w), (cy, cx))[..., None]

    if variation == "transparent_png":
        colours = [(0, 0, 0), (20, 20, 20), (200, 20, 20), (20, 60, 200), (20, 140, 40)]
        colour = np.array(colours[int(rng.integers(len(colours)))], np.float32)
        behind = 0.0 if rng.random() < 0.5 else 255.0  # RGB stored under alpha 0
        rgb = colour * a + behind * (1 - a)
        alpha = np.round(a[..., 0] * 255)
        rgba = np.dstack([np.round(rgb), alpha]).astype(np.uint8)
        img = Image.fromarray(rgba, "RGBA")
        preview = Image.new("RGB", img.size, (190, 190, 190))
        preview.paste(img, (0, 0), img)
    elif variation == "white_on_black":
        bg = np.full(3, rng.uniform(0.0, 0.15))
        fg = np.full(3, rng.uniform(0.8, 1.0))
        rgb = bg * (1 - a) + fg * a
        img = photo_finish(rng, rgb, blur * 0.5, noise * 0.5)
        preview = img
    else:
        rgb = paper * (1 - a) + ink * a
        if variation == "photo_mix":  # the sheet on a table, tilted, not filling the frame
            table = np.array(rng.choice([[0.35, 0.24, 0.15], [0.25, 0.25, 0.27], [0.55, 0.45, 0.35]]))
            table = table * rng.uniform(0.7, 1.2)
            sheet = Image.new("L", (w, h), 0)
            corners = [(mx, my), (w - mx, my), (w - mx, h - my), (mx, h - my)]
            corners = [(x + rng.uniform(-0.03, 0.03) * w, y + rng.uniform(-0.03, 0.03) * h) for x, y in corners]
            ImageDraw.Draw(sheet).polygon(corners, fill=255)
            s = np.asarray(sheet, np.float32)[..., None] / 255
            rgb = rgb * s + table * (1 - s)
        rgb = rgb * lighting(rng, (h, w), light_strength)[..., None]
        img = photo_finish(rng, rgb, blur, noise)
        preview = img
    payload = encode(img, fmt, quality)
    if fmt == "JPEG":
        preview = Image.open(io.BytesIO(payload)).convert("RGB")
    preview = preview.copy()
    preview.thumbnail((112, 112), Image.Resampling.LANCZOS)
    return Sample(variation, label, font_name, payload, fmt, glyph, preview)


# --------------------------------------------------------------------------- the pipelines


def naive(payload: bytes) -> np.ndarray:
    """The naive baseline: grayscale, squash to 28x28, invert."""
    with Image.open(io.BytesIO(payload)) as img:
        small = img.convert("L").resize((28, 28))
    return (255.0 - np.asarray(small, np.float32)) / 255.0


def mnist_recipe(ink: np.ndarray) -> np.ndarray:
    """MNIST's recipe on clean ink (white on black): crop, fit into 20x20, centre by mass."""
    rows = np.nonzero(ink.max(axis=1) > 0.05)[0]
    cols = np.nonzero(ink.max(axis=0) > 0.05)[0]
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = 20.0 / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    fitted = np.asarray(Image.fromarray(crop, "F").resize(size, Image.Resampling.BOX), np.float32)
    fitted = np.clip(fitted, 0, 1)
    total = fitted.sum()
    r = (fitted.sum(axis=1) * np.arange(fitted.shape[0])).sum() / total
    c = (fitted.sum(axis=0) * np.arange(fitted.shape[1])).sum() / total
    top = min(max(int(round(14 - r)), 0), 28 - fitted.shape[0])
    left = min(max(int(round(14 - c)), 0), 28 - fitted.shape[1])
    out = np.zeros((28, 28), np.float32)
    out[top:top + fitted.shape[0], left:left + fitted.shape[1]] = fitted
    return out / out.max()


def site_path(sample: Sample) -> tuple[np.ndarray | None, str]:
    """The site's own upload path: (digit, "") or (None, the message shown to the user)."""
    from vae_site import uploads

    name = f"{sample.variation}-{sample.label}.{'jpg' if sample.fmt == 'JPEG' else 'png'}"
    result = uploads.convert(name, sample.payload)
    if isinstance(result, str):
        return None, result
    return result.digit.astype(np.float32), ""


# --------------------------------------------------------------------------- classifier


def classifier(mnist_path: Path):
    """A compact CNN trained on MNIST's training set (cached); returns (model, test accuracy)."""
    import tensorflow as tf
    import tf_keras as tfk

    from vae_tf.data import load_mnist

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tfk.utils.set_random_seed(CLASSIFIER_SEED)
    model = tfk.Sequential([
        tfk.layers.Input((28, 28, 1)),
        tfk.layers.Conv2D(32, 3, activation="relu"),
        tfk.layers.MaxPooling2D(),
        tfk.layers.Conv2D(64, 3, activation="relu"),
        tfk.layers.MaxPooling2D(),
        tfk.layers.Flatten(),
        tfk.layers.Dropout(0.3),
        tfk.layers.Dense(128, activation="relu"),
        tfk.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=tfk.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    data = load_mnist(mnist_path)
    cache = OUT / f"mnist_cnn_s{CLASSIFIER_SEED}_e{CLASSIFIER_EPOCHS}.weights.h5"
    if cache.is_file():
        model.load_weights(str(cache))
    else:
        print(f"training the MNIST classifier ({CLASSIFIER_EPOCHS} epochs, 1 thread) ...", flush=True)
        model.fit(data["train"].x, data["train"].y, batch_size=128, epochs=CLASSIFIER_EPOCHS,
                  shuffle=True, verbose=2)
        OUT.mkdir(parents=True, exist_ok=True)
        model.save_weights(str(cache))
    probs = model.predict(data["test"].x, batch_size=500, verbose=0)
    accuracy = float((probs.argmax(1) == data["test"].y).mean())
    return model, accuracy, data["test"]


# --------------------------------------------------------------------------- sheets


def _tile(arr: np.ndarray, size: int = 84) -> Image.Image:
    arr = np.zeros((28, 28)) if arr is None else arr
    img = Image.fromarray(np.round(np.clip(arr, 0, 1) * 255).astype(np.uint8), "L")
    return img.resize((size, size), Image.Resampling.NEAREST).convert("RGB")


def sheet(rows: list[dict], path: Path, title: str) -> None:
    """Rows of: upload (thumbnail), site 28x28, naive 28x28, VAE recon, with labels."""
    cell, pad, text_w = 112, 6, 250
    width = pad + (cell + pad) * 4 + text_w
    height = 30 + (cell + pad) * len(rows) + pad
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.text((pad, 8), title + "   [upload | site 28x28 | naive 28x28 | VAE recon of site]", fill=(0, 0, 0))
    for i, row in enumerate(rows):
        y = 30 + i * (cell + pad)
        thumb = row["preview"]
        img.paste(thumb, (pad + (cell - thumb.width) // 2, y + (cell - thumb.height) // 2))
        for j, key in enumerate(("site", "naive", "recon")):
            img.paste(_tile(row[key], cell), (pad + (cell + pad) * (j + 1), y))
        lines = [f"{row['variation']} / {row['font']}", f"true {row['label']}",
                 f"site -> {row['pred_site']} (p_true {row['p_true_site']:.2f})",
                 f"naive -> {row['pred_naive']}  recon -> {row['pred_recon']}",
                 f"glyph ceiling -> {row['pred_glyph']}"]
        if row["refused"]:
            lines.append("REFUSED: " + row["refused"][:60])
            lines.append(row["refused"][60:120])
        for k, line in enumerate(lines):
            draw.text((pad + (cell + pad) * 4, y + 4 + 14 * k), line, fill=(0, 0, 0))
    img.save(path)


# --------------------------------------------------------------------------- report


def package_version(pkg: str) -> str:
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True,
                              text=True, timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def pct(hits: int, n: int) -> str:
    return f"{100.0 * hits / n:.1f}%" if n else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n", 3)[3])
    parser.add_argument("--n-per-class", type=int, default=30,
                        help="images per digit class per variation (default 30: 3,300 images)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated images (default 0)")
    parser.add_argument("--models", type=Path, default=None,
                        help="models directory holding the main VAE (default $VAE_TF_MODELS or models/)")
    parser.add_argument("--mnist", type=Path, default=MNIST, help=f"MNIST .npz (default {MNIST})")
    parser.add_argument("--write", action="store_true", help="(re)write the preprocess_quality section of BENCHMARKS.md")
    args = parser.parse_args()
    if not 1 <= args.n_per_class <= 1000:
        parser.error("--n-per-class must be in 1..1000")
    if args.models is not None:
        os.environ["VAE_TF_MODELS"] = str(args.models.resolve())
    missing = [f for _, f, _ in FONTS if not Path(f).is_file()]
    if missing:
        parser.error("missing fonts (apt-get install the packages in FONTS): " + ", ".join(missing))

    from vae_tf import store
    from vae_tf.inference import Inference

    started = time.time()
    OUT.mkdir(parents=True, exist_ok=True)
    model, mnist_accuracy, test = classifier(args.mnist)
    print(f"classifier MNIST test accuracy: {100 * mnist_accuracy:.2f}%", flush=True)
    vae_dir = store.model_dir(store.SHIPPED["vae_main"])
    vae = Inference(store.load(vae_dir))
    weights_sha = hashlib.sha256((vae_dir / store.WEIGHTS).read_bytes()).hexdigest()[:12]
    # Reference: the classifier on the VAE's reconstructions of real MNIST test digits.
    ref_x, ref_y = test.x[:2000, ..., 0], test.y[:2000]
    ref_recon = vae.decode(vae.encode(ref_x)[0])
    ref_pred = model.predict(ref_recon.reshape(-1, 28, 28, 1), batch_size=500, verbose=0).argmax(1)
    mnist_recon_accuracy = float((ref_pred == ref_y).mean())
    print(f"classifier on the VAE's reconstructions of 2,000 MNIST test digits: "
          f"{100 * mnist_recon_accuracy:.2f}%", flush=True)

    rows: list[dict] = []
    site_digits, naive_digits, glyph_digits = [], [], []
    t_site = 0.0
    for v in range(len(VARIATIONS)):
        for label in range(10):
            for i in range(args.n_per_class):
                s = make_sample(args.seed, v, label, i)
                t0 = time.perf_counter()
                digit, message = site_path(s)
                t_site += time.perf_counter() - t0
                site_digits.append(digit if digit is not None else np.zeros((28, 28), np.float32))
                naive_digits.append(naive(s.payload))
                glyph_digits.append(mnist_recipe(s.glyph))
                rows.append(dict(variation=s.variation, label=label, font=s.font, index=i, fmt=s.fmt,
                                 bytes=len(s.payload), refused=message, preview=s.preview))
        print(f"  {VARIATIONS[v][0]}: generated and preprocessed", flush=True)

    site = np.stack(site_digits)
    mean, _ = vae.encode(site)
    recon = vae.decode(mean)
    outputs = {}
    for key, batch in (("site", site), ("naive", np.stack(naive_digits)), ("recon", recon),
                       ("glyph", np.stack(glyph_digits))):
        outputs[key] = model.predict(batch.reshape(-1, 28, 28, 1), batch_size=500, verbose=0)
    for k, row in enumerate(rows):
        for key in ("site", "naive", "recon", "glyph"):
            row[f"pred_{key}"] = int(outputs[key][k].argmax())
        if row["refused"]:  # a refused upload has no digit: it counts as wrong
            row["pred_site"] = row["pred_recon"] = -1
        row["p_true_site"] = 0.0 if row["refused"] else float(outputs["site"][k][row["label"]])
        row["site"], row["naive"], row["recon"] = site[k], naive_digits[k], recon[k]

    def acc(subset: list[dict], key: str) -> tuple[int, int]:
        return sum(r[f"pred_{key}"] == r["label"] for r in subset), len(subset)

    header = ("| variation | images | site path | refused | naive resize | VAE recon of site | glyph ceiling |\n"
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    lines = [header]
    groups = [(name, [r for r in rows if r["variation"] == name]) for name, _ in VARIATIONS]
    groups.append(("**overall**", rows))
    for name, subset in groups:
        n = len(subset)
        refused = sum(bool(r["refused"]) for r in subset)
        cells = [pct(*acc(subset, k)) for k in ("site", "naive", "recon", "glyph")]
        if name.startswith("**"):
            cells = [f"**{c}**" for c in cells]
        lines.append(f"| {name} | {n} | {cells[0]} | {refused} | {cells[1]} | {cells[2]} | {cells[3]} |")
    table = "\n".join(lines)

    font_lines = ["| font | images | site path | naive resize | VAE recon of site | glyph ceiling |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for _, _, fname in FONTS:
        subset = [r for r in rows if r["font"] == fname]
        font_lines.append(f"| {fname} | {len(subset)} | " + " | ".join(
            pct(*acc(subset, k)) for k in ("site", "naive", "recon", "glyph")) + " |")
    font_table = "\n".join(font_lines)

    class_lines = ["| digit | " + " | ".join(str(d) for d in range(10)) + " |",
                   "| --- |" + " ---: |" * 10]
    for key, title in (("site", "site path"), ("glyph", "glyph ceiling")):
        class_lines.append(f"| {title} | " + " | ".join(
            pct(*acc([r for r in rows if r["label"] == d], key)) for d in range(10)) + " |")
    class_table = "\n".join(class_lines)

    # confusions of the site path (true -> predicted), the most frequent first
    pairs: dict[tuple[int, int], int] = {}
    for r in rows:
        if r["pred_site"] != r["label"]:
            pairs[(r["label"], r["pred_site"])] = pairs.get((r["label"], r["pred_site"]), 0) + 1
    confusions = ", ".join(f"{t}->{'refused' if p < 0 else p}: {c}"
                           for (t, p), c in sorted(pairs.items(), key=lambda kv: -kv[1])[:12])

    with open(OUT / "preprocess_records.csv", "w", newline="") as f:
        keys = ["variation", "font", "label", "index", "fmt", "bytes", "pred_site", "p_true_site",
                "pred_naive", "pred_recon", "pred_glyph", "refused"]
        writer = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)

    # two examples per variation (different digits and fonts) and the 24 worst failures
    examples = [r for v, _ in VARIATIONS for r in rows if r["variation"] == v and r["index"] == 0
                and r["label"] in (3 + len(v) % 5, 7 - len(v) % 4)][:2 * len(VARIATIONS)]
    sheet(examples, OUT / "preprocess_examples.png", f"Examples, seed {args.seed}")
    failures = sorted((r for r in rows if r["pred_site"] != r["label"]), key=lambda r: r["p_true_site"])
    # spread the worst cases over variations so one variation does not fill the sheet
    picked, seen = [], {}
    for r in failures:
        if seen.get(r["variation"], 0) < 4 and len(picked) < 24:
            picked.append(r)
            seen[r["variation"]] = seen.get(r["variation"], 0) + 1
    if picked:
        sheet(picked, OUT / "preprocess_failures.png", "Worst site-path failures (lowest p(true))")

    elapsed = time.time() - started
    n_total = len(rows)
    summary = (f"{n_total} images ({args.n_per_class} per digit per variation, seed {args.seed}); "
               f"classifier MNIST test accuracy {100 * mnist_accuracy:.2f}%; "
               f"VAE {vae_dir} (weights sha256 {weights_sha}), classifier on its reconstructions of "
               f"2,000 MNIST test digits {100 * mnist_recon_accuracy:.2f}%; "
               f"site path {1000 * t_site / n_total:.0f} ms per upload; run {elapsed / 60:.1f} min")
    print()
    print(table)
    print()
    print(font_table)
    print()
    print(class_table)
    print()
    print("site-path confusions (true->predicted):", confusions)
    print(summary)
    print(f"sheets: {OUT / 'preprocess_examples.png'}, {OUT / 'preprocess_failures.png'}")

    if args.write:
        font_list = "\n".join(f"- `{name}`: {path} (Debian `{pkg}` {package_version(pkg)})"
                              for pkg, path, name in FONTS)
        variation_list = "\n".join(f"- `{name}`: {text}" for name, text in VARIATIONS)
        text = f"""Generated uploads of digits with known labels go through the site's own upload path
(`vae_site.uploads.convert`, i.e. `vae_tf.images.preprocess_upload`), and a compact CNN trained
on MNIST's training set only classifies the 28x28 results. Accuracy over all generated images;
refused uploads count as wrong. *Naive resize*: PIL `convert("L")`, resize to 28x28, 255 - x.
*VAE recon*: the main VAE's decode(encode(digit).mean) of the site's digit. *Glyph ceiling*: the
clean rendered ink (no paper, light, noise or compression) through MNIST's recipe (crop, fit
20x20, centre by mass): how MNIST-like the fonts' shapes are for this classifier.

{summary}.

{table}

Variations:
{variation_list}

Per font (every font appears in every variation and class):

{font_table}

Per digit:

{class_table}

Most frequent site-path confusions (true->predicted): {confusions}.

Fonts (rendered with PIL ImageFont at sizes fitted to the digit's height in the frame, outline
`stroke_width` 0 or 1-5% of the size, 8% for paint-program brushes):
{font_list}

Sheets (not committed): `bench/out/preprocess_examples.png` (examples),
`bench/out/preprocess_failures.png` (worst site-path failures); every prediction in
`bench/out/preprocess_records.csv`.
"""
        write_section("preprocess_quality", text, machine_facts(), note="TensorFlow on 1 thread.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
