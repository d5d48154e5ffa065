"""Anomaly scores: the reference sets, one image's score and verdict, and when a reconstruction
has lost the digit.

A VAE's -ELBO (or -IWAE, a tighter upper bound on -log p(x)) is the number of nats the model
needs to explain an image: low for images like its training data, high for others. `score` is
the one definition of an image's score, used for the reference sets, the pages' uploads and the
reconstruction check alike. Three things make the score worth teaching rather than only showing:

- Sets that are not perfectly separated. Clothes and noise score far above every digit, so
  their ROC curves lie on the frame. Digits mirrored, turned a quarter or with a stroke rubbed
  out are still made of pen strokes, and some of them (a mirrored 0, 1 or 8) are digits: their
  scores overlap the test digits' (`mirrored`, `rotated`, `erased`).
- The known failure of likelihood scores (Nalisnick et al. 2019, "Do deep generative models
  know what they don't know?"): a simple, nearly blank image needs few nats to explain, so it
  scores as *more* likely than a real digit (`simple_images`).
- The same failure between data sets: a VAE trained on Fashion-MNIST gives MNIST digits *lower*
  scores than its own clothes (Nalisnick et al. 2019). Serra et al. (2020) trace it to input
  complexity: an image a generic compressor codes in few bits is cheap for any model. Their
  remedy, S(x) = -ELBO(x) - L(x) with L(x) the compressor's code length (`complexity`), is a
  likelihood ratio against that generic model, and turns the test the right way round.

For one image, `judge` gives one verdict with its reasons (`reasons`: which part of the score is
unusual, the reconstruction term, the KL term or the amount of ink), and `check_reconstruction`
decides whether a reconstruction kept the digit: its -ELBO and its difference from the input are
compared with the test digits' (above their 99th percentile, the page says the model has not
seen digits like it). The scores themselves come from `vae_tf.inference.Inference`.
"""

import dataclasses
import io

import numpy as np
from PIL import Image

from vae_tf import data, explain

PERCENTILE = 99.0  # test digits above this percentile of a quantity are called unusual
BORDERLINE = 95.0  # between this percentile and PERCENTILE, a score is borderline
INK = 0.5  # a pixel is ink above this grey level
K = 100  # importance samples of an image's -IWAE score
DRAWS = 100  # draws z ~ q(z|x) averaged for an image's -ELBO and its two terms
BATCH = 20  # images scored at once (BATCH * DRAWS codes)


def noise_images(n: int = 300, seed: int = 0) -> np.ndarray:
    """Images whose pixels have independent uniform grey levels. (n, 28, 28) float32."""
    return np.random.default_rng(seed).random((n, 28, 28)).astype(np.float32)


def mirrored(images: np.ndarray) -> np.ndarray:
    """The images flipped left to right. (N, 28, 28)."""
    return np.ascontiguousarray(images[:, :, ::-1])


def rotated(images: np.ndarray) -> np.ndarray:
    """The images turned a quarter turn anticlockwise. (N, 28, 28)."""
    return np.ascontiguousarray(np.rot90(images, k=1, axes=(1, 2)))


def erased(images: np.ndarray, size: int = 8) -> np.ndarray:
    """The images with a size x size square of ink rubbed out at the top of each digit."""
    return np.stack([explain.erase(im, size) for im in images])


SIMPLE = ("blank", "dot", "bar")  # the names of `simple_images`, in order


def simple_images() -> np.ndarray:
    """A blank image, a small dot and a short bar: simple images that score as 'likely'. (3, 28, 28)."""
    out = np.zeros((len(SIMPLE), 28, 28), np.float32)
    out[1, 12:16, 12:16] = 1.0
    out[2, 13:15, 8:20] = 1.0
    return out


def ink(images: np.ndarray) -> np.ndarray:
    """The fraction of each image's pixels that are ink. (N,)."""
    return np.mean(np.asarray(images).reshape(len(images), -1) > INK, axis=1)


def distance(inputs: np.ndarray, reconstructions: np.ndarray) -> np.ndarray:
    """How different each reconstruction is from its input: 1 - sum(min) / sum(max) of the grey levels.

    0 for identical images, 1 when no ink overlaps (a weighted Jaccard distance). (N,).
    """
    a = np.asarray(inputs, np.float64).reshape(len(inputs), -1)
    b = np.asarray(reconstructions, np.float64).reshape(len(reconstructions), -1)
    union = np.maximum(a, b).sum(axis=1)
    return np.where(union > 0, 1.0 - np.minimum(a, b).sum(axis=1) / np.maximum(union, 1e-12), 0.0)


def below(value: float, reference: np.ndarray) -> float:
    """The percentage of `reference` strictly below `value`, rounded down to 0.1.

    Rounded down so that a score above 99.96% of the digits never reads "100.0%": only a
    score above every reference value gets 100.
    """
    share = 100.0 * np.mean(np.asarray(reference) < value)
    return float(np.floor(share * 10 + 1e-9) / 10)


