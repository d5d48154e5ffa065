"""The ae vs vae page, reached from the entry point with AppTest, showing what it should."""


import pytest

from tests.pages import charts, open_page
from vae_site import resources
from vae_tf import store


def test_ae_vs_vae_table_equals_the_metrics_files():
    at = open_page("pages/ae_vs_vae.py")
    table = at.dataframe[0].value
    assert len(table) == len(store.SHIPPED)
    for role, title in resources.ROLES.items():
        metrics = store.read_json(store.model_dir(store.SHIPPED[role]) / store.METRICS)
        assert table.loc[title, "pixel MSE"] == pytest.approx(metrics["pixel_mse"])
        assert table.loc[title, "reconstruction log-likelihood (nats)"] == pytest.approx(-metrics["recon_nll"])
        if metrics["k"]:
            assert table.loc[title, "−ELBO (nats)"] == pytest.approx(metrics["neg_elbo"])
            assert table.loc[title, f"NLL, IWAE k={metrics['k']} (nats)"] == pytest.approx(
                metrics[f"iwae_nll_k{metrics['k']}"])
    assert [len(c["codes"]) for c in charts(at)] == [1000, 1000]  # the two latent maps
