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
    out, epochs = tmp_path / "vae", 12  # enough that the run is killed well before its end
    command = [sys.executable, "-m", "vae_tf.train", *SMALL, "--epochs", str(epochs), "--output", str(out)]
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
    assert 3 <= done_before < epochs
    second = subprocess.run(command + ["--verbose", "2"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr[-2000:]
    history = json.loads((out / store.HISTORY).read_text())
    assert history["epoch"] == list(range(1, epochs + 1))
    assert second.stdout.count("Epoch ") <= epochs - done_before + 1  # it did not start over (one epoch may repeat)


def test_a_nan_loss_stops_the_run_and_writes_no_model(tmp_path):
    out = tmp_path / "vae"
    assert train.main(SMALL + ["--epochs", "3", "--lr", "1e30", "--output", str(out)]) == 1
    assert not out.exists()


def test_help_explains_every_flag_and_the_model_flags_follow_the_config(capsys, monkeypatch):
    import pytest

    from vae_tf import config

    flags = [action for action in train.parser()._actions if action.dest != "help"]
    assert [a.option_strings[0] for a in flags if not (a.help and a.help.strip())] == []
    defaults = config.ModelConfig()
    by_name = {a.dest: a for a in flags}
    for field in ("kind", "latent_size", "prior", "beta"):
        assert by_name[field].default == getattr(defaults, field), field
    assert tuple(by_name["widths"].default) == defaults.widths
    assert tuple(by_name["kind"].choices) == tuple(config.KINDS)
    assert tuple(by_name["prior"].choices) == tuple(config.PRIORS)
    monkeypatch.setenv("COLUMNS", "1000")  # no line breaks inside a hyphenated word
    with pytest.raises(SystemExit):
        train.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for meaning in (*config.KINDS.values(), *config.PRIORS.values()):
        assert " ".join(meaning.split()) in text, meaning


def test_the_sidebar_names_every_prior_of_the_config():
    from vae_site import i18n
    from vae_tf import config

    assert [name for name in config.PRIORS if f"card_prior_{name}" not in i18n.catalog("site")] == []