def above(value: float, reference: np.ndarray) -> float:
    """The percentage of `reference` strictly above `value`, rounded down to 0.1 (see `below`)."""
    share = 100.0 * np.mean(np.asarray(reference) > value)
    return float(np.floor(share * 10 + 1e-9) / 10)


@dataclasses.dataclass(frozen=True)
class Check:
    """Whether a reconstruction kept the digit, and the numbers behind the decision."""

    keeps_digit: bool
    score_high: bool  # its -ELBO is above the test digits' cut
    differs: bool  # the reconstruction differs from the input more than the test digits' do
    score_cut: float
    distance_cut: float


def check_reconstruction(
    neg_elbo: float,
    difference: float,
    reference_neg_elbo: np.ndarray,
    reference_distance: np.ndarray,
    percentile: float = PERCENTILE,
) -> Check:
    """Decide whether a reconstruction can be shown as the model's version of the input.

    Args:
      neg_elbo: the input's -ELBO in nats.
      difference: `distance(input, reconstruction)`.
      reference_neg_elbo, reference_distance: the same two numbers for the test digits.
      percentile: above this percentile of the test digits, a number is unusual.

    Returns:
      a `Check`; `keeps_digit` is False when either number is unusual.
    """
    score_cut = float(np.percentile(reference_neg_elbo, percentile))
    distance_cut = float(np.percentile(reference_distance, percentile))
    score_high, differs = neg_elbo > score_cut, difference > distance_cut
    return Check(not (score_high or differs), bool(score_high), bool(differs), score_cut, distance_cut)


def score(served, images: np.ndarray, k: int = K, draws: int = DRAWS) -> dict[str, np.ndarray]:
    """The one definition of an image's anomaly score, for reference sets and uploads alike.

    Each grey image is binarized once with seed 0 (as the test digits are); its ELBO terms are
    averaged over `draws` codes from q(z|x), and its -IWAE uses k importance samples, seed 0.

    Args:
      served: the model's `vae_tf.inference.Inference` (any object with its `elbo_terms` and `iwae`).
      images: (N, 28, 28) grey images in [0, 1].
      k: importance samples of "iwae" (0 leaves it out).
      draws: codes drawn per image for the ELBO terms.

    Returns:
      "recon", "kl", "neg_elbo", "iwae" (-IWAE, an upper bound on -log p(x)) and "complexity"
      (`complexity` of the binarized image), in nats, each (N,).
    """
    binary = data.binarize(np.asarray(images, np.float32).reshape(-1, 28, 28), 0)
    parts = [served.elbo_terms(binary[i : i + BATCH], seed=0, draws=draws) for i in range(0, len(binary), BATCH)]
    found = {name: np.concatenate([np.asarray(p[name]) for p in parts]) for name in parts[0]}
    if k:
        found["iwae"] = -np.asarray(served.iwae(binary, k, seed=0))
    found["complexity"] = complexity(binary)
    return {name: np.asarray(value, np.float64) for name, value in found.items()}


def complexity(binary: np.ndarray) -> np.ndarray:
    """L(x): the code length of each binary image under a generic compressor, in nats. (N,).

    The compressor is PNG (as in Serra et al. 2020): each image saved as a 1-bit PNG, and its
    compressed pixel data (the IDAT chunks' bytes; the file's fixed header is left out) counted
    at 8 ln 2 nats a byte. A compressor is a probability model of its own (code length = -log2
    of the probability it gives), one that knows no digits and no clothes, so -ELBO(x) - L(x) is
    a log-likelihood ratio of the VAE against it.
    """
    flat = np.asarray(binary).reshape(len(binary), 28, 28) > 0.5
    return np.array([_png_data_bytes(image) for image in flat]) * 8 * np.log(2.0)


