"""Turn any uploaded picture of a handwritten digit into an MNIST-like 28x28 image.

The VAE on this site was trained on MNIST, so it only understands digits that
look like MNIST digits.  MNIST's own recipe (LeCun, Bottou, Bengio & Haffner,
1998) was: take the digit, scale it so that it fits in a 20x20 box while
keeping its aspect ratio, anti-aliasing it in the process (so edges are grey,
not jagged), then place it in a 28x28 image so that its centre of mass is at
the centre.  The result is white ink on a black background.

Real uploads are much messier than MNIST's clean scans: phone photos of paper
with uneven light, coloured pens, dark-on-light or light-on-dark, transparent
PNGs, palette GIFs, 16-bit TIFFs, rotated JPEGs, specks of dirt and sometimes
several digits in one picture.  This module does the cleaning that MNIST's
recipe assumes was already done, and then applies the recipe:

1. decode the file safely (size limits, damaged files, odd colour modes);
2. make a grayscale image that keeps coloured ink visible;
3. even out the lighting, make the ink white and the background black;
4. find the ink with Otsu's threshold, keeping soft (anti-aliased) edges;
5. keep the main mark; drop specks, far-away extra marks and clutter along
   the border of the picture (the table around a photographed sheet);
6. crop (thickening hairline strokes to MNIST's ~2 px pen), fit into 20x20,
   centre by mass in 28x28.

Every intermediate image is kept in ``Preprocessed.steps`` so the site can
show how the upload was transformed, and every problem is reported as an
``ImageError`` whose text is meant to be shown to the user as is.

Centre-of-mass convention: array index coordinates (row, column), the same
as ``scipy.ndimage.center_of_mass``.  MNIST's training digits have their
centre of mass between 13.5 and 14.5 on both axes (mean 14.0), i.e. an integer
shift towards (14, 14); this module does the same.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

__all__ = [
    "MAX_PIXELS",
    "MAX_UPLOAD_BYTES",
    "ImageError",
    "Preprocessed",
    "decode_image",
    "preprocess_canvas",
    "preprocess_image",
    "preprocess_upload",
    "shrink_as_is",
    "upscale",
]

_LOG = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # per file
MAX_PIXELS = 40_000_000  # refuse larger images before decoding pixels

MIN_SIDE = 8  # fewer pixels than this on a side cannot hold a readable digit
WORK_SIZE = 512  # long side of the working image; photos are downscaled to this
FIT_SIZE = 20  # MNIST: digit fitted into a 20x20 box ...
CANVAS_SIZE = 28  # ... inside a 28x28 image
CENTRE = 14.0  # target centre of mass (row, col) in index coordinates, as in MNIST
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")

_LIMIT_TEXT = f"{MAX_UPLOAD_BYTES / 2**20:g} MB"
_MSG_EMPTY = "The file is empty: please choose a picture of a digit."
_MSG_NOT_IMAGE = "This file is not an image we can read (PNG, JPEG, GIF, BMP, TIFF, WebP)."
_MSG_TRUNCATED = (
    "Could not read this image: the file is incomplete or damaged "
    "(it may have been cut off while uploading). Please try again."
)
_MSG_DAMAGED = "Could not read this image: it may be damaged. Please try another picture."
_MSG_BLANK = (
    "No digit found: the image looks blank. Please upload a picture of a digit, "
    "dark on a light background or light on a dark one."
)
_MSG_CANVAS_EMPTY = "The canvas is empty: draw a digit first."
_NOTE_EDGE = "The digit touches the edge of the picture, so part of it may be cut off."
_NOTE_EDGE_CLUTTER = (
    "Ignored marks along the edge of the picture (such as a table or the edge of the paper)."
)
_NOTE_THIN = "The strokes were very thin, so they were thickened to look like MNIST's pen."

# MNIST strokes are about 2 px wide in the 20x20 box (median 1.96, 5th percentile 1.3,
# measured as twice the area over the perimeter of the ink above half strength).
_THIN_STROKE = 1.0  # thinner than almost any MNIST digit: thicken
_TARGET_STROKE = 2.0


class ImageError(ValueError):
    """A problem with an upload, worded for the person who uploaded it."""


@dataclass(frozen=True)
class Preprocessed:
    """The MNIST-like digit, how it was made, and remarks for the user.

    Attributes:
        digit: (28, 28) float32 in [0, 1], ink = 1 (white on black, like MNIST), max = 1.
        steps: ordered (caption, image) pairs; each image is a 2-D float32 array in [0, 1].
        notes: plain-text remarks for the user, e.g. "Found 3 separate marks; used the largest."
    """

    digit: np.ndarray
    steps: list[tuple[str, np.ndarray]]
    notes: list[str]


# --------------------------------------------------------------------------- decoding


def decode_image(data: bytes) -> Image.Image:
    """Decode uploaded bytes into a fully loaded, upright, single-frame PIL image.

    Args:
        data: the raw bytes of the uploaded file.

    Returns:
        The first frame of the image, with its EXIF orientation applied.  Its mode is
        whatever the file holds (L, P, RGB, RGBA, I;16, CMYK, ...): ``preprocess_image``
        accepts them all.  Large JPEGs may come back at a reduced scale (at least 1024 px).

    Raises:
        ImageError: with a message for the user, for every way the file can be unusable.
    """
    _check_bytes(data)
    try:
        return _decode(bytes(data))
    except ImageError:
        raise
    except Image.UnidentifiedImageError:
        raise ImageError(_MSG_NOT_IMAGE) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(_too_many_pixels_message(None, str(exc))) from None
    except (OSError, EOFError, SyntaxError) as exc:
        # PIL reports cut-off files as OSError("image file is truncated ...") or EOFError.
        cut_off = isinstance(exc, EOFError) or "truncat" in str(exc).lower()
        raise ImageError(_MSG_TRUNCATED if cut_off else _MSG_DAMAGED) from None
    except Exception:  # noqa: BLE001 - any decoder failure must become a user message
        _LOG.warning("Unexpected error while decoding an upload", exc_info=True)
        raise ImageError(_MSG_DAMAGED) from None


def _check_bytes(data: bytes) -> None:
    """Refuse missing, empty or oversized uploads before looking inside them."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) == 0:
        raise ImageError(_MSG_EMPTY)
    if len(data) > MAX_UPLOAD_BYTES:
        size = len(data) / 2**20
        raise ImageError(
            f"This file ({size:.1f} MB) is larger than the {_LIMIT_TEXT} limit. "
            "Please upload a smaller picture."
        )


