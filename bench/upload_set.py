"""A hard set of photo-like uploads of digits with known labels, split into tuning and held-out halves.

Two sources of digit shapes, both laid on the same paper-like photos:

- fonts: 22 handwriting-like fonts from Debian's packages (FONTS), including a sketchy and a
  hollow outline font, drawn with outline strokes of 0-5% of the size;
- UCI: real handwriting by 13 writers other than MNIST's, scikit-learn's bundled UCI digits
  (`sklearn.datasets.load_digits`: the test set of UCI's optdigits, 8x8 ink counts), each
  rebuilt as a 32x32 bitmap that holds exactly its counts (`uci_bitmap`), then upsampled
  smoothly into pen strokes.

Each image varies one thing (VARIATIONS): paper, ink, light, shadow, framing, pen width (a
pencil's hairline to a marker), hollow letters, ruled or squared paper, a phone's perspective,
low light, a second digit or a finger at the edge, or all at once. Everything is seeded:
(seed, source, variation, label, index) gives the same file.

Every font and every UCI image belongs to one half, by a hash of its name (`split_of`).
Tuning looks at the "tune" half only; the "held-out" half is reported and never tuned on, so
its fonts and its UCI images are unseen. Its UCI writers are not: the images do not say who
wrote them, so the 13 writers have digits in both halves.
"""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from scipy import ndimage
from skimage.morphology import skeletonize

# (Debian package, font file, short name). DejaVu Sans is a non-handwriting control;
# femkeklaver's digits are hollow outlines and Cabin Sketch's are hatched: the hard cases.
_TT, _OT = "/usr/share/fonts/truetype", "/usr/share/fonts/opentype"
FONTS = [
    ("fonts-humor-sans", f"{_TT}/humor-sans/Humor-Sans.ttf", "humor-sans"),
    ("fonts-comic-neue", f"{_OT}/comic-neue/ComicNeue-Regular.otf", "comic-neue"),
    ("fonts-comic-neue", f"{_OT}/comic-neue/ComicNeue-LightItalic.otf", "comic-neue-light-it"),
    ("fonts-comic-neue", f"{_OT}/comic-neue/ComicNeue-Bold.otf", "comic-neue-bold"),
    ("fonts-urw-base35", f"{_OT}/urw-base35/Z003-MediumItalic.otf", "z003-chancery"),
    ("fonts-urw-base35", f"{_OT}/urw-base35/URWGothic-BookOblique.otf", "urw-gothic-oblique"),
    ("fonts-dkg-handwriting", f"{_TT}/fifthhorseman/dkg.ttf", "dkg"),
    ("fonts-dkg-handwriting", f"{_TT}/fifthhorseman/dkgBd.ttf", "dkg-bold"),
    ("fonts-dkg-handwriting", f"{_TT}/fifthhorseman/dkgIt.ttf", "dkg-italic"),
    ("fonts-breip", f"{_TT}/breip/breipfont.ttf", "breip"),
    ("fonts-bwht", f"{_OT}/bwht/BecauseWeBuild-Regular.otf", "bwht-build"),
    ("fonts-bwht", f"{_OT}/bwht/BecauseWeConnect-Regular.otf", "bwht-connect"),
    ("fonts-bwht", f"{_OT}/bwht/BecauseWeCreate-Regular.otf", "bwht-create"),
    ("fonts-bwht", f"{_OT}/bwht/BecauseWeLearn-Regular.otf", "bwht-learn"),
    ("fonts-bwht", f"{_OT}/bwht/BecauseWeMentor-Regular.otf", "bwht-mentor"),
    ("fonts-bwht", f"{_OT}/bwht/BecauseWeOrganize-Regular.otf", "bwht-organize"),
    ("fonts-dancingscript", f"{_OT}/dancingscript/DancingScript-Regular.otf", "dancing-script"),
    ("fonts-tlwg-purisa-ttf", f"{_TT}/tlwg/Purisa-Bold.ttf", "purisa-bold"),
    ("fonts-tlwg-purisa-ttf", f"{_TT}/tlwg/Purisa-BoldOblique.ttf", "purisa-bold-oblique"),
    ("fonts-cabinsketch", f"{_TT}/cabinsketch/CabinSketch-Regular.ttf", "cabin-sketch (sketchy)"),
    ("fonts-femkeklaver", f"{_TT}/femkeklaver/femkeklaver.ttf", "femkeklaver (outline)"),
    ("fonts-dejavu-core", f"{_TT}/dejavu/DejaVuSans.ttf", "dejavu-sans (control)"),
]
SOURCES = ("fonts", "uci")
GLYPH_SIDE = 160  # the clean glyph is kept this small: thousands of them are cached

