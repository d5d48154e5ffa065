"""Export the training digits the Lab page trains on in the visitor's browser, and the vae_tf reference.

The Lab page (pages/lab.py) trains a small VAE with TensorFlow.js in the browser, so its
training digits travel to the browser once, as static files that Streamlit serves
(`server.enableStaticServing`) at app/static/lab/:

    digits.u8.gz   the first `count` MNIST training images, 784 grey levels (uint8) each, gzipped
    labels.u8      their labels, one byte each
    reference.json how vae_tf's model of the same architecture (e.g. models/vae-2d-lab) scores them

The digits stay grey: the browser binarizes them afresh at every use, pixel on when u < p, as
`vae_tf.data.binarize` does. The reference scores the same digits binarized once with `--seed`,
with one z ~ q(z|x) per digit, as vae_tf.evaluate scores the test set.

    python -m vae_tf.export_lab --data ../shared/data/mnist.npz --model models/vae-2d-lab
"""

import argparse
import gzip
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from vae_tf.store import ROOT

STATIC_DIR = ROOT / "static" / "lab"
COUNT = 6000
MNIST_TRAIN = 60000  # images in MNIST's training set
CHOSEN_LABELS = (0, 1, 3, 7)  # the page follows q(z|x) of the first digit of each of these labels
DIGITS, LABELS, REFERENCE = "digits.u8.gz", "labels.u8", "reference.json"


def write_digits(data_path: Path, count: int = COUNT, directory: Path = STATIC_DIR) -> dict:
    """Write the first `count` training images and labels; return their size and checksum."""
    with np.load(data_path) as npz:
        images, labels = npz["x_train"][:count].astype(np.uint8), npz["y_train"][:count].astype(np.uint8)
    directory.mkdir(parents=True, exist_ok=True)
    raw = images.reshape(count, 784).tobytes()
    (directory / DIGITS).write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    (directory / LABELS).write_bytes(labels.tobytes())
    return {"count": count, "sha256": hashlib.sha256(raw).hexdigest()}


def read_digits(directory: Path = STATIC_DIR) -> tuple[np.ndarray, np.ndarray]:
    """The exported digits as grey levels in [0, 1], (N, 28, 28, 1) float32, and their labels (N,)."""
    raw = np.frombuffer(gzip.decompress((directory / DIGITS).read_bytes()), np.uint8)
    labels = np.frombuffer((directory / LABELS).read_bytes(), np.uint8).astype(np.int64)
    return (raw.astype(np.float32) / 255.0).reshape(-1, 28, 28, 1), labels


def chosen(labels: np.ndarray) -> list[int]:
    """The index of the first digit of each label in CHOSEN_LABELS."""
    return [int(np.flatnonzero(labels == d)[0]) for d in CHOSEN_LABELS]


def score(model_dir: Path, grey: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict:
    """The model's mean -ELBO, reconstruction and KL (nats) on `grey` binarized with `seed`, and the
    spread of q(z|x) of the `chosen` digits."""
    import tensorflow as tf

    from vae_tf import data, models, store

    model = store.load(model_dir)
    x = tf.constant(data.binarize(grey, seed))
    terms = models.elbo_terms(model, x, tf.constant([seed, 1]))
    picked = chosen(labels)
    _, std = models.encode(model, tf.gather(x, picked))
    run = json.loads((Path(model_dir) / "run.json").read_text())
    return {
        "model": Path(model_dir).name,
        "widths": list(model.config.widths),
        "epochs": run["args"]["epochs"],
        "train_images": (run["args"]["limit"] or MNIST_TRAIN) - run["args"]["validation_size"],
        "train_seconds": run["train_seconds"],
        "seed": seed,
        "chosen": picked,
        "chosen_std": np.round(std.numpy().astype(np.float64), 4).tolist(),
        **{k: float(tf.reduce_mean(v)) for k, v in terms.items()},
    }


def main(argv=None) -> int:
    """Write the digits and, with --model, the reference's scores on them."""
    p = argparse.ArgumentParser(prog="python -m vae_tf.export_lab", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="MNIST .npz in Keras's layout")
    p.add_argument("--count", type=int, default=COUNT, help="how many training images to bundle")
    p.add_argument("--model", type=Path, help="the vae_tf model of the Lab's architecture to score them")
    p.add_argument("--seed", type=int, default=0, help="the reference's binarization and z draw")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    info = write_digits(args.data, args.count)
    print(f"wrote {STATIC_DIR / DIGITS} ({(STATIC_DIR / DIGITS).stat().st_size / 1e6:.2f} MB), {info}")
    if args.model:
        reference = {**score(args.model, *read_digits(), args.seed), "digits": info}
        (STATIC_DIR / REFERENCE).write_text(json.dumps(reference, indent=2) + "\n")
        print(reference)
    return 0


if __name__ == "__main__":
    sys.exit(main())
