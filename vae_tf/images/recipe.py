"""MNIST's recipe: crop the digit, normalise its stroke, fit it into 20x20, centre it by mass.

MNIST's digits (LeCun, Bottou, Bengio & Haffner, 1998) were scaled to fit a 20x20 box,
keeping their aspect ratio and anti-aliased (grey edges, not jagged), then placed in a 28x28
image so that their centre of mass is at the centre: white ink on black.

MNIST's pen is also fixed: its strokes are about 2-3 px wide at 28x28 (``stroke_width``:
ink area over skeleton length; over MNIST's test digits the median is 2.6 px, the 5th to
95th percentiles 1.7-4.3 px). A digit written with a hairline pen on a big sheet, or with a
marker, would be a faint wisp or a blob after fitting. Thin strokes are redrawn along their
skeleton (Zhang & Suen thinning, scikit-image) at MNIST's median width; thick ones are eroded
evenly from the outside to that width (a loop a marker filled in stays filled).

Hollow (outline) letters are filled first: a thin line closed around a shape is the outline
of a stroke when its inside is a band (many times longer than wide, or holding more ink
inside it, as the ring between an outline 0's outer and inner lines), not a round loop.

Centre-of-mass convention: array index coordinates (row, column), as
``scipy.ndimage.center_of_mass``. MNIST's training digits have their centre of mass between
13.5 and 14.5 on both axes, i.e. an integer shift towards (14, 14); this module does the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.morphology import skeletonize

from vae_tf.images.messages import Text

FIT_SIZE = 20  # MNIST: digit fitted into a 20x20 box ...
CANVAS_SIZE = 28  # ... inside a 28x28 image
CENTRE = 14.0  # target centre of mass (row, col) in index coordinates, as in MNIST

MNIST_STROKE = (1.7, 4.3)  # 5th-95th percentile of MNIST's test digits (px at 28x28)
TARGET_STROKE = 2.6  # MNIST's median
_NORMALISE_BELOW, _NORMALISE_ABOVE = 1.5, 4.6  # redraw only strokes clearly outside MNIST's
_BOLD_STROKE = 3.6  # what very thick strokes are thinned to (MNIST's 85th percentile)
_NARROW_HOLE = 5.0  # px at 20x20: holes narrower than this may be the inside of a hollow stroke ...
_BAND = 8.0  # ... if they are also this many times longer than wide
_MIN_DETAIL = 2.0  # source pixels per output pixel needed to trace a skeleton faithfully
_OUTLINE_BAND = 2.5  # a closed outline's hole this many times longer than wide is a stroke's inside
_TINY_HOLE = 1.0  # px at 20x20: gaps narrower than this are grain inside a stroke, not shapes

NOTE_EDGE = Text("touches_edge")
STEP_STROKES = Text("step_strokes")
STEP_OUTLINE = Text("step_outline")


@dataclass(frozen=True)
class Preprocessed:
    """The MNIST-like digit, how it was made, and remarks for the user.

    Attributes:
        digit: (28, 28) float32 in [0, 1], ink = 1 (white on black, like MNIST), max = 1.
        steps: ordered (caption, image) pairs; each image is a 2-D float32 array in [0, 1].
        notes: remarks for the user, e.g. Text("separate_marks", count=3).
        Captions and notes are `messages.Text`: a code and values, which a site words.
    """

    digit: np.ndarray
    steps: list[tuple[Text, np.ndarray]]
    notes: list[Text]


def finish(ink: np.ndarray, steps: list, notes: list[Text]) -> Preprocessed:
    """MNIST's recipe on clean white ink, appending its steps to those given.

    Args:
        ink: (H, W) float32 in [0, 1], white ink on black, holding only the digit.
        steps: the (caption, image) steps so far; "Cropped", possibly the outline and the
            stroke steps, "Fitted into 20x20" and "Centred by mass in 28x28" are appended.
        notes: remarks so far; notes on the edge, an outline and the strokes are appended.

    Returns:
        The ``Preprocessed`` digit.
    """
    box = _bbox(ink)
    if box[0] == 0 or box[2] == 0 or box[1] == ink.shape[0] or box[3] == ink.shape[1]:
        notes.append(NOTE_EDGE)
    crop = _crop(ink, box)
    steps.append((Text("step_cropped"), crop))
    filled, note = fill_outlines(crop)
    if note:
        crop = filled
        steps.append((STEP_OUTLINE, crop))
        notes.append(note)
    redrawn, note = normalise_strokes(crop)
    if note:
        crop = redrawn
        steps.append((STEP_STROKES, crop))
        notes.append(note)
    fitted = _fit(crop)
    steps.append((Text("step_fitted"), fitted))
    digit = _centre(fitted)
    steps.append((Text("step_centred"), digit.copy()))
    return Preprocessed(digit=digit, steps=steps, notes=notes)


def mnist_recipe(ink: np.ndarray) -> np.ndarray:
    """MNIST's recipe alone: the 28x28 digit of clean ink (white on black).

    Args:
        ink: (H, W) float array in [0, 1] with some ink (> 0) in it.

    Returns:
        (28, 28) float32 in [0, 1], max 1.
    """
    return finish(np.asarray(ink, np.float32), [], []).digit


def stroke_width(ink: np.ndarray) -> float:
    """Mean pen width in pixels: the ink's area over the length of its skeleton.

    Args:
        ink: 2-D float array, white ink on black (any scale; grey edges count in part).

    Returns:
        The width in the array's own pixels (0 for an empty image).
    """
    ink = np.asarray(ink, np.float32)
    if float(ink.max()) <= 0:
        return 0.0
    ink = ink / ink.max()
    length = int(skeletonize(ink > 0.5).sum())
    return float(ink.sum()) / max(length, 1)


def fill_outlines(crop: np.ndarray) -> tuple[np.ndarray, str]:
    """Fill hollow (outline) letters, so that the shape they outline is what gets fitted.

    Args:
        crop: (H, W) float32 cropped white ink, before fitting into 20x20.

    Returns:
        (ink, note): the ink with the insides of its outlined strokes filled at full
        strength and a note for the user, or (crop, "") when nothing looks hollow.
    """
    scale = _fit_scale(crop)
    if scale * _MIN_DETAIL > 1.0 or stroke_width(_fit(crop)) >= _NORMALISE_BELOW:
        return crop, ""  # too small to tell, or a pen's stroke rather than a hairline outline
    mask = crop > 0.5 * crop.max()
    holes, count = ndimage.label(ndimage.binary_fill_holes(mask) & ~mask)
    closed = _endpoints(mask) == 0 if count else False  # closed curves only, as an outline is
    windows = ndimage.find_objects(holes)
    inside = [i + 1 for i, w in enumerate(windows) if _is_stroke_inside(holes[w] == i + 1, mask[w], scale, closed)]
    if not inside:
        return crop, ""
    filled = np.maximum(crop, np.isin(holes, inside) * crop.max())
    return filled.astype(np.float32), Text("outline_filled")


def _is_stroke_inside(hole: np.ndarray, mask: np.ndarray, scale: float, closed: bool) -> bool:
    """Whether a hole (cut to its box, with the ink there) is the inside of an outlined stroke."""
    hole = np.pad(hole, 1)  # the distance transform needs background around the hole
    width = 2 * float(ndimage.distance_transform_edt(hole).max()) * scale  # at 20x20
    if width < _TINY_HOLE:
        return False
    if (ndimage.binary_fill_holes(hole) & np.pad(mask, 1)).any():
        return True  # a ring around more ink: between an outline's outer and inner lines
    # A band many times longer than wide, closed all round (a pen's path has ends): the
    # inside of an outlined 1, 2, 3, 5 or 7. A loop of a 0, 6, 8 or 9 is rounder.
    return closed and float(hole.sum()) * scale**2 >= _OUTLINE_BAND * width**2


def _endpoints(mask: np.ndarray) -> int:
    """How many ends the mask's skeleton has, not counting spurs up to twice the line's width."""
    # Skeletons grow short spurs at the sharp corners of a line; a pen's path keeps its ends.
    path, kernel = skeletonize(mask), np.ones((3, 3), np.int8)
    spur = math.ceil(2 * float(mask.sum()) / max(int(path.sum()), 1))
    for _ in range(spur + 1):
        ends = path & (ndimage.convolve(path.astype(np.int8), kernel, mode="constant") == 2)
        path &= ~ends
    return int(ends.sum())


def _fit_scale(crop: np.ndarray) -> float:
    """The factor that fitting into 20x20 will apply to this crop."""
    top, bottom, left, right = _bbox(crop)
    return FIT_SIZE / max(bottom - top, right - left)


def normalise_strokes(crop: np.ndarray) -> tuple[np.ndarray, str]:
    """Redraw strokes far thinner or thicker than MNIST's at MNIST's width.

    Args:
        crop: (H, W) float32 cropped white ink, before fitting into 20x20.

    Returns:
        (ink, note): the redrawn ink and a note for the user, or (crop, "") when the
        strokes are in MNIST's range or the crop is too small to trace.
    """
    scale = _fit_scale(crop)
    if scale * _MIN_DETAIL > 1.0:
        return crop, ""  # too few source pixels for a faithful skeleton
    # Measured as MNIST's was, at 20x20: thick strokes' skeletons grow spurs at full size.
    width = stroke_width(_fit(crop))
    if _NORMALISE_BELOW <= width <= _NORMALISE_ABOVE:
        return crop, ""
    mask = crop > 0.5 * crop.max()
    if width < _NORMALISE_BELOW:
        # Thin: draw a round pen of MNIST's width along the skeleton (the writer's path), with
        # a one (source) pixel anti-aliased ramp beyond it. Hollow letters are filled first,
        # so that their skeleton is the path of the pen they imitate.
        path = skeletonize(_fill_narrow_holes(mask, _NARROW_HOLE / scale))
        distance = ndimage.distance_transform_edt(~path)
        radius, kind = TARGET_STROKE / scale / 2, "strokes_thin"
    else:
        # Thick: erode evenly from the outside, so loops a marker filled stay filled (a
        # skeleton would turn a filled 6 into a bent line), to a bold MNIST pen: eroding
        # further breaks the thinner parts of the stroke.
        distance = -ndimage.distance_transform_edt(mask)
        radius, kind = -(width - _BOLD_STROKE) / scale / 2, "strokes_thick"
    redrawn = np.clip(radius + 0.5 - distance, 0.0, 1.0).astype(np.float32)
    if float(redrawn.sum()) < 0.2 * float(mask.sum()) * min(1.0, _BOLD_STROKE / width):
        return crop, ""  # a blob with no strokes to speak of: eroding would erase it
    return redrawn, Text(kind)


def _fill_narrow_holes(mask: np.ndarray, widest: float) -> np.ndarray:
    """Fill the holes of a mask that are bands (the inside of hollow letters), not loops."""
    holes, count = ndimage.label(ndimage.binary_fill_holes(mask) & ~mask)
    if count == 0:
        return mask
    index = np.arange(1, count + 1)
    width = 2 * np.asarray(ndimage.maximum(ndimage.distance_transform_edt(holes > 0), holes, index))
    area = np.asarray(ndimage.sum_labels(np.ones_like(holes), holes, index))
    # The inside of a hollow stroke runs along the whole letter: many times longer than wide.
    # A loop (of a 0, 6, 8, 9 or 4) is at most a few times longer than wide.
    band = (width < widest) & (area > _BAND * width**2)
    return mask | np.isin(holes, index[band])


def _bbox(ink: np.ndarray) -> tuple[int, int, int, int]:
    """Bounding box (top, bottom, left, right; bottom/right exclusive) of nonzero ink."""
    rows, cols = ndimage.find_objects((ink > 0).astype(np.int8))[0]
    return rows.start, rows.stop, cols.start, cols.stop


def _crop(ink: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Cut out the box plus a 5% margin, padding with background where it leaves the image."""
    top, bottom, left, right = box
    # The margin leaves room for the grey edge that fitting adds around the ink.
    margin = max(1, round(0.05 * max(bottom - top, right - left)))
    padded = np.pad(ink, margin)
    return padded[top : bottom + 2 * margin, left : right + 2 * margin].astype(np.float32)