VARIATIONS = [
    ("clean", "white paper, dark ink, centred, PNG (the easy case)"),
    ("grey_paper", "grey paper (dim photo), dark ink"),
    ("coloured_paper", "yellow, pink, green or blue paper"),
    ("blue_ink", "blue ballpoint on white paper"),
    ("low_light", "a dark, noisy photo (a quarter to a half of full light)"),
    ("uneven_light", "light falling off across the sheet plus the soft shadow of a hand"),
    ("off_centre", "digit far from the centre of the frame"),
    ("small", "digit 7-15% of the frame's height"),
    ("rotated", "rotated by 4-12 degrees"),
    ("perspective", "a phone held at an angle: the sheet in perspective"),
    ("jpeg", "photo encoded as JPEG, quality 30-90"),
    ("pencil_thin", "a hairline pencil: grey, grainy, 1-2.5% of the digit's height"),
    ("marker_thick", "a felt marker: strokes 16-24% of the digit's height"),
    ("outline", "hollow outline letters (a line 1-2.5% of the height around the shape)"),
    ("ruled_paper", "lined notebook paper (blue lines, a red margin)"),
    ("squared_paper", "squared maths paper"),
    ("second_digit", "a second digit cut off at the edge of the frame"),
    ("finger", "a finger at the edge of the frame"),
    ("transparent_png", "paint-program PNG: opaque strokes on a transparent background"),
    ("white_on_black", "light strokes on a black background (a board)"),
    ("photo_mix", "all at once: sheet on a table, perspective, light, ruled, blue, JPEG"),
]


@dataclass(frozen=True)
class Scene:
    """How one upload is photographed: every choice a variation can change."""

    height: int
    width: int
    frac: float  # digit height over frame height
    angle: float
    offset: float  # how far the digit may sit from the centre, as a fraction of the frame
    paper: np.ndarray
    ink: np.ndarray
    light: float  # strength of uneven light and shadow, 0..1
    blur: float
    noise: float
    fmt: str = "PNG"
    quality: int = 90
    pen: str = "as_drawn"  # or "thin", "thick", "outline"
    pattern: str = ""  # "", "ruled", "squared"
    gain: float = 1.0  # overall exposure (low light < 1)
    tilt: float = 0.0  # perspective strength
    table: bool = False
    extra: str = ""  # "", "second_digit", "finger"
    ground: str = "paper"  # or "transparent", "black"
    corner: bool = False  # push the digit towards a corner


@dataclass
class Sample:
    """One generated upload and what is known about it."""

    source: str
    variation: str
    label: int
    writer: str  # the font's name or the UCI image's index: decides the split
    split: str  # "tune" or "held-out"
    payload: bytes
    fmt: str
    glyph: np.ndarray  # the clean ink alone, uint8, long side <= GLYPH_SIDE: the glyph ceiling
    preview: Image.Image = field(repr=False)


def split_of(writer: str) -> str:
    """The half a writer (font or UCI image) belongs to, by a hash of its name."""
    return "tune" if hashlib.sha256(writer.encode()).digest()[0] % 2 == 0 else "held-out"


# --------------------------------------------------------------------------- glyphs


