"""The sidebar: which model and which training run a visitor is looking at."""

import streamlit as st

from vae_site.resources import model_json
from vae_tf import store


def model_card() -> None:
    """The main VAE's architecture, training run and test numbers, from its files."""
    config = model_json("vae_main", store.CONFIG)
    run = model_json("vae_main", "run.json") or {}
    metrics = model_json("vae_main", store.METRICS) or {}
    with st.sidebar:
        st.caption("MODEL ON THIS SITE")
        if config is None:
            st.warning("The main VAE is missing: see the README, 'Train and evaluate'.")
            return
        widths = "-".join(map(str, config["widths"]))
        prior = "N(0, I) prior"
        if config.get("prior") == "vamp":
            prior = f"VampPrior over {config['pseudo_inputs']} pseudo-inputs"
        st.markdown(f"**{store.SHIPPED['vae_main']}**: dense {widths} trunk, "
                    f"{config['latent_size']}-D Gaussian q(z|x), {prior}, Bernoulli p(x|z)")
        nll = next((v for k, v in metrics.items() if k.startswith("iwae_nll_k")), None)
        if nll is not None:
            st.markdown(f"Test NLL ≈ **{nll:.2f} nats** (IWAE, k = {metrics['k']}), "
                        f"−ELBO {metrics['neg_elbo']:.2f}")
        if run:
            epochs = run["args"]["epochs"]
            st.markdown(f"Trained {epochs} epochs in {run['train_seconds'] / 60:.0f} min on "
                        f"{', '.join(d.split(':', 1)[1] for d in run['devices'])}, TF {run['tensorflow']}.")
            with st.expander("Training command"):
                st.code(run["command"], language="bash", wrap_lines=True)
                st.caption("Run it from the repository's top level; the README explains the flags.")