def _fit(crop: np.ndarray) -> np.ndarray:
    """Resize the ink's box to a 20 px long side with anti-aliasing (area mean when shrinking)."""
    top, bottom, left, right = _bbox(crop)
    scale = FIT_SIZE / max(bottom - top, right - left)
    height, width = crop.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    resized = Image.fromarray(crop.astype(np.float32), "F").resize(size, resample)
    return np.clip(np.asarray(resized), 0.0, 1.0).astype(np.float32)


def _trim(fitted: np.ndarray) -> np.ndarray:
    """Drop empty margins (so they never stop the centring), and any excess over 28x28."""
    top, bottom, left, right = _bbox(fitted)
    rows, cols = min(bottom - top, CANVAS_SIZE), min(right - left, CANVAS_SIZE)
    top += (bottom - top - rows) // 2
    left += (right - left - cols) // 2
    return fitted[top : top + rows, left : left + cols]


def _centre(fitted: np.ndarray) -> np.ndarray:
    """Paste into 28x28, shifted by whole pixels so the centre of mass is near (14, 14)."""
    fitted = _trim(fitted)
    height, width = fitted.shape
    row, col = ndimage.center_of_mass(fitted)
    # Clip the shift so the whole digit stays on the canvas (lopsided shapes may then
    # end up slightly off-centre, which is better than cutting them).
    top = min(max(round(float(CENTRE - row)), 0), CANVAS_SIZE - height)
    left = min(max(round(float(CENTRE - col)), 0), CANVAS_SIZE - width)
    canvas = np.zeros((CANVAS_SIZE, CANVAS_SIZE), dtype=np.float32)
    canvas[top : top + height, left : left + width] = fitted
    return canvas / canvas.max()
