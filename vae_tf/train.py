"""Train a VAE or its AE baseline on dynamically binarized MNIST.

    python -m vae_tf.train --kind vae --latent-size 2 --epochs 30 \\
        --data ../shared/data/mnist.npz --output models/vae-2d

Uses a GPU when TensorFlow sees one and `tf.distribute.MirroredStrategy` when it sees
several. Each epoch records the training and validation -ELBO, reconstruction and KL,
computed explicitly (see `vae_tf.models`). A killed run resumes from its last finished
epoch when started again with the same command (Keras's BackupAndRestore, kept in
`<output>.partial/`); a NaN loss stops the run without touching `<output>`; the model is
written to `<output>` atomically only when training ends.
"""

import argparse
import csv
import json
import math
import platform
import shlex
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras as tfk

from vae_tf import config, data, models, store
from vae_tf.config import ModelConfig


def parse_args(argv=None) -> argparse.Namespace:
    """The command line (see `parser`)."""
    return parser().parse_args(argv)


def parser() -> argparse.ArgumentParser:
    """The command line's parser; every flag has a default and a help text."""
    p = argparse.ArgumentParser(
        prog="python -m vae_tf.train",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    model = ModelConfig()  # the model's defaults and choices are the config's
    p.add_argument("--kind", choices=tuple(config.KINDS), default=model.kind, help=_choices_help(config.KINDS))
    p.add_argument("--latent-size", type=int, default=model.latent_size, help="number of latent dimensions")
    p.add_argument(
        "--widths",
        type=int,
        nargs="+",
        default=list(model.widths),
        help="hidden widths of the encoder; the decoder mirrors them",
    )
    p.add_argument(
        "--prior",
        choices=tuple(config.PRIORS),
        default=model.prior,
        help="p(z) of a VAE: " + _choices_help(config.PRIORS),
    )
    p.add_argument(
        "--pseudo-inputs",
        type=int,
        default=config.VAMP_PSEUDO_INPUTS,
        help="number K of pseudo-inputs of a VampPrior",
    )
    p.add_argument(
        "--beta",
        type=float,
        default=model.beta,
        help="weight of the KL term in the training loss (1 is the ELBO; a beta-VAE otherwise)",
    )
    p.add_argument("--epochs", type=int, default=30, help="passes over the training images")
    p.add_argument("--batch-size", type=int, default=128, help="images per gradient step (across all devices)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's initial learning rate")
    p.add_argument(
        "--schedule",
        choices=("constant", "cosine"),
        default="cosine",
        help="learning rate schedule; cosine decays to 5%% of --lr by the last step",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of initialisation, shuffling, binarization and the split")
    data.add_data_flag(p)
    p.add_argument("--validation-size", type=int, default=5000, help="training images held out for validation")
    p.add_argument("--limit", type=int, default=None, help="use only the first N training images (for quick tests)")
    p.add_argument("--output", type=Path, required=True, help="model directory to write, e.g. models/vae-2d")
    p.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=None,
        help="Keras progress: 0 silent, 1 bar, 2 a line per epoch (default: bar on a terminal)",
    )
    return p


def _choices_help(choices: dict[str, str]) -> str:
    """A flag's help from a config's choices: "name: what it is" for each."""
    return "; ".join(f"{name}: {meaning}" for name, meaning in choices.items()).replace("%", "%%")


def pick_strategy() -> tf.distribute.Strategy:
    """MirroredStrategy over several GPUs; otherwise the default (GPU:0 if there is one, else CPU)."""
    gpus = tf.config.list_physical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def training_dataset(split: data.Split, batch_size: int, seed: int) -> tf.data.Dataset:
    """Shuffled batches, binarized afresh each epoch (pixel on with probability p)."""
    rng = tf.random.Generator.from_seed(seed)

    def binarize(p):
        return tf.cast(rng.uniform(tf.shape(p)) < p, tf.float32)

    ds = tf.data.Dataset.from_tensor_slices(split.x)
    ds = ds.shuffle(len(split), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    return ds.map(binarize).prefetch(tf.data.AUTOTUNE)


def validation_dataset(split: data.Split, batch_size: int, seed: int) -> tf.data.Dataset:
    """Batches of a fixed binarization, the same every epoch."""
    x = data.binarize(split.x, seed)
    return tf.data.Dataset.from_tensor_slices(x).batch(batch_size).prefetch(tf.data.AUTOTUNE)


def learning_rate(args, steps_per_epoch: int):
    """A constant rate, or cosine decay over the whole run."""
    if args.schedule == "constant":
        return args.lr
    return tfk.optimizers.schedules.CosineDecay(args.lr, args.epochs * steps_per_epoch, alpha=0.05)


class EpochClock(tfk.callbacks.Callback):
    """Adds each epoch's wall time and learning rate to the logs (and so to the history)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["seconds"] = time.perf_counter() - self.start
        lr = self.model.optimizer.learning_rate
        step = self.model.optimizer.iterations
        logs["lr"] = float(lr(step) if callable(lr) else lr)


def read_history(csv_path: Path, kind: str) -> dict[str, list[float]]:
    """The per-epoch logs, one row per epoch (a resumed run may have repeated rows: keep the last)."""
    rows = {}
    with open(csv_path) as f:
        for row in csv.DictReader(f):
            rows[int(row["epoch"])] = row
    keys = [k for k in next(iter(rows.values())) if k != "epoch"]
    if kind == "ae":  # an AE has no KL and so no ELBO
        keys = [k for k in keys if not k.endswith(("kl", "neg_elbo"))]
    epochs = sorted(rows)
    history = {"epoch": [e + 1 for e in epochs]}
    history.update({k: [float(rows[e][k]) for e in epochs] for k in sorted(keys)})
    return history


def run_info(argv: list[str], args, strategy, history) -> dict:
    """What produced the model: command (the parsed `argv`), devices, versions, time and speed."""
    images = history["images_per_epoch"]
    seconds = sum(history["seconds"])
    return {
        "command": "python -m vae_tf.train " + shlex.join(argv),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "devices": [d.name for d in tf.config.list_logical_devices()],
        "replicas": strategy.num_replicas_in_sync,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "train_seconds": seconds,
        "images_per_second": images * len(history["seconds"]) / seconds,
    }


def main(argv: list[str] | None = None) -> int:
    """Train as `argv` says (default: the command line); 0 on success, 1 if the run stopped early."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    tfk.utils.set_random_seed(args.seed)
    splits = data.load_mnist(args.data)
    train = splits["train"]
    if args.limit:
        train = data.Split(train.x[: args.limit], train.y[: args.limit])
    train, validation = data.split_validation(train, args.validation_size, seed=args.seed)
    strategy = pick_strategy()
    print(
        f"devices: {[d.name for d in tf.config.list_logical_devices()]}; "
        f"replicas: {strategy.num_replicas_in_sync}; train {len(train)}, validation {len(validation)}"
    )
    model_config = ModelConfig(
        kind=args.kind,
        latent_size=args.latent_size,
        widths=tuple(args.widths),
        prior=args.prior,
        pseudo_inputs=args.pseudo_inputs if args.prior == "vamp" else 0,
        beta=args.beta if args.kind == "vae" else 1.0,
    )
    partial = args.output.with_name(args.output.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    with strategy.scope():
        model = models.build(model_config)
        steps = math.ceil(len(train) / args.batch_size)
        model.compile(optimizer=tfk.optimizers.Adam(learning_rate(args, steps)))
    # In this order: an epoch's CSV row is written before its checkpoint, so a run killed between
    # the two repeats that epoch (read_history keeps the last row) instead of resuming past an epoch
    # that has no row (which failed once in CI). An epoch's seconds leave its checkpoint out.
    callbacks = [
        tfk.callbacks.TerminateOnNaN(),
        EpochClock(),
        tfk.callbacks.CSVLogger(str(partial / "history.csv"), append=True),
        tfk.callbacks.BackupAndRestore(str(partial / "backup")),
    ]
    verbose = args.verbose if args.verbose is not None else (1 if sys.stdout.isatty() else 2)
    model.fit(
        training_dataset(train, args.batch_size, args.seed),
        epochs=args.epochs,
        validation_data=validation_dataset(validation, args.batch_size, args.seed + 1),
        callbacks=callbacks,
        verbose=verbose,
    )
    history = read_history(partial / "history.csv", args.kind)
    if not np.all(np.isfinite(history["loss"])) or len(history["epoch"]) < args.epochs:
        print(f"training stopped early (NaN loss?): {args.output} left as it was", file=sys.stderr)
        return 1
    history["images_per_epoch"] = len(train)
    store.save(model, args.output, extra={store.HISTORY: history, "run.json": run_info(argv, args, strategy, history)})
    shutil.rmtree(partial, ignore_errors=True)
    print(
        f"wrote {args.output}: "
        + json.dumps({k: round(v[-1], 3) for k, v in history.items() if isinstance(v, list) and k.startswith("val_")})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