def _png_data_bytes(image: np.ndarray) -> int:
    """The bytes of compressed pixel data in a 1-bit PNG of a boolean image."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=True)
    png, at, total = buffer.getvalue(), 8, 0
    while at < len(png):  # chunks: length (4 bytes), type (4), data, CRC (4)
        length = int.from_bytes(png[at : at + 4], "big")
        total += length if png[at + 4 : at + 8] == b"IDAT" else 0
        at += 12 + length
    return total


def upload_check(
    served, digit: np.ndarray, reconstruction: np.ndarray, reference: dict[str, np.ndarray], draws: int = DRAWS
) -> tuple[dict[str, np.ndarray], Check]:
    """The ELBO's terms of one grey digit (its `score`) as the reconstruction page reports them, and its `Check`.

    Args:
      served: the model's `vae_tf.inference.Inference` (any object with its `elbo_terms`).
      digit: (28, 28) grey digit in [0, 1].
      reconstruction: (28, 28), the decoded mean of q(z|x).
      reference: the model's "anomaly" figure (`vae_tf.figures`), with the test digits'
        "mnist/neg_elbo" and "mnist/distance".
      draws: codes drawn from q(z|x) for the terms (the reference sets' DRAWS unless a page says otherwise).

    Returns:
      the terms ("recon", "kl", "neg_elbo", arrays of one), and whether the reconstruction kept the digit.
    """
    terms = score(served, digit[None], k=0, draws=draws)
    difference = float(distance(digit[None], reconstruction[None])[0])
    check = check_reconstruction(
        float(terms["neg_elbo"][0]), difference, reference["mnist/neg_elbo"], reference["mnist/distance"]
    )
    return terms, check


def fitted_score(served, digit: np.ndarray, draws: int = DRAWS) -> tuple[np.ndarray, float]:
    """One grey digit's reconstruction from q(z|x) fitted to it alone, and that q's -ELBO in nats.

    The digit is binarized and its -ELBO estimated as in `score` (seed 0, `draws` codes), so the
    number compares with the encoder's there; the gap between them is the encoder's amortization
    gap for this digit (see `vae_tf.models.fitted_q_z_given_x`).

    Args:
      served: the model's `vae_tf.inference.Inference` (any object with its `fit` and `elbo_terms`).
      digit: (28, 28) grey digit in [0, 1].

    Returns:
      the (28, 28) reconstruction, and the fitted q's -ELBO.
    """
    binary = data.binarize(digit, seed=0)[None]
    mean, std, reconstruction = served.fit(binary, seed=0)
    terms = served.elbo_terms(binary, seed=0, draws=draws, posterior=(mean, std))
    return reconstruction[0], float(terms["neg_elbo"][0])


@dataclasses.dataclass(frozen=True)
class Reason:
    """One way an image differs from the test digits: `code` names it; value and the digits' range."""

    code: str  # "recon_high", "kl_high", "ink_high" or "ink_low"
    value: float
    low: float  # the test digits' (100 - percentile)th percentile
    high: float  # their `percentile`th percentile


def reasons(
    recon: float, kl: float, ink_share: float, reference: dict[str, np.ndarray], percentile: float = PERCENTILE
) -> list[Reason]:
    """Why an image scores as it does: each of its numbers that lies outside the test digits' range.

    Args:
      recon, kl: the image's -log p(x|z) and KL(q || p) in nats (the two terms of its -ELBO).
      ink_share: `ink` of the image.
      reference: the test digits' "recon", "kl" and "ink", arrays (N,) each.

    Returns:
      the numbers outside the digits' range, in the order reconstruction, KL, ink.
    """
    found = []
    for code, value, side in (
        ("recon_high", recon, "high"),
        ("kl_high", kl, "high"),
        ("ink_high", ink_share, "high"),
        ("ink_low", ink_share, "low"),
    ):
        values = reference[code.split("_")[0]]
        low, high = (float(np.percentile(values, q)) for q in (100 - percentile, percentile))
        if (side == "high" and value > high) or (side == "low" and value < low):
            found.append(Reason(code, float(value), low, high))
    return found


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One image's verdict: `code` is "digit", "mixed", "borderline", "unusual" or "empty"; why, in numbers."""

    code: str
    value: float  # the image's score
    below: float  # the percentage of test digits scoring below it (`below`)
    borderline: float  # the test digits' BORDERLINE-th percentile of the score
    cut: float  # their PERCENTILE-th percentile
    reasons: tuple[Reason, ...]


def judge(value: float, recon: float, kl: float, ink_share: float, reference: dict[str, np.ndarray]) -> Verdict:
    """One verdict for one image, and its reasons, from its score and the test digits' scores.

    - "empty": almost no ink; whatever its score, the known failure of likelihoods (Nalisnick
      et al. 2019) makes a low one mean nothing;
    - "unusual": the score is above the test digits' PERCENTILE-th percentile;
    - "borderline": above their BORDERLINE-th;
    - "mixed": not, but one of its terms or its ink is outside the digits' range (see `reasons`);
    - "digit": none of these.

    Args:
      value: the image's score (-ELBO or -IWAE), in nats.
      recon, kl: the two terms of its -ELBO, in nats.
      ink_share: `ink` of the image.
      reference: the test digits' "score" (the same kind as `value`), "recon", "kl" and "ink", (N,) each.
    """
    why = tuple(reasons(recon, kl, ink_share, reference))
    borderline, cut = (float(np.percentile(reference["score"], q)) for q in (BORDERLINE, PERCENTILE))
    if any(r.code == "ink_low" for r in why):
        code = "empty"
    elif value > cut:
        code = "unusual"
    elif value > borderline:
        code = "borderline"
    elif why:
        code = "mixed"
    else:
        code = "digit"
    return Verdict(code, float(value), below(value, reference["score"]), borderline, cut, why)
