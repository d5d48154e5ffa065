"""Training speed of the shipped models, read from what the training script recorded.

    python bench/training_speed.py [--models models] [--target 100] [--write]

For each model: images per second over the run, seconds per epoch (median), and the wall time
(summed epoch times) until the validation -ELBO first reached `--target` nats. The numbers come
from each model's history.json and run.json, written by `python -m vae_tf.train` as it trained,
so they describe that run on that machine (see run.json for its devices).
"""

import argparse
import json
from pathlib import Path

import numpy as np
from common import ROOT, machine_facts, table, write_section


def summarise(directory: Path, target: float) -> dict:
    """One row of the table for a model directory."""
    history = json.loads((directory / "history.json").read_text())
    run = json.loads((directory / "run.json").read_text())
    seconds = np.array(history["seconds"])
    row = {
        "model": directory.name,
        "epochs": len(seconds),
        "batch": run["args"]["batch_size"],
        "images/s": run["images_per_second"],
        "s/epoch (median)": float(np.median(seconds)),
        "train minutes": seconds.sum() / 60,
        "devices": ", ".join(run["devices"]),
    }
    val = history.get("val_neg_elbo")
    reached = next((i for i, v in enumerate(val or []) if v <= target), None)
    row[f"minutes to val −ELBO ≤ {target:g}"] = (
        "n/a (AE)"
        if val is None
        else "not reached"
        if reached is None
        else f"{seconds[: reached + 1].sum() / 60:.1f} (epoch {reached + 1})"
    )
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", type=Path, default=ROOT / "models")
    p.add_argument("--target", type=float, default=100.0, help="validation -ELBO to reach, in nats")
    p.add_argument("--write", action="store_true", help="(re)write the training_speed section of BENCHMARKS.md")
    args = p.parse_args()
    rows = [summarise(d, args.target) for d in sorted(args.models.iterdir()) if (d / "run.json").is_file()]
    body = table(
        list(rows[0]), [[f"{v:.1f}" if isinstance(v, float) else str(v) for v in row.values()] for row in rows]
    )
    print(body)
    if args.write:
        write_section(
            "training_speed",
            body,
            machine_facts(),
            note="Read from each model's history.json and run.json: the machine of the run itself, "
            "which may have been shared with other jobs (the load is not recorded per epoch).",
        )


if __name__ == "__main__":
    main()
