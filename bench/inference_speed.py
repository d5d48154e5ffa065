"""Inference speed of the served models: encode + decode per image, in-process, no server.

    python bench/inference_speed.py [--models DIR] [--calls 1000] [--write]

For each shipped model, times the round trip the reconstruction page makes,
`vae_tf.inference.Inference.reconstruct` (encode to the mean of q(z|x), decode it: one traced
`tf.function`): batch 1, median over `--calls` calls after `--warmup` calls, and batch 100,
median over `--calls // 10` calls, divided by 100 for the time per image. Target: <= 1 ms per
image. Beside it, `encode` and `decode` called one after the other (two dispatches). For
comparison it times Keras's `predict` on the same input for the main VAE (its encoder trunk's
`predict`, then its decoder trunk's: the same work), which builds a data pipeline and a callback loop on every call.
And it times fitting q(z|x) to one digit, the Reconstruction page's toggle, for the same model.

TensorFlow runs with its default thread pools; the machine's cores may be shared (see the
load average in the report).
"""

import os
import statistics
import sys
import time
from pathlib import Path

import common
from common import fmt, table, verdict

sys.path.insert(0, str(common.ROOT))  # vae_tf, when run as `python bench/inference_speed.py`
from vae_tf.store import SHIPPED  # noqa: E402  (no TensorFlow: that comes with the first model)

MODELS = list(SHIPPED.values())


def times_ms(fn, calls: int, warmup: int, budget_s: float) -> list[float]:
    """Wall times of fn() in ms over up to `calls` calls after `warmup` untimed ones (stops after `budget_s`)."""
    for _ in range(warmup):
        fn()
    times, stop = [], time.perf_counter() + budget_s
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        if start > stop:
            break
    return times


def median_ms(fn, calls: int, warmup: int, budget_s: float) -> tuple[float, int]:
    """Median wall time of fn() in ms over up to `calls` calls (stops after `budget_s`), and the count."""
    times = times_ms(fn, calls, warmup, budget_s)
    return statistics.median(times), len(times)


def measure(models_dir: Path, args) -> tuple[list[list], list[list], list[list]]:
    """Rows for the per-model table, the predict comparison and the fit (both with the first model found)."""
    from vae_tf import data, store
    from vae_tf.inference import Inference

    split = data.load_npz_split(store.ASSETS_DIR / "mnist_test_1000.npz")
    one, hundred = split.x[:1, ..., 0], split.x[:100, ..., 0]
    rows, compare, fit = [], [], []
    for name in args.names:
        try:
            served = Inference(store.load(models_dir / name))
        except store.ModelFilesError as err:
            rows.append([name, "missing", str(err)[:80]] + [""] * 9)
            print(f"{name}: {err}", flush=True)
            continue
        row, inference_ms = model_row(name, served, one, hundred, args)
        rows.append(row)
        compare = compare or predict_rows(name, served, one, hundred, args, inference_ms)
        fit = fit or fit_rows(name, served, one[0], args)
    return rows, compare, fit


