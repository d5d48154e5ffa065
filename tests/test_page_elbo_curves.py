"""The elbo curves page, reached from the entry point with AppTest, showing what it should."""



from tests.pages import charts, open_page
from vae_tf import store


def test_elbo_curves_show_every_model_and_the_kl_per_dimension():
    at = open_page("pages/elbo_curves.py")
    assert set(at.multiselect(key="models").value) == set(store.SHIPPED)
    assert len(charts(at)) == 3
    kl = store.read_json(store.model_dir(store.SHIPPED["vae_main"]) / store.METRICS)["kl_per_dimension"]
    active = sum(k > 0.01 for k in kl)
    assert any(f"**{active} of {len(kl)}**" in m.value for m in at.markdown)
    at.radio(key="term").set_value("reconstruction −log p(x|z)").run()
    assert not at.exception