def _decode(data: bytes) -> Image.Image:
    """Open, size-check, load and straighten the first frame; PIL errors propagate."""
    with warnings.catch_warnings():
        # Our MAX_PIXELS check comes first and is stricter than PIL's bomb limit; this
        # is a second line of defence, made an error only inside this block.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            _check_dimensions(image.size)  # header only: nothing decoded yet
            image.seek(0)  # animated or multi-page: the first frame only
            # JPEG can decode at 1/2, 1/4, 1/8 scale for free; we never need more.
            image.draft(image.mode, (2 * WORK_SIZE, 2 * WORK_SIZE))
            image.load()  # decodes now, so truncated files raise here
            upright = ImageOps.exif_transpose(image)  # always a new, detached image
    _check_dimensions(upright.size)
    return upright


def _check_dimensions(size: tuple[int, int]) -> None:
    """Refuse images too large to decode safely or too small to hold a digit."""
    width, height = size
    if width * height > MAX_PIXELS:
        raise ImageError(_too_many_pixels_message(size))
    if min(width, height) < MIN_SIDE:
        raise ImageError(
            f"The image is only {width}x{height} pixels, too small to hold a digit. "
            f"Please upload a picture at least {MIN_SIDE}x{MIN_SIDE} pixels."
        )


def _too_many_pixels_message(size: tuple[int, int] | None, pil_message: str = "") -> str:
    """Word the refusal of an image with too many pixels (size from the header or PIL)."""
    limit = f"the {MAX_PIXELS // 1_000_000} megapixels we can handle"
    if size is not None:
        megapixels = size[0] * size[1] / 1e6
        found = f"The image is {size[0]}x{size[1]} pixels ({megapixels:,.0f} megapixels)"
    else:  # PIL refused first; its message holds the pixel count: "Image size (N pixels) ..."
        match = re.search(r"\((\d+) pixels\)", pil_message)
        count = f"{int(match.group(1)) / 1e6:,.0f} " if match else "too many "
        found = f"The image has {count}megapixels"
    return f"{found}, more than {limit}. Please upload a smaller picture."


# --------------------------------------------------------------------------- public entry points