def fit_rows(name: str, served, digit, args) -> list[list]:
    """q(z|x) fitted to one digit, as the reconstruction page's toggle does: the fit alone and the page's call."""
    from vae_tf import anomaly, data

    binarized = data.binarize(digit, seed=0)[None]
    calls = [
        (f"{name}, `Inference.fit` (50 Adam steps, 8 draws each)", lambda: served.fit(binarized)),
        (
            f"{name}, `anomaly.fitted_score` (the page's: binarize, fit, −ELBO from 100 draws)",
            lambda: anomaly.fitted_score(served, digit),
        ),
    ]
    rows = []
    for label, fn in calls:
        start = time.perf_counter()
        fn()  # the first call traces
        first = (time.perf_counter() - start) * 1000
        times = times_ms(fn, max(args.calls // 20, 1), 3, args.budget)
        rows.append([label, fmt(first), fmt(statistics.median(times)), fmt(common.percentile(times, 95)), len(times)])
    return rows


def model_row(name: str, served, one, hundred, args) -> tuple[list, tuple[float, float]]:
    """One model's row (the round trip at batch 1 and 100, as one call and as two, encode and decode alone),
    and the round trip's ms at batch 1 and 100."""
    import numpy as np

    def two_calls(x):
        return served.decode(served.encode(x)[0])

    b1, n1 = median_ms(lambda: round_trip(served, one), args.calls, args.warmup, args.budget)
    two, _ = median_ms(lambda: two_calls(one), args.calls, args.warmup, args.budget)
    assert np.allclose(two_calls(one), round_trip(served, one), atol=1e-5), "the two round trips differ"
    code = served.encode(one)[0]
    enc, _ = median_ms(lambda: served.encode(one), args.calls, args.warmup, args.budget)
    dec, _ = median_ms(lambda: served.decode(code), args.calls, args.warmup, args.budget)
    calls = max(args.calls // 10, 1)
    b100, n100 = median_ms(lambda: round_trip(served, hundred), calls, args.warmup // 10 + 1, args.budget)
    print(f"{name}: batch 1 {b1:.3f} ms, batch 100 {b100 / 100:.4f} ms per image", flush=True)
    times = [fmt(b1), n1, fmt(two), fmt(enc), fmt(dec), fmt(b100), fmt(b100 / 100), n100]
    return [name, served.latent_size, *times, verdict(b1, 1.0), verdict(b100 / 100, 1.0)], (b1, b100)


def round_trip(served, x):
    """The reconstruction page's call: encode to the mean of q(z|x), decode it; the decoded means."""
    return served.reconstruct(x)[2]


def predict_rows(name: str, served, one, hundred, args, inference_ms: tuple[float, float]) -> list[list]:
    """The same round trip with Keras's `predict` on the encoder's and the decoder's trunks, beside
    `Inference`'s (`inference_ms`: its ms at batch 1 and 100)."""
    import numpy as np

    model = served.model
    x1, x100 = one.reshape(-1, 28, 28, 1), hundred.reshape(-1, 28, 28, 1)

    def predicted(x):
        params = model.encoder_net.predict(x, verbose=0)
        return model.decoder_net.predict(params[:, : served.latent_size], verbose=0)

    same = np.allclose(1 / (1 + np.exp(-predicted(x1))), round_trip(served, one).reshape(1, -1), atol=1e-4)
    assert same, "predict and Inference disagree"
    (b1, b100), calls = inference_ms, max(args.calls // 10, 1)
    p1, m1 = median_ms(lambda: predicted(x1), calls, 5, args.budget)
    p100, _ = median_ms(lambda: predicted(x100), calls, 5, args.budget)
    return [
        [f"{name}, `Inference` (tf.function)", fmt(b1), fmt(b100), fmt(b100 / 100)],
        [f"{name}, `encoder_net.predict` + `decoder_net.predict` ({m1} calls)", fmt(p1), fmt(p100), fmt(p100 / 100)],
        ["ratio predict / Inference", f"{p1 / b1:.0f}×", f"{p100 / b100:.1f}×", ""],
    ]


HEADER = ["model", "latent", "batch 1 (ms)", "calls", "encode then decode (ms)", "encode alone", "decode alone"]
HEADER += ["batch 100 (ms)", "batch 100, per image (ms)", "calls", "batch 1 target", "batch 100 target"]
NOTE = (
    "Encode (mean of q(z|x)) and decode, `Inference.reconstruct`, one traced call; wall time of the "
    "NumPy-in, NumPy-out call, median over the timed calls. Target ≤ 1 ms per image. *encode then "
    "decode*: the same round trip as two calls; *encode alone*, *decode alone*: each of those at "
    "batch 1, to show the per-call dispatch cost."
)


def main() -> None:
    p = common.parser(__doc__, "inference_speed")
    p.add_argument("--names", nargs="*", default=MODELS, help="models to time; the first is compared with predict")
    p.add_argument("--calls", type=int, default=1000, help="timed calls at batch 1 (a tenth of that at batch 100)")
    p.add_argument("--warmup", type=int, default=50, help="untimed calls first")
    p.add_argument("--budget", type=float, default=60, help="seconds at most per measurement")
    args = p.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    facts = common.machine_facts()
    rows, compare, fit = measure(Path(args.models), args)
    body = (
        f"{NOTE}\n\n{table(HEADER, rows)}\n\nThe same round trip with Keras's `predict` (median ms per call):\n\n"
        + table(["how", "batch 1 (ms)", "batch 100 (ms)", "batch 100 per image (ms)"], compare)
        + "\n\nFitting q(z|x) to one test digit (the Reconstruction page's toggle), batch 1:\n\n"
        + table(["call", "first call, traced (ms)", "p50 (ms)", "p95 (ms)", "calls"], fit)
    )
    common.finish("inference_speed", args, body, facts)


if __name__ == "__main__":
    main()
