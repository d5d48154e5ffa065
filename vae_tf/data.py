"""MNIST as the models see it: pixel intensities read as Bernoulli probabilities.

The models are Bernoulli over pixels, so they are trained on binary images. Following Burda
et al. (2015) we binarize dynamically: each time an image is used, pixel i is on with
probability p_i (its grey level), `u < p` with u ~ U(0, 1), a fresh draw each epoch. The test
set is binarized once with a fixed seed, so reported numbers are reproducible. NumPy only:
this module does not import TensorFlow.
"""

import dataclasses
from pathlib import Path

import numpy as np

MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclasses.dataclass(frozen=True)
class Split:
    """Grey images in [0, 1], shape (N, 28, 28, 1) float32, and their labels (N,)."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self):
        return len(self.x)


def load_mnist(path: str | Path | None = None) -> dict[str, Split]:
    """Load MNIST in Keras's layout (`x_train`, `y_train`, `x_test`, `y_test`).

    Args:
      path: an `.npz` file with those four arrays (uint8 images). If None, Keras downloads
        MNIST (and caches it under ~/.keras/datasets), which needs the internet.

    Returns:
      {"train": Split, "test": Split} with images scaled to [0, 1].
    """
    if path is None:
        import tf_keras as tfk  # only here: the offline path needs no TensorFlow

        (x_train, y_train), (x_test, y_test) = tfk.datasets.mnist.load_data()
        arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    else:
        with np.load(path) as npz:
            missing = [k for k in MNIST_KEYS if k not in npz]
            if missing:
                raise ValueError(f"{path} lacks the arrays {missing}")
            arrays = {k: npz[k] for k in MNIST_KEYS}
    return {
        "train": Split(to_probabilities(arrays["x_train"]), arrays["y_train"].astype(np.int64)),
        "test": Split(to_probabilities(arrays["x_test"]), arrays["y_test"].astype(np.int64)),
    }


def add_data_flag(parser) -> None:
    """The scripts' `--data` flag, the `path` of `load_mnist` (an argparse parser's)."""
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="MNIST .npz in Keras's layout; without it Keras downloads MNIST (needs the internet)",
    )


def to_probabilities(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) to float32 probabilities (N, 28, 28, 1) in [0, 1]."""
    images = np.asarray(images)
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    return (images.astype(np.float32) / scale).reshape(-1, 28, 28, 1)


def binarize(probabilities: np.ndarray, seed: int | np.random.Generator) -> np.ndarray:
    """Binary images drawn pixel by pixel: on (1.0) with probability p, as `u < p`.

    Args:
      probabilities: any shape, values in [0, 1].
      seed: an int (a fixed, reproducible binarization) or a NumPy Generator.

    Returns:
      float32 array of 0s and 1s, same shape.
    """
    rng = np.random.default_rng(seed)
    return (rng.random(probabilities.shape) < probabilities).astype(np.float32)


def split_validation(split: Split, size: int, seed: int = 0) -> tuple[Split, Split]:
    """Hold `size` images of `split` out of training, chosen at random with `seed`.

    Returns:
      (train, validation).
    """
    if not 0 <= size < len(split):
        raise ValueError(f"validation size must be in [0, {len(split)}), not {size}")
    order = np.random.default_rng(seed).permutation(len(split))
    held, kept = order[:size], order[size:]
    return Split(split.x[kept], split.y[kept]), Split(split.x[held], split.y[held])


def load_npz_split(path: str | Path, key: str = "test") -> Split:
    """A small bundled subset (`x_<key>` uint8, `y_<key>`) as a Split."""
    with np.load(path) as npz:
        return Split(to_probabilities(npz[f"x_{key}"]), npz[f"y_{key}"].astype(np.int64))