def preprocess_upload(data: bytes) -> Preprocessed:
    """Decode an uploaded file and turn it into an MNIST-like digit.

    Args:
        data: the raw bytes of the uploaded file.

    Returns:
        The digit, the intermediate steps and notes (see ``preprocess_image``).

    Raises:
        ImageError: the only exception this raises; its text is meant for the user.
    """
    image = decode_image(data)
    try:
        return preprocess_image(image)
    except ImageError:
        raise
    except Exception:  # noqa: BLE001 - e.g. an exotic mode PIL cannot convert
        # The user gets a plain message; the traceback goes to the server log.
        _LOG.warning("Unexpected error while preprocessing an upload", exc_info=True)
        raise ImageError(_MSG_DAMAGED) from None


def shrink_as_is(data: bytes) -> np.ndarray:
    """An upload shrunk straight to 28x28, ink white, with no search for a digit.

    For scoring pictures that hold no digit (the anomaly page): noise, photos, patterns.
    Uses the same decoding, colour handling and ink polarity as ``preprocess_upload``.

    Args:
        data: the raw bytes of the uploaded file.

    Returns:
        (28, 28) float32 in [0, 1].

    Raises:
        ImageError: if the file cannot be decoded (see ``decode_image``).
    """
    image = decode_image(data)
    _check_dimensions(image.size)
    rgb = _composite(*_to_arrays(_shrink(_normalise_mode(image))))
    gray = _luminance(rgb)
    ink = 1.0 - gray if _ink_is_dark(rgb) else gray
    small = Image.fromarray(ink.astype(np.float32), "F").resize((CANVAS_SIZE, CANVAS_SIZE), Image.Resampling.BOX)
    return np.clip(np.asarray(small, np.float32), 0.0, 1.0)


def preprocess_image(image: Image.Image) -> Preprocessed:
    """Turn a picture of one handwritten digit into an MNIST-like 28x28 digit.

    Args:
        image: any PIL image (any mode, any size of at least 8x8), e.g. from ``decode_image``.

    Returns:
        ``Preprocessed`` whose steps are captioned, in order: "Grayscale", "Even lighting",
        "Ink made white", "Background removed", "Stray marks removed", "Cropped",
        "Fitted into 20x20", "Centred by mass in 28x28".

    Raises:
        ImageError: if the image is too small or no digit is found in it (blank).
    """
    _check_dimensions(image.size)
    rgb = _composite(*_to_arrays(_shrink(_normalise_mode(image))))
    dark_ink = _ink_is_dark(rgb)
    # Min over channels keeps ink of any colour dark on paper; max keeps it bright on black.
    gray = rgb.min(axis=2) if dark_ink else rgb.max(axis=2)
    if float(gray.max() - gray.min()) < 0.04:
        raise ImageError(_MSG_BLANK)
    steps: list[tuple[str, np.ndarray]] = [("Grayscale", gray)]
    flat = _even_lighting(gray if dark_ink else 1.0 - gray)  # dark ink on ~1 paper
    steps.append(("Even lighting", flat if dark_ink else 1.0 - flat))
    ink = 1.0 - flat
    steps.append(("Ink made white", ink))
    soft, mask = _remove_background(ink)
    steps.append(("Background removed", soft))
    kept, notes = _keep_main_mark(soft, mask)
    steps.append(("Stray marks removed", kept))
    return _finish(kept, steps, notes)


def preprocess_canvas(rgba: np.ndarray) -> Preprocessed:
    """Turn a drawing from a canvas widget into an MNIST-like 28x28 digit.

    Args:
        rgba: (H, W, 4) uint8 array (an (H, W, 3) one is accepted too): strokes in any
            colour on a transparent background or on a filled, uniform one.

    Returns:
        ``Preprocessed`` whose steps are captioned, in order: "Canvas ink", "Cropped",
        "Fitted into 20x20", "Centred by mass in 28x28".

    Raises:
        ImageError: if the canvas is empty (or is not an image array).
    """
    arr = np.asarray(rgba) if rgba is not None else np.zeros((0, 0, 4))
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or min(arr.shape[:2]) < 1:
        raise ImageError(_MSG_CANVAS_EMPTY)
    arr = arr.astype(np.float32) / (255.0 if arr.dtype == np.uint8 or arr.max() > 1 else 1.0)
    alpha = arr[..., 3] if arr.shape[2] == 4 else None
    if alpha is not None and float(alpha.max()) < 0.02:
        raise ImageError(_MSG_CANVAS_EMPTY)  # fully transparent: nothing drawn
    rgb = _composite(arr[..., :3], alpha)
    # Ink is whatever differs in colour from the background, whatever the colours.
    ink = np.abs(rgb - np.median(_border(rgb), axis=0)).max(axis=2)
    if float(ink.max()) < 0.05:
        raise ImageError(_MSG_CANVAS_EMPTY)
    ink = ink / ink.max()
    ink[ink < 0.02] = 0.0  # faint compression or blending noise is not ink
    return _finish(ink.astype(np.float32), [("Canvas ink", ink.astype(np.float32))], [])