@functools.cache
def _uci():
    """scikit-learn's bundled UCI digits: (images 8x8 in [0, 1], labels)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images / 16.0, digits.target


def uci_bitmap(cells: np.ndarray) -> np.ndarray:
    """A 32x32 binary bitmap of a UCI digit, consistent with its 8x8 ink counts.

    Each count is the number of ink pixels (0-16) in a 4x4 block of the writer's 32x32 bitmap.
    The bitmap puts exactly that many pixels in each block, where the bicubic upsampling of the
    counts is densest (ties go to the block's centre), so thin strokes and the holes of 6, 8 and
    9 survive: thresholding the smooth counts instead keeps only the densest blocks.
    """
    counts = np.rint(np.asarray(cells) * 16).astype(int)
    density = np.asarray(
        Image.fromarray(np.clip(counts * 16, 0, 255).astype(np.uint8)).resize((32, 32), Image.Resampling.BICUBIC),
        np.float32,
    )
    centre = np.abs(np.arange(4) - 1.5)
    density = density - 1e-3 * np.tile(np.add.outer(centre, centre), (8, 8))
    blocks = density.reshape(8, 4, 8, 4).transpose(0, 2, 1, 3).reshape(8, 8, 16)
    rank = np.argsort(np.argsort(-blocks, axis=-1), axis=-1)
    ink = (rank < counts[..., None]).reshape(8, 8, 4, 4).transpose(0, 2, 1, 3).reshape(32, 32)
    assert (ink.reshape(8, 4, 8, 4).sum(axis=(1, 3)) == counts).all()
    return ink


def uci_glyph(index: int, height: int) -> np.ndarray:
    """A UCI digit as pen strokes about `height` px tall: ink coverage in [0, 1].

    Its 32x32 bitmap (`uci_bitmap`) is upsampled smoothly (bicubic, then a Gaussian blur of
    0.8 bitmap pixels), its edge drawn at half coverage, and the result sized to `height`.
    """
    scale = max(2, -(-height // 32))
    bitmap = Image.fromarray(uci_bitmap(_uci()[0][index]).astype(np.uint8) * 255)
    big = np.asarray(bitmap.resize((32 * scale, 32 * scale), Image.Resampling.BICUBIC), np.float32) / 255.0
    ink = np.clip((ndimage.gaussian_filter(big, 0.8 * scale) - 0.5) / 0.2 + 0.5, 0.0, 1.0)
    side = max(12, height)
    return _crop_ink(np.asarray(Image.fromarray(ink).resize((side, side), Image.Resampling.BOX), np.float32))


def font_glyph(label: int, font_path: str, height: int, stroke_frac: float) -> np.ndarray:
    """The digit in a font as ink coverage in [0, 1], cropped to its box (about `height` tall)."""
    probe = ImageFont.truetype(font_path, 100)
    box = probe.getbbox(str(label))
    size = max(8, round(100 * height / max(1, box[3] - box[1])))
    font = ImageFont.truetype(font_path, size)
    stroke = int(round(stroke_frac * size))
    pad = size + 4 * stroke + 10
    canvas = Image.new("L", (2 * pad, 2 * pad), 0)
    ImageDraw.Draw(canvas).text(
        (pad, pad), str(label), font=font, fill=255, anchor="mm", stroke_width=stroke, stroke_fill=255
    )
    return _crop_ink(np.asarray(canvas, np.float32) / 255.0)


def _crop_ink(ink: np.ndarray) -> np.ndarray:
    """The ink's bounding box."""
    rows, cols = np.nonzero(ink > 0.02)
    return ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def repen(rng: np.random.Generator, glyph: np.ndarray, pen: str) -> np.ndarray:
    """Redraw the glyph with a pencil (thin, grey, grainy path), a marker (thick), or hollow."""
    if pen == "as_drawn":
        return glyph
    height = glyph.shape[0]
    if pen == "outline":  # hollow letters: a thin line around the shape, nothing inside
        mask = np.pad(glyph > 0.5, 4)
        band = max(1.0, rng.uniform(0.012, 0.025) * height)
        inside = ndimage.distance_transform_edt(mask) > band
        return _crop_ink(ndimage.gaussian_filter((mask & ~inside).astype(np.float32), 0.6))
    path = skeletonize(glyph > 0.5)
    if pen == "thin":
        radius = max(0.5, rng.uniform(0.005, 0.0125) * height)
        line = (ndimage.distance_transform_edt(~path) <= radius).astype(np.float32)
        grain = rng.uniform(0.45, 0.9) * (1 - 0.35 * rng.random(glyph.shape))  # graphite on paper
        return _crop_ink(ndimage.gaussian_filter(line * grain, 0.7))
    radius = max(2.0, rng.uniform(0.08, 0.12) * height)
    padded = np.pad(path, int(radius) + 2)  # a disk of the marker's radius around the path
    return _crop_ink((ndimage.distance_transform_edt(~padded) <= radius).astype(np.float32))


def rotate(glyph: np.ndarray, angle: float) -> np.ndarray:
    """Rotate ink coverage by angle degrees (bicubic, expanded to fit)."""
    if not angle:
        return glyph
    img = Image.fromarray(glyph.astype(np.float32), "F").rotate(angle, Image.Resampling.BICUBIC, expand=True)
    return _crop_ink(np.clip(np.asarray(img), 0.0, 1.0))


# --------------------------------------------------------------------------- scenes


def base_scene(rng: np.random.Generator) -> Scene:
    """A plain photo of a digit on white paper: the starting point of every variation."""
    height = int(rng.integers(300, 700))
    return Scene(
        height=height,
        width=int(round(height * rng.uniform(0.7, 1.4))),
        frac=rng.uniform(0.35, 0.7),
        angle=rng.uniform(-3, 3),
        offset=0.05,
        paper=np.array([1.0, 0.99, 0.96]) * rng.uniform(0.86, 0.97),
        ink=np.full(3, rng.uniform(0.04, 0.2)),
        light=rng.uniform(0.0, 0.25),
        blur=rng.uniform(0.3, 1.0) * height / 500,
        noise=rng.uniform(0.006, 0.02),
    )


BLUE_PEN = np.array([0.08, 0.18, 0.65])
PAPER_COLOURS = [(1.0, 0.95, 0.55), (1.0, 0.8, 0.85), (0.75, 0.95, 0.75), (0.7, 0.85, 1.0)]


def _jpeg(rng):
    """JPEG at a phone's quality."""
    return {"fmt": "JPEG", "quality": int(rng.integers(30, 91))}


def _photo_mix(rng, scene: Scene) -> dict:
    """Everything at once, as a careless phone photo."""
    ink = BLUE_PEN * rng.uniform(0.7, 1.25) if rng.random() < 0.5 else scene.ink
    return {
        "frac": rng.uniform(0.15, 0.4),
        "offset": 0.2,
        "angle": rng.uniform(-10, 10),
        "light": rng.uniform(0.3, 0.9),
        "tilt": rng.uniform(0.05, 0.15),
        "table": True,
        "pattern": str(rng.choice(["", "ruled", "squared"])),
        "ink": ink,
        "paper": np.full(3, rng.uniform(0.5, 0.75)) if rng.random() < 0.4 else scene.paper,
        **_jpeg(rng),
    }


def vary(rng: np.random.Generator, scene: Scene, variation: str) -> Scene:
    """The scene with one variation applied."""
    changes = {
        "clean": lambda: {},
        "grey_paper": lambda: {
            "paper": np.full(3, rng.uniform(0.45, 0.72)),
            "ink": np.full(3, rng.uniform(0.03, 0.15)),
        },
        "coloured_paper": lambda: {"paper": np.array(PAPER_COLOURS[rng.integers(4)]) * rng.uniform(0.8, 0.97)},
        "blue_ink": lambda: {"ink": BLUE_PEN * rng.uniform(0.7, 1.25)},
        "low_light": lambda: {"gain": rng.uniform(0.25, 0.5), "noise": rng.uniform(0.02, 0.04), **_jpeg(rng)},
        "uneven_light": lambda: {"light": rng.uniform(0.6, 1.0)},
        "off_centre": lambda: {"frac": rng.uniform(0.25, 0.45), "offset": 0.32, "corner": True},
        "small": lambda: {"frac": rng.uniform(0.07, 0.15), "offset": 0.25},
        "rotated": lambda: {"angle": rng.choice([-1, 1]) * rng.uniform(4, 12)},
        "perspective": lambda: {"tilt": rng.uniform(0.1, 0.25), **_jpeg(rng)},
        "jpeg": lambda: _jpeg(rng),
        "pencil_thin": lambda: {"pen": "thin"},
        "marker_thick": lambda: {"pen": "thick"},
        "outline": lambda: {"pen": "outline"},
        "ruled_paper": lambda: {"pattern": "ruled"},
        "squared_paper": lambda: {"pattern": "squared"},
        "second_digit": lambda: {"extra": "second_digit", "frac": rng.uniform(0.3, 0.5)},
        "finger": lambda: {"extra": "finger", **_jpeg(rng)},
        "transparent_png": lambda: {"ground": "transparent", "angle": 0.0},
        "white_on_black": lambda: {"ground": "black"},
        "photo_mix": lambda: _photo_mix(rng, scene),
    }
    return replace(scene, **changes[variation]())


# --------------------------------------------------------------------------- the photo


def place(glyph: np.ndarray, shape: tuple[int, int], centre: tuple[float, float]) -> np.ndarray:
    """Paste a glyph into an empty (H, W) coverage map with its box centred at `centre` (may clip)."""
    out = np.zeros((shape[0] + 2 * glyph.shape[0], shape[1] + 2 * glyph.shape[1]), np.float32)
    top = int(round(centre[0] - glyph.shape[0] / 2)) + glyph.shape[0]
    left = int(round(centre[1] - glyph.shape[1] / 2)) + glyph.shape[1]
    out[top : top + glyph.shape[0], left : left + glyph.shape[1]] = glyph
    return out[glyph.shape[0] : glyph.shape[0] + shape[0], glyph.shape[1] : glyph.shape[1] + shape[1]]


def digit_centre(rng: np.random.Generator, scene: Scene, glyph_shape: tuple[int, int]) -> tuple[float, float]:
    """Where the digit's box is centred: near the middle, or pushed towards a corner."""
    inset = 0.12 if scene.table else 0.0  # on a sheet on a table: clear of the sheet's edge
    centre = []
    for side, size in zip((scene.height, scene.width), glyph_shape, strict=False):
        span = max(0.0, min(scene.offset * side, (side - size) / 2 - 2 - inset * side))
        pull = rng.choice([-1, 1]) * rng.uniform(0.6, 1.0) if scene.corner else rng.uniform(-1, 1)
        centre.append(side / 2 + pull * span)
    return centre[0], centre[1]


def paper_pattern(scene: Scene, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Printed lines on the paper as (H, W) coverage: ruled (plus a red margin) or squared."""
    lines = Image.new("L", (shape[1], shape[0]), 0)
    draw = ImageDraw.Draw(lines)
    step = (
        int(rng.uniform(0.06, 0.1) * shape[0]) if scene.pattern == "ruled" else int(rng.uniform(0.035, 0.06) * shape[0])
    )
    phase, width = int(rng.integers(0, step)), max(1, shape[0] // 400)
    for y in range(phase, shape[0], max(4, step)):
        draw.line([(0, y), (shape[1], y)], 150, width)
    if scene.pattern == "squared":
        for x in range(phase, shape[1], max(4, step)):
            draw.line([(x, 0), (x, shape[0])], 150, width)
    return np.asarray(lines, np.float32) / 255.0


def lighting(rng: np.random.Generator, shape: tuple[int, int], strength: float) -> np.ndarray:
    """A multiplicative light field: a linear fall-off, a vignette and a soft shadow edge."""
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    yy, xx = yy / shape[0] - 0.5, xx / shape[1] - 0.5
    theta = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(theta) * xx + np.sin(theta) * yy  # -0.7..0.7
    light = 1.0 - strength * (ramp + 0.7) / 1.4 * 0.6 - strength * 0.5 * (xx**2 + yy**2)
    if rng.random() < 0.7:  # the shadow of a hand or a phone: a soft half-plane
        phi = rng.uniform(0, 2 * np.pi)
        d = np.cos(phi) * xx + np.sin(phi) * yy - rng.uniform(0.15, 0.4)
        depth = strength * rng.uniform(0.25, 0.45)
        light *= 1.0 - depth / (1.0 + np.exp(-d / rng.uniform(0.03, 0.12)))
    return np.clip(light, 0.2, 1.0).astype(np.float32)[..., None]


def second_digit(rng: np.random.Generator, other: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Another digit at the left or right edge of the frame, a third to a half of it cut off."""
    cut = rng.uniform(0.33, 0.5) * other.shape[1]
    x = other.shape[1] / 2 - cut if rng.random() < 0.5 else shape[1] - other.shape[1] / 2 + cut
    return place(other, shape, (shape[0] * rng.uniform(0.35, 0.65), x))


def finger(rng: np.random.Generator, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A blurred fingertip coming in from an edge: (coverage (H, W, 1), skin colour)."""
    h, w = shape
    mask = Image.new("L", (w, h), 0)
    width, length = rng.uniform(0.12, 0.2) * w, rng.uniform(0.25, 0.45) * h
    x = rng.uniform(0.1, 0.9) * w
    box = [x - width / 2, h - length, x + width / 2, h + length]  # from the bottom edge
    ImageDraw.Draw(mask).ellipse(box, fill=255)
    if rng.random() < 0.5:
        mask = mask.transpose(Image.Transpose.ROTATE_180)  # from the top edge
    mask = mask.filter(ImageFilter.GaussianBlur(0.02 * w))
    skin = np.array([0.86, 0.64, 0.52]) * rng.uniform(0.6, 1.0)
    return np.asarray(mask, np.float32)[..., None] / 255.0, skin


def on_table(rng: np.random.Generator, rgb: np.ndarray) -> np.ndarray:
    """The sheet lying on a table: a tilted quadrilateral of paper, table colour around it."""
    h, w = rgb.shape[:2]
    table = np.array([[0.35, 0.24, 0.15], [0.25, 0.25, 0.27], [0.55, 0.45, 0.35]][rng.integers(3)])
    mx, my = rng.uniform(0.03, 0.1) * w, rng.uniform(0.03, 0.1) * h
    corners = [(mx, my), (w - mx, my), (w - mx, h - my), (mx, h - my)]
    corners = [(x + rng.uniform(-0.03, 0.03) * w, y + rng.uniform(-0.03, 0.03) * h) for x, y in corners]
    sheet = Image.new("L", (w, h), 0)
    ImageDraw.Draw(sheet).polygon(corners, fill=255)
    s = np.asarray(sheet, np.float32)[..., None] / 255.0
    return rgb * s + table * rng.uniform(0.7, 1.2) * (1 - s)


def perspective(rng: np.random.Generator, img: Image.Image, tilt: float) -> Image.Image:
    """The photo as seen by a phone held at an angle: one edge of the sheet nearer than the other."""
    w, h = img.size
    squeeze = [tilt * w * rng.uniform(0.5, 1.0), tilt * w * rng.uniform(0.0, 0.3)]
    rng.shuffle(squeeze)  # which edge is far: the top or the bottom
    # Output corners (the photo) from input corners (the flat sheet): solve the 8 coefficients.
    out = [(squeeze[0], 0), (w - squeeze[0], 0), (w - squeeze[1], h), (squeeze[1], h)]
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    rows = []
    for (x, y), (u, v) in zip(out, src, strict=False):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    coeffs = np.linalg.solve(np.array(rows, float), np.array(src, float).ravel())
    fill = tuple(int(c) for c in rng.integers(40, 110, 3))  # the table beyond the sheet
    return img.transform(img.size, Image.Transform.PERSPECTIVE, tuple(coeffs), Image.Resampling.BICUBIC, fillcolor=fill)


def photo_finish(rng: np.random.Generator, rgb: np.ndarray, scene: Scene) -> Image.Image:
    """Exposure, camera softness, perspective and sensor noise; returns an 8-bit RGB image."""
    img = Image.fromarray(np.round(np.clip(rgb * scene.gain, 0, 1) * 255).astype(np.uint8), "RGB")
    if scene.tilt:
        img = perspective(rng, img, scene.tilt)
    img = img.filter(ImageFilter.GaussianBlur(scene.blur))
    arr = np.asarray(img, np.float32) / 255.0 + rng.normal(0.0, scene.noise, (img.height, img.width, 3))
    return Image.fromarray(np.round(np.clip(arr, 0, 1) * 255).astype(np.uint8), "RGB")


def on_paper(rng: np.random.Generator, scene: Scene, a: np.ndarray) -> Image.Image:
    """Ink coverage (H, W, 1) on the scene's paper, photographed."""
    paper = np.broadcast_to(scene.paper, a.shape[:2] + (3,)).astype(np.float32)
    if scene.pattern:
        lines = paper_pattern(scene, a.shape[:2], rng)[..., None]
        paper = paper * (1 - lines) + np.array([0.45, 0.6, 0.85]) * lines
        if scene.pattern == "ruled":  # the red margin line
            margin = int(rng.uniform(0.08, 0.2) * a.shape[1])
            paper[:, margin : margin + max(1, a.shape[1] // 300)] = (0.9, 0.35, 0.35)
    rgb = paper * (1 - a) + scene.ink * a
    if scene.extra == "finger":
        skin_a, skin = finger(rng, a.shape[:2])
        rgb = rgb * (1 - skin_a) + skin * skin_a
    if scene.table:
        rgb = on_table(rng, rgb)
    return photo_finish(rng, rgb * lighting(rng, a.shape[:2], scene.light), scene)


def transparent(rng: np.random.Generator, a: np.ndarray) -> Image.Image:
    """A paint program's PNG: one opaque colour under alpha = ink, any RGB under alpha 0."""
    colours = [(0, 0, 0), (20, 20, 20), (200, 20, 20), (20, 60, 200), (20, 140, 40)]
    colour = np.array(colours[rng.integers(len(colours))], np.float32)
    behind = 0.0 if rng.random() < 0.5 else 255.0
    rgb = colour * a + behind * (1 - a)
    return Image.fromarray(np.dstack([np.round(rgb), np.round(a[..., 0] * 255)]).astype(np.uint8), "RGBA")


def on_black(rng: np.random.Generator, scene: Scene, a: np.ndarray) -> Image.Image:
    """Light strokes on a dark board, photographed."""
    rgb = np.full(3, rng.uniform(0.0, 0.15)) * (1 - a) + np.full(3, rng.uniform(0.8, 1.0)) * a
    return photo_finish(rng, rgb, replace(scene, blur=scene.blur / 2, noise=scene.noise / 2))


def encode(img: Image.Image, fmt: str, quality: int = 90) -> bytes:
    """The file's bytes: JPEG at a quality, or PNG (fast compression; same pixels)."""
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=quality)
    else:
        img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def preview_of(img: Image.Image, payload: bytes, fmt: str) -> Image.Image:
    """A small RGB thumbnail of what was uploaded, for the contact sheets."""
    if fmt == "JPEG":
        img = Image.open(io.BytesIO(payload))
    thumb = Image.new("RGB", img.size, (190, 190, 190))
    thumb.paste(img, (0, 0), img if img.mode == "RGBA" else None)
    thumb.thumbnail((112, 112), Image.Resampling.LANCZOS)
    return thumb


def glyph_for(source: str, label: int, pick: int, height: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """(ink coverage, writer) of one digit from a source; `pick` chooses the font or UCI image."""
    if source == "uci":
        indices = np.flatnonzero(_uci()[1] == label)
        index = int(indices[pick % len(indices)])
        return uci_glyph(index, height), f"uci-{index}"
    _, path, name = FONTS[pick % len(FONTS)]
    stroke = float(rng.choice([0.0, 0.0, rng.uniform(0.01, 0.05)]))
    return font_glyph(label, path, height, stroke), name


def make_sample(seed: int, source: str, var_index: int, label: int, index: int) -> Sample:
    """One generated upload; depends only on (seed, source, variation, label, index)."""
    variation = VARIATIONS[var_index][0]
    rng = np.random.default_rng([seed, SOURCES.index(source), var_index, label, index])
    scene = vary(rng, base_scene(rng), variation)
    pick = index * 7 + var_index * 3 + label  # every font and many UCI writers in every cell
    height = max(12, round(scene.frac * scene.height))
    glyph, writer = glyph_for(source, label, pick, height, rng)
    glyph = rotate(repen(rng, glyph, scene.pen), scene.angle)
    scene = replace(scene, height=max(scene.height, glyph.shape[0] + 8), width=max(scene.width, glyph.shape[1] + 8))
    shape = (scene.height, scene.width)
    a = place(glyph, shape, digit_centre(rng, scene, glyph.shape))
    if scene.extra == "second_digit":
        other, _ = glyph_for(source, (label + 1 + int(rng.integers(9))) % 10, pick + 1, height, rng)
        a = np.maximum(a, second_digit(rng, other, shape))
    a = a[..., None]
    if scene.ground == "transparent":
        img = transparent(rng, a)
    else:
        img = (on_black if scene.ground == "black" else on_paper)(rng, scene, a)
    payload = encode(img, scene.fmt, scene.quality)
    preview = preview_of(img, payload, scene.fmt)
    return Sample(source, variation, label, writer, split_of(writer), payload, scene.fmt, small(glyph), preview)


def small(glyph: np.ndarray) -> np.ndarray:
    """The glyph as uint8 with its long side at most GLYPH_SIDE (area-averaged)."""
    img = Image.fromarray(np.round(glyph * 255).astype(np.uint8))
    img.thumbnail((GLYPH_SIDE, GLYPH_SIDE), Image.Resampling.BOX)
    return np.asarray(img)
