"""Cleaning a photo of a digit: lighting, background, and which mark is the digit.

MNIST's recipe assumes a clean scan: white ink on black, nothing else in the frame. Real
uploads are phone photos of paper with uneven light and shadows, coloured pens, dark-on-light
or light-on-dark, transparent PNGs, specks of dirt, a table around the sheet, a second digit.
This module turns such a picture into soft white ink on black holding only the digit:

1. composite transparency on white or black, whichever shows the ink;
2. decide whether the ink is darker or lighter than the paper, and make a grayscale image
   that keeps coloured ink visible (the darkest channel for dark ink);
3. divide by the paper's brightness, estimated by a grey closing far wider than a stroke;
4. threshold with Otsu (Otsu 1979), keeping the anti-aliased edges as a soft ramp;
5. label the marks (8-connected) and keep the main one with the strokes near it, dropping
   specks, clutter along the border and marks written well apart.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.measure import block_reduce

from vae_tf.images.decode import NoDigitFound
from vae_tf.images.messages import Text

MSG_BLANK = Text("blank")
NOTE_EDGE_CLUTTER = Text("edge_clutter")
_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


# --------------------------------------------------------------------------- colour and polarity


def composite(rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Put transparent pixels on white or black, whichever makes the ink stand out more."""
    if alpha is None or float(alpha.min()) > 0.995:
        return rgb
    a = alpha[..., None]
    # Black strokes vanish on black and white ones on white: the better one has more contrast.
    candidates = [rgb * a + background * (1.0 - a) for background in (1.0, 0.0)]
    return max(candidates, key=lambda c: float(luminance(c).std()))


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of an (H, W, 3) array."""
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def border(arr: np.ndarray) -> np.ndarray:
    """The pixels along the four edges of an image, as a flat list."""
    return np.concatenate([arr[0], arr[-1], arr[1:-1, 0], arr[1:-1, -1]])


def ink_is_dark(rgb: np.ndarray) -> bool:
    """Decide whether the ink is darker than the background (paper) or lighter."""
    # The background is the typical level; ink is the minority that sticks out from it.
    # Darkest channel for dark ink (blue pen stays dark), brightest for light ink.
    dark = _tail_mass(1.0 - rgb.min(axis=2))
    light = _tail_mass(rgb.max(axis=2))
    if dark == light:  # nothing sticks out either way: go by the overall brightness
        return float(np.median(luminance(rgb))) >= 0.5
    return dark > light


def _tail_mass(values: np.ndarray) -> float:
    """How much of the image lies well above its typical (median) level."""
    # The median is the paper (or the board), even in a photo with a table around it.
    # Smooth shading spreads both ways and roughly cancels out; ink only goes one way.
    excess = values - float(np.median(values)) - 0.1
    return float(excess[excess > 0].sum())


def grayscale(rgb: np.ndarray, dark_ink: bool) -> np.ndarray:
    """One channel that keeps ink of any colour: min over channels on paper, max on black."""
    gray = rgb.min(axis=2) if dark_ink else rgb.max(axis=2)
    if float(gray.max() - gray.min()) < 0.04:
        raise NoDigitFound(MSG_BLANK)
    if dark_ink:
        # The darkest channel makes a finger or a wooden table as dark as ink; pens are
        # neutral, blue, red or green, never skin's muted orange: show those as paper.
        gray = np.where(_skin_or_wood(rgb), np.percentile(gray, 99), gray)
    return gray.astype(np.float32)


def _skin_or_wood(rgb: np.ndarray) -> np.ndarray:
    """Pixels of a muted orange hue (skin, wood), which no pen's ink has."""
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    spread = red - blue  # red is the largest channel and blue the smallest for these hues
    hue = 60.0 * (green - blue) / np.maximum(spread, 1e-6)  # degrees, 0 = red, 60 = yellow
    saturation = spread / np.maximum(red, 1e-6)
    warm = (red >= green) & (green >= blue) & (red > 0.2)
    hued = warm & (hue > 8.0) & (hue < 48.0) & (saturation > 0.15) & (saturation < 0.75)
    # A finger or a table is a large patch; single pixels of that hue are sensor noise on
    # dim or tinted paper, and turned bright they would pass for paper light in the shadows.
    return ndimage.binary_opening(hued, _EIGHT_CONNECTED)