def upscale(image: np.ndarray, size: int = 140) -> np.ndarray:
    """Enlarge a small image with nearest neighbour, for crisp display of pixels.

    Args:
        image: 2-D array, float in [0, 1] or uint8 (or bool).
        size: side of the square output.

    Returns:
        (size, size) uint8 array.  Each source pixel becomes a constant block (exactly
        size/28 wide for a 28x28 input when that divides).  A non-square image keeps
        its aspect ratio and is padded with black.
    """
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = np.round(np.clip(arr.astype(np.float32), 0.0, 1.0) * 255.0).astype(np.uint8)
    height, width = arr.shape[:2]
    scale = size / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    resized = np.asarray(Image.fromarray(arr).resize((new_w, new_h), Image.Resampling.NEAREST))
    out = np.zeros((size, size), dtype=np.uint8)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    out[top : top + new_h, left : left + new_w] = resized
    return out


# --------------------------------------------------------------------------- colour modes


def _normalise_mode(image: Image.Image) -> Image.Image:
    """Convert any PIL mode to L, LA, RGB, RGBA or F (scaled to [0, 1])."""
    mode = image.mode
    if mode in ("L", "RGB") and "transparency" in image.info:
        return image.convert("RGBA")  # a colour key marks transparent pixels
    if mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode in ("P", "PA"):
        return image.convert("RGBA")  # palette transparency becomes a real alpha channel
    if mode.startswith("I") or mode == "F":
        return _numeric_to_float(image)
    if mode == "La":
        return image.convert("LA")
    if mode == "RGBa":
        return image.convert("RGBA")
    return image.convert("RGB")  # CMYK, YCbCr, HSV, RGBX ...


