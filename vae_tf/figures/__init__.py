"""Fixed figures of a trained model, computed once and shipped beside it.

Some pages show quantities that never change for a shipped model: importance-sampling curves
for the bundled digits, the IWAE bound against k, the anomaly scores of the reference sets.
Computing them at a page's first visit took seconds; instead this script computes them once,
after training and evaluation, and writes `figures.npz` into the model's directory:

    python -m vae_tf.figures --model models/vae-32d
    python -m vae_tf.figures --model models/vae-32d --only anomaly   # one figure; the others are kept

Each figure is a module of this package with
    NAME: str                                  the figure's name (its arrays are "NAME/array")
    applies(config) -> bool                    whether the figure exists for a model
    compute(inference) -> dict[str, ndarray]   the arrays, from the model and the bundled assets
and is listed in MODULES. The site reads a shipped figure with `load`, and computes it with the
same `compute` when the file lacks it (a model trained by a visitor); a test per figure checks
that the shipped arrays equal a fresh computation.
"""

import argparse
import importlib
import os
import shlex
import sys
import tempfile
from pathlib import Path

import numpy as np

FILE = "figures.npz"
MODULES = ("anomaly", "theory", "bounds")  # module names under vae_tf.figures, e.g. ("theory", "bounds", "anomaly")


def module(name: str):
    """The module of a figure, by its NAME."""
    for candidate in MODULES:
        mod = importlib.import_module(f"vae_tf.figures.{candidate}")
        if mod.NAME == name:
            return mod
    raise KeyError(name)


def compute(inference, names=None) -> dict[str, dict[str, np.ndarray]]:
    """Every figure (or those in `names`) that applies to the model: {name: {array: values}}."""
    found = {}
    for candidate in MODULES:
        mod = importlib.import_module(f"vae_tf.figures.{candidate}")
        if (names is None or mod.NAME in names) and mod.applies(inference.config):
            found[mod.NAME] = mod.compute(inference)
    return found


def save(directory: Path, figures: dict[str, dict[str, np.ndarray]], command: str) -> None:
    """Write figures.npz into `directory` atomically (a temporary file, then a rename)."""
    flat = {f"{name}/{key}": np.asarray(value) for name, arrays in figures.items() for key, value in arrays.items()}
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".figures.", suffix=".npz")
    with os.fdopen(fd, "wb") as f:
        np.savez_compressed(f, _command=np.array(command), **flat)
    os.chmod(tmp, 0o644)
    os.replace(tmp, Path(directory) / FILE)


def load(directory: Path) -> dict[str, dict[str, np.ndarray]]:
    """The shipped figures of a model directory ({} if it has none)."""
    path = Path(directory) / FILE
    if not path.is_file():
        return {}
    found: dict[str, dict[str, np.ndarray]] = {}
    with np.load(path, allow_pickle=False) as archive:
        for key in archive.files:
            if "/" in key:
                name, array = key.split("/", 1)
                found.setdefault(name, {})[array] = archive[key]
    return found


def parse_args(argv=None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m vae_tf.figures", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, required=True, help="model directory (config.json + weights)")
    p.add_argument(
        "--only", nargs="+", default=None, metavar="NAME", help="compute only these figures; keep the others shipped"
    )
    return p.parse_args(argv)


def main(argv=None) -> int:
    """Compute every figure that applies to the model and write figures.npz beside it."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    from vae_tf import store
    from vae_tf.inference import Inference

    figures = load(args.model) if args.only else {}
    figures.update(compute(Inference(store.load(args.model)), names=args.only))
    save(args.model, figures, "python -m vae_tf.figures " + shlex.join(argv))
    print(f"wrote {args.model / FILE}: {sorted(figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
