"""The sidebar: which model and which training run a visitor is looking at."""

import math

import streamlit as st

from vae_site.i18n import t
from vae_site.resources import model_json
from vae_tf import store

PIXELS = 28 * 28


def bits_per_pixel(nats: float) -> float:
    """A negative log-likelihood of one 28 x 28 image in nats, as bits per pixel (1 nat = 1/ln 2 bits)."""
    return nats / math.log(2) / PIXELS


def model_card() -> None:
    """The main VAE's architecture, training run and test numbers, from its files."""
    config = model_json("vae_main", store.CONFIG)
    run = model_json("vae_main", "run.json") or {}
    metrics = model_json("vae_main", store.METRICS) or {}
    with st.sidebar:
        st.caption(t("site.card_heading"))
        if config is None:
            st.warning(t("site.card_missing"))
            return
        prior = t("site.card_prior_" + config["prior"], count=config["pseudo_inputs"])  # one per config.PRIORS
        st.markdown(
            t(
                "site.card_model",
                name=store.SHIPPED["vae_main"],
                widths="-".join(map(str, config["widths"])),
                latent=config["latent_size"],
                prior=prior,
            )
        )
        if metrics.get("k"):
            st.markdown(
                t(
                    "site.card_nll",
                    nll=store.iwae_nll(metrics),
                    bpp=bits_per_pixel(store.iwae_nll(metrics)),
                    k=metrics["k"],
                    neg_elbo=metrics["neg_elbo"],
                )
            )
        if run:
            devices = ", ".join(d.split(":", 1)[1] for d in run["devices"])
            st.markdown(
                t(
                    "site.card_run",
                    epochs=run["args"]["epochs"],
                    minutes=run["train_seconds"] / 60,
                    devices=devices,
                    tf=run["tensorflow"],
                )
            )
            with st.expander(t("site.card_command")):
                st.code(run["command"], language="bash", wrap_lines=True)
                st.caption(t("site.card_command_note"))