# --------------------------------------------------------------------------- lighting


def even_lighting(dark_ink: np.ndarray) -> np.ndarray:
    """Divide by the estimated paper brightness so the background becomes ~1 everywhere."""
    background = _paper(dark_ink)
    # The small offset keeps very dark background regions (a table, a scanner lid)
    # from being amplified into ink.
    return np.clip((dark_ink + 0.05) / (background + 0.05), 0.0, 1.0).astype(np.float32)


def _paper(image: np.ndarray) -> np.ndarray:
    """Estimate the paper by a grey closing far wider than a pen stroke."""
    if max(image.shape) < 128:
        # A small image is a drawing or a crop, not a photo: one paper level will do,
        # and a window there would be too narrow to tell a bold blob from paper.
        return np.full(image.shape, np.percentile(image, 99), dtype=np.float32)
    # A ~64 px coarse grid: large-scale estimates are fast and smooth there.
    block = max(1, max(image.shape) // 64)
    # Padding with the minimum leaves each edge tile's max that of its real pixels.
    coarse = block_reduce(image, (block, block), np.max, cval=float(image.min()))
    # A window a quarter of the image wide removes strokes (bright wins inside it), but
    # keeps shading and large dark regions, which are lighting, not ink.
    window = max(3, (max(coarse.shape) // 4) | 1)
    closed = ndimage.grey_closing(coarse, size=window, mode="nearest")
    smooth = ndimage.uniform_filter(closed, 3, mode="nearest")
    size = (coarse.shape[1] * block, coarse.shape[0] * block)
    big = Image.fromarray(smooth.astype(np.float32), "F").resize(size, Image.Resampling.BILINEAR)
    return np.asarray(big)[: image.shape[0], : image.shape[1]]


# --------------------------------------------------------------------------- background


def _noise_level(ink: np.ndarray) -> tuple[float, float]:
    """Typical background level, and the robust standard deviation (MAD) of its pixel noise."""
    # The noise is measured against a 5x5 local mean: shading left over from uneven light,
    # or a bold digit covering a third of the picture, would otherwise pass for noise.
    from scipy import stats  # here, not at the top: 0.3 s and 32 MB at import, for photos only (BENCHMARKS.md)

    residual = ink - ndimage.uniform_filter(ink, 5, mode="nearest")
    noise = float(stats.median_abs_deviation(residual, axis=None, scale="normal"))
    return float(np.median(ink)), noise


def remove_background(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zero the background with a soft ramp below Otsu's threshold.

    Args:
        ink: (H, W) float32, white ink on a dark background.

    Returns:
        (soft, mask): the ink with its background at 0 and full-strength ink at 1, and the
        boolean mask of pixels above the threshold.

    Raises:
        NoDigitFound: if (almost) nothing stands out from the background.
    """
    paper, noise = _noise_level(ink)
    if noise > 0.01:  # a grainy photo: average out pixel noise (pen strokes are wider)
        ink = ndimage.uniform_filter(ink, 3, mode="nearest")
        paper, noise = _noise_level(ink)
    # A floor on the threshold, well above the paper's own noise: on a blank page Otsu
    # would happily split the noise in two.
    otsu = threshold_otsu(ink) if float(ink.max()) > float(ink.min()) else 1.0
    threshold = max(float(otsu), 0.1, paper + 6.0 * noise)
    mask = ink > threshold
    if int(mask.sum()) < max(9, int(0.0002 * ink.size)):
        raise NoDigitFound(MSG_BLANK)
    level = float(np.percentile(ink[mask], 90))  # typical full-strength ink
    low = threshold / 2  # below this it is background; above it keep the grey edges
    soft = np.clip((ink - low) / max(level - low, 1e-3), 0.0, 1.0)
    return soft.astype(np.float32), mask


# --------------------------------------------------------------------------- the digit's mark


def _boxes(labels: np.ndarray) -> np.ndarray:
    """Bounding box (top, bottom, left, right; inclusive) of each label 1..count."""
    slices = ndimage.find_objects(labels)
    return np.array([(r.start, r.stop - 1, c.start, c.stop - 1) for r, c in slices], np.int64)


def _area(box: np.ndarray) -> float:
    """Area of an inclusive (top, bottom, left, right) box."""
    return float((box[1] - box[0] + 1) * (box[3] - box[2] + 1))


def _joins(box: np.ndarray, other: np.ndarray, margin: float) -> bool:
    """Whether other's box is within margin of box, and is not a frame around it."""
    gap = max(other[0] - box[1], box[0] - other[1], other[2] - box[3], box[2] - other[3], 0)
    encloses = other[0] <= box[0] and other[1] >= box[1] and other[2] <= box[2]
    encloses = encloses and other[3] >= box[3]
    # A frame around everything (the table around a sheet) touches every box: not ink.
    return gap <= margin and not (encloses and _area(other) > 2 * _area(box))


def _group(seed: int, candidates: list[int], boxes: np.ndarray, edge: np.ndarray) -> list[int]:
    """The seed plus every candidate inside or near its (growing) bounding box."""
    box = boxes[seed].astype(np.float64)
    # Near = within 20% of the seed's size: the separate top bar of a 5 or a dot stays,
    # a second digit written well apart does not.
    margin = 0.2 * max(box[1] - box[0], box[3] - box[2]) + 2
    # A digit clear of the border has no strokes running off it: marks that do are the
    # table, the sheet's edge or a neighbour cut off by the frame.
    joinable = [i for i in candidates if edge[i] <= edge[seed]]
    members, changed = [seed], True
    while changed:
        changed = False
        for i in joinable:
            if i not in members and _joins(box, boxes[i], margin):
                members.append(i)
                box[[0, 2]] = np.minimum(box[[0, 2]], boxes[i][[0, 2]])
                box[[1, 3]] = np.maximum(box[[1, 3]], boxes[i][[1, 3]])
                changed = True
    return members


def _touches_edge(boxes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """For each box, whether it reaches the edge of the image."""
    top, bottom, left, right = boxes.T
    return (top == 0) | (left == 0) | (bottom == shape[0] - 1) | (right == shape[1] - 1)


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


def _mark_notes(groups: list[list[int]], mass: np.ndarray, edge: np.ndarray) -> list[Text]:
    """Tell the user about other marks: clutter along the border, or separate marks."""
    # Another group counts as a separate mark (worth a note) if it has real weight;
    # if the chosen mark is clear of the border, marks along the border are clutter.
    others = [g for g in groups[1:] if mass[g].sum() >= 0.1 * mass[groups[0]].sum()]
    clutter = [g for g in others if edge[g].any() and not edge[groups[0]].any()]
    notes = [NOTE_EDGE_CLUTTER] if clutter else []
    if len(others) > len(clutter):
        notes.append(Text("separate_marks", count=1 + len(others) - len(clutter)))
    return notes


def keep_main_mark(soft: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Keep the main mark (with its nearby strokes).

    Args:
        soft: (H, W) float32 soft ink from ``remove_background``.
        mask: its boolean mask of certain ink.

    Returns:
        (kept, notes): the soft ink of the main mark only, and remarks for the user.
    """
    labels, count = ndimage.label(mask, structure=_EIGHT_CONNECTED)
    mass = ndimage.sum_labels(soft, labels, np.arange(1, count + 1))
    boxes = _boxes(labels)
    order, groups, edge = _candidate_order(mass, boxes, mask.shape), [], _touches_edge(boxes, mask.shape)
    while order:
        groups.append(_group(order[0], order, boxes, edge))
        order = [i for i in order if i not in groups[-1]]
    notes = _mark_notes(groups, mass, edge)
    keep = np.isin(labels, np.array(groups[0]) + 1)
    keep = ndimage.binary_dilation(keep, np.ones((5, 5), bool))  # keep the soft grey edges too
    return (soft * keep).astype(np.float32), notes
