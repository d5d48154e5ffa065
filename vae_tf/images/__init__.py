"""Turn any uploaded picture of a handwritten digit into an MNIST-like 28x28 image.

The VAE on this site was trained on MNIST, so it only understands digits that look like
MNIST digits. ``preprocess_upload`` is the one way from an upload's bytes to such a digit;
it composes three modules, one per kind of work:

- ``decode``: the file's bytes to float arrays, safely (size limits, damaged or hostile
  files, odd colour modes); every failure is an ``ImageError`` worded for the visitor;
- ``clean``: the photo to white ink on black holding only the digit (transparency, ink
  polarity, even lighting, Otsu's threshold, the digit's mark among the others);
- ``recipe``: MNIST's recipe (LeCun et al. 1998): crop, fill hollow (outline) letters,
  normalise the stroke to MNIST's pen, fit into 20x20, centre by mass in 28x28.

Every intermediate image is kept in ``Preprocessed.steps`` so the site can show how the
upload was transformed. ``preprocess_canvas`` does the same for a drawing, ``shrink_as_is``
shrinks a picture that holds no digit whole (for the anomaly page), and ``upscale`` enlarges
a digit with crisp pixels for display.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from vae_tf.images import clean
from vae_tf.images.decode import (
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    ImageError,
    NoDigitFound,
    decode_upload,
)
from vae_tf.images.messages import Text
from vae_tf.images.recipe import (
    MNIST_STROKE,
    Preprocessed,
    finish,
    mnist_recipe,
    stroke_width,
)

__all__ = [
    "MAX_PIXELS",
    "MAX_UPLOAD_BYTES",
    "MNIST_STROKE",
    "ImageError",
    "NoDigitFound",
    "Preprocessed",
    "mnist_recipe",
    "preprocess_canvas",
    "preprocess_upload",
    "shrink_as_is",
    "stroke_width",
    "upscale",
]

_MSG_CANVAS_EMPTY = Text("canvas_empty")


def preprocess_upload(data: bytes) -> Preprocessed:
    """Decode an uploaded file and turn it into an MNIST-like digit.

    Args:
        data: the raw bytes of the uploaded file.

    Returns:
        The digit, the intermediate steps and notes. Steps are captioned (`messages.Text`), in
        order: step_grayscale, step_lighting, step_ink_white, step_background, step_stray_marks,
        step_cropped, step_outline (only for hollow letters), step_strokes (only when they were
        far thinner or thicker than MNIST's), step_fitted, step_centred.

    Raises:
        NoDigitFound: (an ``ImageError``) if the picture holds nothing like a digit.
        ImageError: the only exception this raises; its `text` says why, for the site to word.
    """
    rgb = clean.composite(*decode_upload(data))
    dark_ink = clean.ink_is_dark(rgb)
    gray = clean.grayscale(rgb, dark_ink)
    steps: list[tuple[Text, np.ndarray]] = [(Text("step_grayscale"), gray)]
    flat = clean.even_lighting(gray if dark_ink else 1.0 - gray)  # dark ink on ~1 paper
    steps.append((Text("step_lighting"), flat if dark_ink else 1.0 - flat))
    ink = 1.0 - flat
    steps.append((Text("step_ink_white"), ink))
    soft, mask = clean.remove_background(ink)
    steps.append((Text("step_background"), soft))
    kept, notes = clean.keep_main_mark(soft, mask)
    steps.append((Text("step_stray_marks"), kept))
    return finish(kept, steps, notes)


def preprocess_canvas(rgba: np.ndarray) -> Preprocessed:
    """Turn a drawing from a canvas widget into an MNIST-like 28x28 digit.

    Args:
        rgba: (H, W, 4) uint8 array (an (H, W, 3) one is accepted too): strokes in any
            colour on a transparent background or on a filled, uniform one.

    Returns:
        ``Preprocessed`` whose steps are captioned, in order: step_canvas, step_cropped,
        (the outline and stroke steps when needed), step_fitted, step_centred.

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
    rgb = clean.composite(arr[..., :3], alpha)
    # Ink is whatever differs in colour from the background, whatever the colours.
    ink = np.abs(rgb - np.median(clean.border(rgb), axis=0)).max(axis=2)
    if float(ink.max()) < 0.05:
        raise ImageError(_MSG_CANVAS_EMPTY)
    ink = (ink / ink.max()).astype(np.float32)
    ink[ink < 0.02] = 0.0  # faint compression or blending noise is not ink
    return finish(ink, [(Text("step_canvas"), ink.copy())], [])


def shrink_as_is(data: bytes) -> np.ndarray:
    """An upload shrunk straight to 28x28, ink white, with no search for a digit.

    For scoring pictures that hold no digit (the anomaly page): noise, photos, patterns.
    Uses the same decoding, colour handling and ink polarity as ``preprocess_upload``.

    Args:
        data: the raw bytes of the uploaded file.

    Returns:
        (28, 28) float32 in [0, 1].

    Raises:
        ImageError: if the file cannot be decoded.
    """
    rgb = clean.composite(*decode_upload(data))
    gray = clean.luminance(rgb)
    ink = 1.0 - gray if clean.ink_is_dark(rgb) else gray
    small = Image.fromarray(ink.astype(np.float32), "F").resize((28, 28), Image.Resampling.BOX)
    return np.clip(np.asarray(small, np.float32), 0.0, 1.0)


def upscale(image: np.ndarray, size: int = 140) -> np.ndarray:
    """Enlarge a small image with nearest neighbour, for crisp display of pixels.

    Args:
        image: 2-D array, float in [0, 1] or uint8 (or bool).
        size: side of the square output.

    Returns:
        (size, size) uint8 array. Each source pixel becomes a constant block (exactly
        size/28 wide for a 28x28 input when that divides). A non-square image keeps
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