def _numeric_to_float(image: Image.Image) -> Image.Image:
    """Scale a 16-bit, 32-bit integer or float image to a float 'F' image in [0, 1]."""
    arr = np.nan_to_num(np.asarray(image).astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(arr.min()), float(arr.max())
    if image.mode.startswith("I;16"):
        scale, offset = 65535.0, 0.0  # 16-bit: the full 0..65535 range
    elif low >= 0 and high <= 1 and image.mode == "F":
        scale, offset = 1.0, 0.0
    elif low >= 0 and high <= 255:
        scale, offset = 255.0, 0.0  # an 8-bit image stored in a wider mode
    elif low >= 0 and high <= 65535:
        scale, offset = 65535.0, 0.0
    else:
        scale, offset = max(high - low, 1e-12), low  # unknown range: stretch it
    return Image.fromarray(((arr - offset) / scale).astype(np.float32), "F")


def _shrink(image: Image.Image) -> Image.Image:
    """Downscale so the long side is at most WORK_SIZE, anti-aliased."""
    if max(image.size) <= WORK_SIZE:
        return image
    scale = WORK_SIZE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # reducing_gap first averages whole blocks (fast), then Lanczos finishes the job.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _to_arrays(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Split an L/LA/RGB/RGBA/F image into an (H, W, 3) float RGB array and alpha."""
    arr = np.asarray(image).astype(np.float32)
    if image.mode != "F":
        arr = arr / 255.0
    arr = np.clip(arr, 0.0, 1.0)
    if arr.ndim == 2:
        return np.repeat(arr[..., None], 3, axis=2), None
    colour = arr[..., :-1] if image.mode in ("LA", "RGBA") else arr
    alpha = arr[..., -1] if image.mode in ("LA", "RGBA") else None
    if colour.shape[2] == 1:
        colour = np.repeat(colour, 3, axis=2)
    return colour, alpha


def _composite(rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Put transparent pixels on white or black, whichever makes the ink stand out more."""
    if alpha is None or float(alpha.min()) > 0.995:
        return rgb
    a = alpha[..., None]
    # Black strokes vanish on black and white ones on white: the better one has more contrast.
    candidates = [rgb * a + background * (1.0 - a) for background in (1.0, 0.0)]
    return max(candidates, key=lambda c: float(_luminance(c).std()))


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of an (H, W, 3) array."""
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _border(arr: np.ndarray) -> np.ndarray:
    """The pixels along the four edges of an image, as a flat list."""
    return np.concatenate([arr[0], arr[-1], arr[1:-1, 0], arr[1:-1, -1]])


def _ink_is_dark(rgb: np.ndarray) -> bool:
    """Decide whether the ink is darker than the background (paper) or lighter."""
    # The background is the typical level; ink is the minority that sticks out from it.
    # Darkest channel for dark ink (blue pen stays dark), brightest for light ink.
    dark = _tail_mass(1.0 - rgb.min(axis=2))
    light = _tail_mass(rgb.max(axis=2))
    if dark == light:  # nothing sticks out either way: go by the overall brightness
        return float(np.median(_luminance(rgb))) >= 0.5
    return dark > light


def _tail_mass(values: np.ndarray) -> float:
    """How much of the image lies well above its typical (median) level."""
    # The median is the paper (or the board), even in a photo with a table around it.
    # Smooth shading spreads both ways and roughly cancels out; ink only goes one way.
    excess = values - float(np.median(values)) - 0.1
    return float(excess[excess > 0].sum())


# --------------------------------------------------------------------------- lighting and ink


def _even_lighting(dark_ink: np.ndarray) -> np.ndarray:
    """Divide by the estimated paper brightness so the background becomes ~1 everywhere."""
    background = _background(dark_ink)
    # The small offset keeps very dark background regions (a table, a scanner lid)
    # from being amplified into ink.
    return np.clip((dark_ink + 0.05) / (background + 0.05), 0.0, 1.0).astype(np.float32)


def _background(image: np.ndarray) -> np.ndarray:
    """Estimate the background by a morphological closing far wider than a pen stroke."""
    if max(image.shape) < 128:
        # A small image is a drawing or a crop, not a photo: one paper level will do,
        # and a window there would be too narrow to tell a bold blob from paper.
        return np.full(image.shape, np.percentile(image, 99), dtype=np.float32)
    block = _block(image.shape)
    coarse = _pool(image, block, np.max)
    # A window a quarter of the image wide removes strokes (bright wins inside it), but
    # keeps shading and large dark regions, which are lighting, not ink.
    window = max(3, (max(coarse.shape) // 4) | 1)
    closed = _min_filter(_max_filter(coarse, window), window)
    return _upsample(_box_mean(closed, 3), block, image.shape)


def _block(shape: tuple[int, int]) -> int:
    """Tile size for a ~64 px coarse grid: large-scale estimates are fast and smooth there."""
    return max(1, max(shape) // 64)


def _upsample(coarse: np.ndarray, block: int, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear enlargement of a block-pooled image back to the original shape."""
    size = (coarse.shape[1] * block, coarse.shape[0] * block)
    big = Image.fromarray(coarse.astype(np.float32), "F").resize(size, Image.Resampling.BILINEAR)
    return np.asarray(big)[: shape[0], : shape[1]]


def _pool(image: np.ndarray, block: int, reduce) -> np.ndarray:
    """Reduce (max or mean) non-overlapping block x block tiles (edges padded by repetition)."""
    height, width = image.shape
    pad_h, pad_w = -height % block, -width % block
    padded = np.pad(image, ((0, pad_h), (0, pad_w)), mode="edge")
    tiles = padded.reshape(padded.shape[0] // block, block, padded.shape[1] // block, block)
    return reduce(tiles, axis=(1, 3))


def _filter_1d(image: np.ndarray, size: int, axis: int, reduce) -> np.ndarray:
    """Apply a sliding-window reduction (max, min, mean) of odd size along one axis."""
    pad = [(0, 0), (0, 0)]
    pad[axis] = (size // 2, size // 2)
    padded = np.pad(image, pad, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, size, axis=axis)
    return reduce(windows, axis=-1)


def _max_filter(image: np.ndarray, size: int) -> np.ndarray:
    """Grey dilation with a size x size square (separable)."""
    return _filter_1d(_filter_1d(image, size, 0, np.max), size, 1, np.max)


def _min_filter(image: np.ndarray, size: int) -> np.ndarray:
    """Grey erosion with a size x size square (separable)."""
    return _filter_1d(_filter_1d(image, size, 0, np.min), size, 1, np.min)


def _box_mean(image: np.ndarray, size: int) -> np.ndarray:
    """Mean over a size x size square (separable)."""
    return _filter_1d(_filter_1d(image, size, 0, np.mean), size, 1, np.mean)


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold for values in [0, 1]: maximise the between-class variance."""
    hist, edges = np.histogram(values, bins=256, range=(0.0, 1.0))
    prob = hist / max(hist.sum(), 1)
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(prob)  # share of pixels at or below each bin
    mean = np.cumsum(prob * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean[-1] * weight - mean) ** 2 / (weight * (1.0 - weight))
    between = np.nan_to_num(between, nan=0.0, posinf=0.0)
    return float(edges[int(np.argmax(between)) + 1])


def _noise_level(ink: np.ndarray) -> tuple[float, float]:
    """Typical background level and its robust standard deviation (from the MAD)."""
    paper = float(np.median(ink))
    return paper, 1.4826 * float(np.median(np.abs(ink - paper)))


def _remove_background(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zero the background with a soft ramp below Otsu's threshold; return (soft, mask)."""
    paper, noise = _noise_level(ink)
    if noise > 0.01:  # a grainy photo: average out pixel noise (pen strokes are wider)
        ink = _box_mean(ink, 3)
        paper, noise = _noise_level(ink)
    # A floor on the threshold, well above the paper's own noise: on a blank page Otsu
    # would happily split the noise in two.
    threshold = max(_otsu(ink), 0.1, paper + 6.0 * noise)
    mask = ink > threshold
    if int(mask.sum()) < max(9, int(0.0002 * ink.size)):
        raise ImageError(_MSG_BLANK)
    level = float(np.percentile(ink[mask], 90))  # typical full-strength ink
    low = threshold / 2  # below this it is background; above it keep the grey edges
    soft = np.clip((ink - low) / max(level - low, 1e-3), 0.0, 1.0)
    return soft.astype(np.float32), mask


# --------------------------------------------------------------------------- connected marks


def _label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Label 8-connected components of a boolean mask (row runs joined by union-find)."""
    height, width = mask.shape
    edges = np.diff(np.pad(mask.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    rows, starts = np.nonzero(edges == 1)
    ends = np.nonzero(edges == -1)[1]  # exclusive; same order as the starts
    parent = list(range(len(rows)))

    def root(i: int) -> int:
        """The representative run of i's component (with path halving)."""
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first = np.searchsorted(rows, np.arange(height + 1))
    for row in range(1, height):
        i, j = first[row - 1], first[row]
        while i < first[row] and j < first[row + 1]:
            if starts[i] <= ends[j] and starts[j] <= ends[i]:  # overlap or diagonal touch
                parent[root(i)] = root(j)
            if ends[i] < ends[j]:
                i += 1
            else:
                j += 1
    roots = np.array([root(i) for i in range(len(rows))], dtype=np.int64)
    ids = np.unique(roots, return_inverse=True)[1] + 1 if len(rows) else roots
    labels = np.zeros((height, width), dtype=np.int32)
    labels[mask] = np.repeat(ids, ends - starts)  # runs are in the same row-major order
    return labels, int(ids.max()) if len(rows) else 0


def _boxes(labels: np.ndarray, count: int) -> np.ndarray:
    """Bounding box (top, bottom, left, right; inclusive) of each label 1..count."""
    rows, cols = np.nonzero(labels)
    which = labels[rows, cols] - 1
    boxes = np.zeros((count, 4), dtype=np.int64)
    boxes[:, 0], boxes[:, 2] = labels.shape[0], labels.shape[1]
    np.minimum.at(boxes[:, 0], which, rows)
    np.maximum.at(boxes[:, 1], which, rows)
    np.minimum.at(boxes[:, 2], which, cols)
    np.maximum.at(boxes[:, 3], which, cols)
    return boxes


def _joins(box: np.ndarray, other: np.ndarray, margin: float) -> bool:
    """Whether other's box is within margin of box, and is not a frame around it."""
    gap = max(other[0] - box[1], box[0] - other[1], other[2] - box[3], box[2] - other[3], 0)
    encloses = other[0] <= box[0] and other[1] >= box[1] and other[2] <= box[2] and (
        other[3] >= box[3]
    )
    # A frame around everything (the table around a sheet) touches every box: not ink.
    return gap <= margin and not (encloses and _area(other) > 2 * _area(box))


def _area(box: np.ndarray) -> float:
    """Area of an inclusive (top, bottom, left, right) box."""
    return float((box[1] - box[0] + 1) * (box[3] - box[2] + 1))


def _group(seed: int, candidates: list[int], boxes: np.ndarray) -> list[int]:
    """The seed plus every candidate inside or near its (growing) bounding box."""
    box = boxes[seed].astype(np.float64)
    # Near = within 20% of the seed's size: the separate top bar of a 5 or a dot stays,
    # a second digit written well apart does not.
    margin = 0.2 * max(box[1] - box[0], box[3] - box[2]) + 2
    members, changed = [seed], True
    while changed:
        changed = False
        for i in candidates:
            if i not in members and _joins(box, boxes[i], margin):
                members.append(i)
                box[[0, 2]] = np.minimum(box[[0, 2]], boxes[i][[0, 2]])
                box[[1, 3]] = np.maximum(box[[1, 3]], boxes[i][[1, 3]])
                changed = True
    return members


def _touches_edge(boxes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """For each box, whether it reaches the edge of the image."""
    return (boxes[:, 0] == 0) | (boxes[:, 2] == 0) | (boxes[:, 1] == shape[0] - 1) | (
        boxes[:, 3] == shape[1] - 1
    )


def _candidate_order(mass: np.ndarray, boxes: np.ndarray, shape: tuple[int, int]) -> list[int]:
    """Components worth considering, most likely to be the digit first."""
    edge = _touches_edge(boxes, shape)
    extent = np.maximum(boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2]) + 1
    # In a photo the table or the paper's edge hugs the border and can outweigh the
    # digit; a digit-sized mark clear of the border is preferred over them.
    inner = ~edge & (extent >= 0.08 * max(shape))
    order = sorted(range(len(mass)), key=lambda i: (not inner[i], -mass[i]))
    # Specks (under 2% of the chosen mark's ink) are dropped silently; at most 50
    # components are considered, so noisy photos stay fast.
    return [i for i in order if mass[i] >= 0.02 * mass[order[0]]][:50]


def _keep_main_mark(soft: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Keep the main mark (with its nearby strokes); return it and notes for the user."""
    labels, count = _label(mask)
    mass = np.bincount(labels.ravel(), weights=soft.ravel(), minlength=count + 1)[1:]
    boxes = _boxes(labels, count)
    order, groups = _candidate_order(mass, boxes, mask.shape), []
    while order:
        groups.append(_group(order[0], order, boxes))
        order = [i for i in order if i not in groups[-1]]
    edge = _touches_edge(boxes, mask.shape)
    # Another group counts as a separate mark (worth a note) if it has real weight;
    # if the chosen mark is clear of the border, marks along the border are clutter.
    others = [g for g in groups[1:] if mass[g].sum() >= 0.1 * mass[groups[0]].sum()]
    clutter = [g for g in others if edge[g].any() and not edge[groups[0]].any()]
    notes = [_NOTE_EDGE_CLUTTER] if clutter else []
    if len(others) > len(clutter):
        notes.append(f"Found {1 + len(others) - len(clutter)} separate marks; used the largest.")
    keep = np.isin(labels, np.array(groups[0]) + 1)
    keep = _max_filter(keep.astype(np.float32), 5) > 0  # keep the soft grey edges too
    return (soft * keep).astype(np.float32), notes


# --------------------------------------------------------------------------- crop, fit, centre


def _finish(ink: np.ndarray, steps: list, notes: list[str]) -> Preprocessed:
    """Crop, fit into 20x20 and centre by mass in 28x28 (MNIST's recipe)."""
    box = _bbox(ink)
    if box[0] == 0 or box[2] == 0 or box[1] == ink.shape[0] or box[3] == ink.shape[1]:
        notes.append(_NOTE_EDGE)
    ink, thickened = _thicken_if_thin(ink, box)
    if thickened:
        notes.append(_NOTE_THIN)
        box = _bbox(ink)
    longest = max(box[1] - box[0], box[3] - box[2])
    margin = max(1, round(0.05 * longest))
    crop = _crop(ink, box, margin)
    steps.append(("Cropped", crop))
    fitted = _fit(crop, FIT_SIZE / longest)
    steps.append(("Fitted into 20x20", fitted))
    digit = _centre(fitted)
    digit = (digit / digit.max()).astype(np.float32)
    steps.append(("Centred by mass in 28x28", digit.copy()))
    return Preprocessed(digit=digit, steps=steps, notes=notes)


def _bbox(ink: np.ndarray) -> tuple[int, int, int, int]:
    """Bounding box (top, bottom, left, right; bottom/right exclusive) of nonzero ink."""
    rows = np.nonzero(ink.max(axis=1) > 0)[0]
    cols = np.nonzero(ink.max(axis=0) > 0)[0]
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _crop(ink: np.ndarray, box: tuple[int, int, int, int], margin: int) -> np.ndarray:
    """Cut out the box plus a margin, padding with background where it leaves the image."""
    top, bottom, left, right = box
    padded = np.pad(ink, margin)
    return padded[top : bottom + 2 * margin, left : right + 2 * margin].astype(np.float32)


def _stroke_width(ink: np.ndarray) -> float:
    """Average pen width in pixels: twice the area over the perimeter of the ink."""
    mask = np.pad(ink > 0.5 * ink.max(), 1).astype(np.int8)
    perimeter = np.abs(np.diff(mask, axis=0)).sum() + np.abs(np.diff(mask, axis=1)).sum()
    return 2.0 * float(mask.sum()) / max(float(perimeter), 1.0)


def _thicken_if_thin(ink: np.ndarray, box: tuple) -> tuple[np.ndarray, bool]:
    """Widen hairline strokes (e.g. a fine pen on a big sheet) to MNIST's ~2 px pen."""
    top, bottom, left, right = box
    scale = FIT_SIZE / max(bottom - top, right - left)
    width = _stroke_width(ink[top:bottom, left:right])
    # Only when the source is detailed enough (2+ source pixels per output pixel) for
    # the dilation's 2-pixel steps to be fine-grained in the 20x20 result.
    if width * scale >= _THIN_STROKE or scale > 0.5:
        return ink, False
    size = 1 + 2 * int(round((_TARGET_STROKE / scale - width) / 2))  # adds size - 1 px
    if size < 3:
        return ink, False
    padded = np.pad(ink, size)  # room to grow without touching the edge
    return _max_filter(padded, size).astype(np.float32), True


def _fit(crop: np.ndarray, scale: float) -> np.ndarray:
    """Resize by scale with anti-aliasing (area average when shrinking)."""
    height, width = crop.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    resized = Image.fromarray(crop.astype(np.float32), "F").resize(size, resample)
    return np.clip(np.asarray(resized), 0.0, 1.0).astype(np.float32)


def _trim(fitted: np.ndarray) -> np.ndarray:
    """Drop empty margin rows/columns, and in the rare case it is still too big, the excess."""
    if max(fitted.shape) <= CANVAS_SIZE:
        return fitted
    top, bottom, left, right = _bbox(fitted)
    rows, cols = min(bottom - top, CANVAS_SIZE), min(right - left, CANVAS_SIZE)
    top += (bottom - top - rows) // 2
    left += (right - left - cols) // 2
    return fitted[top : top + rows, left : left + cols]


def _centre(fitted: np.ndarray) -> np.ndarray:
    """Paste into 28x28, shifted by whole pixels so the centre of mass is near (14, 14)."""
    fitted = _trim(fitted)
    height, width = fitted.shape
    total = float(fitted.sum())
    row = float((fitted.sum(axis=1) * np.arange(height)).sum()) / total
    col = float((fitted.sum(axis=0) * np.arange(width)).sum()) / total
    # Clip the shift so the whole digit stays on the canvas (lopsided shapes may then
    # end up slightly off-centre, which is better than cutting them).
    top = min(max(int(round(CENTRE - row)), 0), CANVAS_SIZE - height)
    left = min(max(int(round(CENTRE - col)), 0), CANVAS_SIZE - width)
    canvas = np.zeros((CANVAS_SIZE, CANVAS_SIZE), dtype=np.float32)
    canvas[top : top + height, left : left + width] = fitted
    return canvas
