"""The theory page, reached from the entry point with AppTest, showing what it should."""


import pytest

from tests.pages import charts, metric, open_page
from vae_tf import data, explain


def test_theory_shows_pixel_errors_and_the_live_elbo(served, bundled):
    at = open_page(digit="5")
    assert [h.value for h in at.header][:4] == [
        "1 · A latent-variable model of digits", "2 · Why drawing z from the prior and scoring by pixel error fails",
        "3 · Prior samples against importance sampling", "4 · The encoder q(z|x) and the evidence lower bound"]
    assert at.number_input(key="digit").value == 5
    x = bundled[0][5]
    erased, shifted = explain.pixel_error(x, explain.erase(x)), explain.pixel_error(x, explain.shift(x, 1))
    text = " ".join(m.value for m in at.markdown)
    assert f"({shifted:.1f})" in text and f"({erased:.1f})" in text
    assert shifted > erased and "scores **worse**" in text
    binary = data.binarize(bundled[0], 0)[5]
    terms = served["vae_32d"].elbo_terms(binary[None], seed=0, draws=100)
    assert metric(at, "KL") == pytest.approx(terms["kl"][0], abs=0.051)
    assert metric(at, "−ELBO") == pytest.approx(terms["neg_elbo"][0], abs=0.051)
    (estimates,) = charts(at)
    assert set(estimates["estimates"]["proposal"]) == {"z ~ p(z) (prior)", "z ~ q(z|x) (importance)"}
    by_proposal = estimates["estimates"].groupby("proposal")["samples"].max()
    assert by_proposal.to_dict() == {"z ~ p(z) (prior)": 5_000, "z ~ q(z|x) (importance)": 1_000}
    assert len(at.latex) >= 6


@pytest.mark.parametrize("index", [5, 250])  # two blocks of the digits scored together
def test_theory_prior_estimate_equals_one_made_for_the_digit_alone(served, bundled, index):
    (estimates,) = charts(open_page(digit=str(index)))
    vae = served["vae_32d"]  # the same 5,000 codes from the prior, scored against this digit only
    binary = data.binarize(bundled[0], 0)[index]
    log_px_z = vae.log_likelihood(binary[None], vae.sample_prior(5_000, seed=1))[:, 0]
    alone = explain.running_log_mean_exp(log_px_z, [5_000])
    prior = estimates["estimates"].query("proposal == 'z ~ p(z) (prior)'")["log p(x) estimate"]
    assert prior.iloc[-1] == pytest.approx(alone[0], abs=1e-3)
