"""Decoding an upload safely: its limits, damaged or hostile files, and odd colour modes.

An upload is untrusted bytes. This module is the only place that hands them to Pillow, and
every way Pillow (or NumPy on what Pillow returns) can fail on a broken or hostile file
becomes an ``ImageError`` whose `text` the site words for the visitor. Limits are checked
before pixels are decoded: bytes, then the header's size, then Pillow's own bomb guard.

What comes out is plain arrays at a working size: an (H, W, 3) float RGB image in [0, 1]
and its alpha channel (or None), whatever mode the file held (1, L, P, LA, RGB(A), I;16, I,
F, CMYK, YCbCr, ...). The cleaning and MNIST's recipe then work on arrays only.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib

import numpy as np
from PIL import Image, ImageOps

from vae_tf.images.messages import Text

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # per file
MAX_PIXELS = 40_000_000  # refuse larger images before decoding pixels
MIN_SIDE = 8  # fewer pixels than this on a side cannot hold a readable digit
WORK_SIZE = 512  # long side of the working image; photos are downscaled to this
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")

# What Pillow's decoders and mode conversions raise on broken input (a plugin's struct
# unpacking, zlib streams, a header that promises more than the file holds, an absurd
# palette or mode). Anything else is a bug here and should surface as one.
_DECODER_FAILURES = (
    OSError,
    EOFError,
    SyntaxError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    ZeroDivisionError,
    OverflowError,
    MemoryError,
    struct.error,
    zlib.error,
)


class ImageError(ValueError):
    """A problem with an upload, for the person who uploaded it: `text`, a `messages.Text` the site words."""

    def __init__(self, text: Text):
        super().__init__(str(text))
        self.text = text


class NoDigitFound(ImageError):
    """The picture was read, but nothing in it looks like a digit (blank, or noise only)."""


def decode_upload(data: bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """Decode uploaded bytes into working-size float arrays.

    Args:
        data: the raw bytes of the uploaded file.

    Returns:
        (rgb, alpha): (H, W, 3) float32 in [0, 1] with a long side of at most WORK_SIZE,
        and the (H, W) alpha channel in [0, 1], or None for an opaque image.

    Raises:
        ImageError: with a message for the user, for every way the file can be unusable.
    """
    image = decode_image(data)
    return guarded(lambda: to_arrays(shrink(normalise_mode(image))))


def decode_image(data: bytes) -> Image.Image:
    """Decode uploaded bytes into a fully loaded, upright, single-frame PIL image.

    Args:
        data: the raw bytes of the uploaded file.

    Returns:
        The first frame, with its EXIF orientation applied, in whatever mode the file holds.
        Large JPEGs may come back at a reduced scale (at least 2 x WORK_SIZE).

    Raises:
        ImageError: with a message for the user, for every way the file can be unusable.
    """
    check_bytes(data)
    return guarded(lambda: _decode(bytes(data)))


def guarded(work):
    """Run Pillow work on untrusted pixels; its failures become ImageError for the user."""
    try:
        return work()
    except ImageError:
        raise
    except Image.UnidentifiedImageError:
        raise ImageError(Text("not_an_image")) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(_too_many_pixels_message(None, str(exc))) from None
    except _DECODER_FAILURES as exc:
        # PIL reports cut-off files as OSError("image file is truncated ...") or EOFError.
        cut_off = isinstance(exc, EOFError) or "truncat" in str(exc).lower()
        raise ImageError(Text("truncated" if cut_off else "damaged")) from None


def check_bytes(data: bytes) -> None:
    """Refuse missing, empty or oversized uploads before looking inside them."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) == 0:
        raise ImageError(Text("empty_file"))
    if len(data) > MAX_UPLOAD_BYTES:
        size = len(data) / 2**20
        raise ImageError(Text("too_large_file", size=size, limit=MAX_UPLOAD_BYTES / 2**20))


