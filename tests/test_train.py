"""The real training and evaluation scripts on the committed MNIST sample."""

import json
import os
import shlex
import subprocess
import sys
import time

from tests.conftest import FIXTURE, ROOT
from vae_tf import evaluate, store, train

SMALL = [
    "--data",
    str(FIXTURE),
    "--latent-size",
    "2",
    "--widths",
    "32",
    "--batch-size",
    "100",
    "--validation-size",
    "200",
    "--verbose",
    "0",
]


def test_one_epoch_writes_every_artifact(tmp_path):
    out = tmp_path / "vae"
    argv = SMALL + ["--epochs", "1", "--output", str(out)]
    assert train.main(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "history.json", "model.weights.h5", "run.json"]
    assert not out.with_name("vae.partial").exists()
    history = json.loads((out / store.HISTORY).read_text())
    for key in ("loss", "neg_elbo", "recon", "kl", "val_neg_elbo", "val_recon", "val_kl", "seconds", "lr"):
        assert len(history[key]) == 1, key
    assert abs(history["neg_elbo"][0] - history["recon"][0] - history["kl"][0]) < 1e-3
    assert history["images_per_epoch"] == 800
    assert json.loads((out / "run.json").read_text())["command"] == "python -m vae_tf.train " + shlex.join(argv)

    argv = ["--model", str(out), "--data", str(FIXTURE), "--k", "20", "--limit", "30"]
    assert evaluate.main(argv) == 0
    metrics = json.loads((out / store.METRICS).read_text())
    assert metrics["command"] == "python -m vae_tf.evaluate " + shlex.join(argv)
    assert metrics["test_images"] == 30 and metrics["k"] == 20
    assert metrics["iwae_nll_k20"] <= metrics["neg_elbo"] + 1.0  # the bound is tighter (up to noise)
    assert len(metrics["kl_per_dimension"]) == 2
    assert abs(sum(metrics["kl_per_dimension"]) - metrics["kl"]) < 1e-3


def test_a_vamp_prior_vae_trains_evaluates_and_reloads(tmp_path):
    out = tmp_path / "vamp"
    assert train.main(SMALL + ["--prior", "vamp", "--pseudo-inputs", "4", "--epochs", "1", "--output", str(out)]) == 0
    config = json.loads((out / store.CONFIG).read_text())
    assert config["prior"] == "vamp" and config["pseudo_inputs"] == 4
    assert store.load(out).pseudo_inputs.shape == (4, 28, 28, 1)
    assert evaluate.main(["--model", str(out), "--data", str(FIXTURE), "--k", "20", "--limit", "30"]) == 0
    metrics = json.loads((out / store.METRICS).read_text())
    assert metrics["iwae_nll_k20"] <= metrics["neg_elbo"] + 1.0
    assert len(metrics["kl_per_dimension"]) == 2


def test_ae_history_has_no_elbo(tmp_path):
    out = tmp_path / "ae"
    assert train.main(SMALL + ["--kind", "ae", "--epochs", "1", "--output", str(out)]) == 0
    history = json.loads((out / store.HISTORY).read_text())
    assert "recon" in history and "val_recon" in history and "kl" not in history and "neg_elbo" not in history
    assert evaluate.main(["--model", str(out), "--data", str(FIXTURE), "--limit", "10"]) == 0
    assert "iwae_nll_k5000" not in json.loads((out / store.METRICS).read_text())


def test_a_killed_run_resumes_where_it_stopped(tmp_path):
    out = tmp_path / "vae"
    command = [sys.executable, "-m", "vae_tf.train", *SMALL, "--epochs", "40", "--output", str(out)]
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    csv = out.with_name("vae.partial") / "history.csv"
    deadline = time.time() + 120
    while time.time() < deadline and (not csv.exists() or len(csv.read_text().splitlines()) < 4):
        time.sleep(0.05)
    first.kill()
    first.wait()
    assert not out.exists()  # nothing half-written where the site would look
    done_before = len(csv.read_text().splitlines()) - 1
    assert 3 <= done_before < 40
    second = subprocess.run(command + ["--verbose", "2"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr[-2000:]
    history = json.loads((out / store.HISTORY).read_text())
    assert history["epoch"] == list(range(1, 41))
    assert second.stdout.count("Epoch ") < 40  # it did not start over


def test_a_nan_loss_stops_the_run_and_writes_no_model(tmp_path):
    out = tmp_path / "vae"
    assert train.main(SMALL + ["--epochs", "3", "--lr", "1e30", "--output", str(out)]) == 1
    assert not out.exists()


def test_help_explains_every_flag(capsys):
    import pytest

    with pytest.raises(SystemExit):
        train.parse_args(["--help"])
    text = capsys.readouterr().out
    for flag in (
        "--kind",
        "--latent-size",
        "--epochs",
        "--batch-size",
        "--lr",
        "--schedule",
        "--seed",
        "--data",
        "--output",
    ):
        assert flag in text
