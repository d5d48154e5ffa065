"""The computations behind the site's explanations, kept apart from any page so they are tested.

- Why pixel distance is a poor likelihood: a digit moved by one pixel is "far" from itself,
  a digit with a piece missing is "near" (`shift`, `erase`, `pixel_error`).
- Why sampling z from the prior is hopeless for estimating log p(x), and importance sampling
  from q(z|x) is not (`running_log_mean_exp` over the log-weights of either proposal).
- The latent-space grids and paths the sampling pages draw (`normal_quantile_grid`, `interpolate`).
- Anomaly scores: the ROC curve and its area (`roc_curve`, `auroc`).
NumPy, SciPy and the standard library only.
"""

from statistics import NormalDist

import numpy as np
from scipy import ndimage
from scipy.spatial import distance


def shift(image: np.ndarray, dx: int = 1, dy: int = 0) -> np.ndarray:
    """The image moved by (dx, dy) whole pixels, filling with background (0)."""
    return ndimage.shift(image, (dy, dx) + (0,) * (image.ndim - 2), order=0, mode="constant", cval=0)


def erase(image: np.ndarray, size: int = 5) -> np.ndarray:
    """The image with a size x size square of ink rubbed out at the top of the digit."""
    out = image.copy()
    rows, cols = np.nonzero(image > 0.5)
    if len(rows) == 0:
        return out
    top = rows.min()
    centre = int(np.round(cols[rows <= top + 2].mean()))
    left = max(0, centre - size // 2)
    out[top : top + size, left : left + size] = 0
    return out


def pixel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Sum of squared pixel differences: the Gaussian log-likelihood up to scale and shift."""
    return float(np.sum((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))


def running_log_mean_exp(log_w: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """log (1/n) sum_{i<n} exp(log_w_i) for each n in `counts`: a Monte-Carlo estimate of log p(x).

    Args:
      log_w: (k,) log-weights, e.g. log p(x|z_i) for z_i ~ p(z), or log p(x, z_i) / q(z_i|x);
        or (k, N), a column per image.
      counts: increasing sample counts, each <= k.

    Returns:
      (len(counts),), or (len(counts), N) for a column per image.
    """
    log_w = np.asarray(log_w, np.float64)
    cumulative = np.logaddexp.accumulate(log_w, axis=0)
    counts = np.asarray(counts)
    return cumulative[counts - 1] - np.log(counts).reshape((-1,) + (1,) * (log_w.ndim - 1))


def sample_counts(k: int, per_decade: int = 6) -> np.ndarray:
    """Roughly log-spaced sample counts from 1 to k, for plotting an estimate against n."""
    counts = np.unique(np.round(np.logspace(0, np.log10(k), 1 + per_decade * int(np.ceil(np.log10(k))))))
    return counts.astype(int)


def normal_quantile_grid(n: int, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    """An n x n grid of 2-D codes at equally spaced quantiles of N(0, 1) (Kingma & Welling, fig. 4).

    Returns:
      (n * n, 2) codes, row by row, z_2 decreasing down the rows and z_1 increasing across.
    """
    q = np.array([NormalDist().inv_cdf(p) for p in np.linspace(low, high, n)], np.float32)
    z1, z2 = np.meshgrid(q, q[::-1])
    return np.stack([z1.ravel(), z2.ravel()], axis=1)


def interpolate(z_start: np.ndarray, z_end: np.ndarray, steps: int) -> np.ndarray:
    """Codes on the straight line from z_start to z_end, both included. Shape (steps, L)."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1 - t) * z_start[None] + t * z_end[None]


def dimension_effects(decode, code: np.ndarray, low: float = -3.0, high: float = 3.0) -> np.ndarray:
    """How much each latent dimension alone changes the decoded digit around `code`.

    Args:
      decode: maps codes (N, L) to pixel probabilities (N, 28, 28).
      code: (L,) where the other dimensions are held.

    Returns:
      (L,): for dimension j, the largest change of any pixel's probability as z_j goes from `low` to `high`.
    """
    ends = np.repeat(np.asarray(code, np.float32)[None], 2 * len(code), axis=0)
    ends[np.arange(len(code)), np.arange(len(code))] = low
    ends[len(code) + np.arange(len(code)), np.arange(len(code))] = high
    pixels = np.asarray(decode(ends), np.float64).reshape(2, len(code), -1)
    return np.abs(pixels[1] - pixels[0]).max(axis=1)


def roc_curve(normal: np.ndarray, unusual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC of the score as a detector of `unusual` (higher score = more unusual).

    Returns:
      (false positive rate, true positive rate), from (0, 0) to (1, 1), one point per threshold.
    """
    scores = np.concatenate([normal, unusual])
    labels = np.concatenate([np.zeros(len(normal)), np.ones(len(unusual))])
    order = np.argsort(-scores, kind="stable")
    scores, labels = scores[order], labels[order]
    last_of_tie = np.r_[scores[1:] != scores[:-1], True]
    tp, fp = np.cumsum(labels)[last_of_tie], np.cumsum(1 - labels)[last_of_tie]
    return np.r_[0.0, fp / len(normal)], np.r_[0.0, tp / len(unusual)]


def auroc(normal: np.ndarray, unusual: np.ndarray) -> float:
    """Area under the ROC curve: P(score of an unusual item > score of a normal one), ties half."""
    fpr, tpr = roc_curve(normal, unusual)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def ellipse(mean, std, radius: float = 1.0, points: int = 48) -> np.ndarray:
    """The closed path of a 2-D Gaussian's `radius`-sigma ellipse, in the codes' own units.

    Args:
      mean, std: (2,) the centre and the standard deviation along each axis (diagonal covariance).
      radius: in standard deviations: 1 and 2 for the 1-sigma and 2-sigma contours.
      points: corners of the path; the first is repeated at the end to close it.

    Returns:
      (points + 1, 2) codes on the ellipse ((z - mean) / std has length `radius`).
    """
    angle = np.linspace(0.0, 2.0 * np.pi, points + 1)
    angle[-1] = 0.0  # exactly closed
    circle = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return np.asarray(mean, np.float64) + radius * np.asarray(std, np.float64) * circle


def unit_pixels(images: np.ndarray) -> np.ndarray:
    """Each image's pixels centred and scaled to unit length, (n, pixels) float32: their dot products are correlations.

    The references of `similarity_to_nearest` are made once with this, as they are fixed (the bundled test digits).
    """
    a = np.asarray(images, np.float32).reshape(len(images), -1)
    a = a - a.mean(axis=1, keepdims=True)
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)


def similarity_to_nearest(images: np.ndarray, references: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each image, the pixel correlation with the most similar reference image, and its index.

    Pearson correlation (each image centred and scaled to unit length), so a faint or blurry digit
    still matches its clean neighbour, while a blob that is no digit matches none: the bundled
    test digits' median against the other test digits is ~0.78, an AE's hole ~0.5.

    Args:
      images: (n, 28, 28) images; references: `unit_pixels` of the (m, 28, 28) reference images.

    Returns:
      similarity (n,) in [-1, 1] and index (n,) into the references.
    """
    similarity = unit_pixels(images) @ references.T  # (n, m)
    index = similarity.argmax(axis=1)
    return similarity[np.arange(len(index)), index], index


def nearest_labels(code: np.ndarray, references: np.ndarray, labels: np.ndarray, k: int = 10) -> list[tuple[int, int]]:
    """The labels of the `k` reference codes nearest to `code` (Euclidean), counted.

    Args:
      code: (L,) one latent code; references: (N, L) codes of labelled images; labels: (N,).

    Returns:
      (label, count) pairs, the most frequent first; a tie goes to the label met first, nearest first.
    """
    far = distance.cdist(np.asarray(code, np.float64).reshape(1, -1), np.asarray(references, np.float64))[0]
    counts: dict[int, int] = {}
    for index in np.argsort(far, kind="stable")[:k]:
        counts[int(labels[index])] = counts.get(int(labels[index]), 0) + 1
    return sorted(counts.items(), key=lambda pair: -pair[1])


def has_majority(counted: list[tuple[int, int]]) -> bool:
    """Whether one label holds more than half of the neighbours `nearest_labels` counted."""
    return 2 * counted[0][1] > sum(count for _, count in counted)


def variety(images: np.ndarray) -> float:
    """Mean root-mean-square pixel difference over every pair of images: how different they are."""
    flat = np.asarray(images, np.float64).reshape(len(images), -1)
    return float(distance.pdist(flat).mean() / np.sqrt(flat.shape[1]))  # pdist: every pair once


def map_domain(points: np.ndarray, pad: float = 0.05) -> list[list[float]]:
    """The axes' ranges of a 2-D map that shows every point: [[z1 low, high], [z2 low, high]], padded."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    low, high = points.min(axis=0), points.max(axis=0)
    margin = np.maximum(high - low, 1e-6) * pad
    return [[float(a), float(b)] for a, b in zip(low - margin, high + margin, strict=True)]


# --- Words that follow the picture: what a curve does, decided from the curve, never written by hand ---


def settled_since(counts, estimates, tolerance: float = 0.5, span: float = 10**0.5) -> int | None:
    """The sample count from which an estimate stays within `tolerance` nats of its last value.

    Args:
      counts: increasing sample counts (the chart's x).
      estimates: the estimate at each count (the chart's y).
      tolerance: how far from the last value still counts as flat, in nats.
      span: the flat stretch must cover at least this ratio of counts (half a decade by default);
        a curve flat only over its last few points has not settled.

    Returns:
      the first count of the flat stretch, or None if the curve is still moving at its end.
    """
    counts, estimates = np.asarray(counts), np.asarray(estimates, np.float64)
    off = np.nonzero(np.abs(estimates - estimates[-1]) > tolerance)[0]
    since = int(counts[off[-1] + 1 if len(off) else 0])
    return since if counts[-1] / since >= span else None


def trend(counts, estimates, tolerance: float = 0.5) -> tuple[str, int | None, float]:
    """What a running estimate does at its end: "flat" (since a count), "climbing" or "falling".

    Returns:
      (verb, first count of the flat stretch or None, change over the last half decade in nats).
    """
    counts, estimates = np.asarray(counts), np.asarray(estimates, np.float64)
    since = settled_since(counts, estimates, tolerance)
    earlier = estimates[max(0, np.searchsorted(counts, counts[-1] / 10**0.5, side="right") - 1)]
    change = float(estimates[-1] - earlier)
    if since is not None:
        return "flat", since, change
    return ("climbing" if change > 0 else "falling"), None, change


def top_weight_share(log_w: np.ndarray) -> np.ndarray:
    """The share of a Monte-Carlo sum held by its single largest term: max w / sum w, per column."""
    log_w = np.asarray(log_w, np.float64)
    return np.exp(log_w.max(axis=0) - np.logaddexp.reduce(log_w, axis=0))


def iwae_against_k(log_w: np.ndarray, ks) -> np.ndarray:
    """The IWAE bound for each k, estimated from K log-weights per image split into K/k groups.

    Each group of k gives one draw of log (1/k) sum w; their mean is an unbiased estimate of the
    bound at k (k = 1: the ELBO, the mean of log w). Every k must divide K.

    Args:
      log_w: (K, N) log-weights log p(x, z_i) - log q(z_i|x), z_i ~ q(z|x).
      ks: sample counts, each dividing K.

    Returns:
      (len(ks), N) bounds on log p(x), in nats.
    """
    log_w = np.asarray(log_w, np.float64)
    total, n = log_w.shape
    out = []
    for k in ks:
        if total % k:
            raise ValueError(f"k = {k} does not divide {total}")
        groups = log_w.reshape(total // k, k, n)
        out.append((np.logaddexp.reduce(groups, axis=1) - np.log(k)).mean(axis=0))
    return np.array(out)


def factorised_bernoulli_nll(images: np.ndarray) -> float:
    """Mean -log p(x) under the best code-free model: independent pixels at their mean frequency.

    A decoder that ignores z (rate 0, posterior collapse) can do no better than this: it is the
    distortion where the rate-distortion plane meets the axis R = 0. `images` are binary (N, ...).
    """
    x = np.asarray(images, np.float64).reshape(len(images), -1)
    p = np.clip(x.mean(axis=0), 0.5 / len(x), 1 - 0.5 / len(x))
    return float(-(x @ np.log(p) + (1 - x) @ np.log1p(-p)).mean())


def equal_elbo_lines(levels, distortion: tuple[float, float], rate_max: float = np.inf) -> list[dict]:
    """Segments of R + D = level (lines of equal ELBO) within a distortion range, 0 <= rate <= rate_max.

    Returns:
      two rows per level that crosses the region, {"level", "distortion", "rate"}, the segment's ends.
    """
    low, high = distortion
    rows = []
    for level in levels:
        start, end = max(low, level - rate_max), min(high, level)
        if start < end:
            rows += [{"level": float(level), "distortion": float(d), "rate": float(level - d)} for d in (start, end)]
    return rows


def cell(value, decimals: int = 1) -> str:
    """A table cell: "–" for a missing value, whole numbers as integers, others to `decimals` places."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    return f"{float(value):,.{decimals}f}"