def _decode(data: bytes) -> Image.Image:
    """Open, size-check, load and straighten the first frame; PIL errors propagate."""
    with warnings.catch_warnings():
        # Our MAX_PIXELS check comes first and is stricter than PIL's bomb limit; this
        # is a second line of defence, made an error only inside this block.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            check_dimensions(image.size)  # header only: nothing decoded yet
            image.seek(0)  # animated or multi-page: the first frame only
            # JPEG can decode at 1/2, 1/4, 1/8 scale for free; we never need more.
            image.draft(image.mode, (2 * WORK_SIZE, 2 * WORK_SIZE))
            image.load()  # decodes now, so truncated files raise here
            upright = ImageOps.exif_transpose(image)  # always a new, detached image
    check_dimensions(upright.size)
    return upright


def check_dimensions(size: tuple[int, int]) -> None:
    """Refuse images too large to decode safely or too small to hold a digit."""
    width, height = size
    if width * height > MAX_PIXELS:
        raise ImageError(_too_many_pixels_message(size))
    if min(width, height) < MIN_SIDE:
        raise ImageError(Text("too_small", width=width, height=height, side=MIN_SIDE))


def _too_many_pixels_message(size: tuple[int, int] | None, pil_message: str = "") -> Text:
    """Word the refusal of an image with too many pixels (its size from the header, else from PIL)."""
    limit = MAX_PIXELS // 1_000_000
    if size is not None:
        return Text("too_many_pixels", width=size[0], height=size[1], megapixels=size[0] * size[1] / 1e6, limit=limit)
    match = re.search(r"\((\d+) pixels\)", pil_message)  # PIL's "Image size (N pixels) ..."
    if match:
        return Text("too_many_pixels_count", megapixels=int(match.group(1)) / 1e6, limit=limit)
    return Text("too_many_pixels_unknown", limit=limit)


# --------------------------------------------------------------------------- colour modes


def normalise_mode(image: Image.Image) -> Image.Image:
    """Convert any PIL mode to L, LA, RGB, RGBA or F (scaled to [0, 1])."""
    mode = image.mode
    if mode in ("L", "RGB") and "transparency" in image.info:
        return image.convert("RGBA")  # a colour key marks transparent pixels
    if mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if mode in ("1", "P", "PA"):
        # Palette transparency becomes a real alpha channel; 1-bit is plain grey.
        return image.convert("L" if mode == "1" else "RGBA")
    if mode.startswith("I") or mode == "F":
        return _numeric_to_float(image)
    if mode in ("La", "RGBa"):
        return image.convert(mode.upper())  # premultiplied alpha, undone
    return image.convert("RGB")  # CMYK, YCbCr, HSV, RGBX, LAB ...


def _numeric_to_float(image: Image.Image) -> Image.Image:
    """Scale a 16-bit, 32-bit integer or float image to a float 'F' image in [0, 1]."""
    arr = np.asarray(image).astype(np.float64)
    arr = np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(arr.min()), float(arr.max())
    if low >= 0 and high <= 1 and image.mode == "F":
        scale, offset = 1.0, 0.0
    elif low >= 0 and high <= 255:
        scale, offset = 255.0, 0.0  # an 8-bit image stored in a wider mode (or 16-bit, nearly black)
    elif low >= 0 and high <= 65535:
        scale, offset = 65535.0, 0.0
    else:
        scale, offset = max(high - low, 1e-12), low  # unknown range: stretch it
    return Image.fromarray(((arr - offset) / scale).astype(np.float32), "F")


def shrink(image: Image.Image) -> Image.Image:
    """Downscale so the long side is at most WORK_SIZE, anti-aliased."""
    if max(image.size) <= WORK_SIZE:
        return image
    scale = WORK_SIZE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # reducing_gap first averages whole blocks (fast), then Lanczos finishes the job.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def to_arrays(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Split an L/LA/RGB/RGBA/F image into an (H, W, 3) float RGB array and alpha."""
    arr = np.asarray(image).astype(np.float32)
    if image.mode != "F":
        arr = arr / 255.0
    arr = np.clip(np.nan_to_num(arr), 0.0, 1.0)
    if arr.ndim == 2:
        return np.repeat(arr[..., None], 3, axis=2), None
    has_alpha = image.mode in ("LA", "RGBA")
    colour = arr[..., :-1] if has_alpha else arr
    if colour.shape[2] == 1:
        colour = np.repeat(colour, 3, axis=2)
    return colour, arr[..., -1] if has_alpha else None
