"""AE vs VAE: the same trunks and training budget, with and without the KL term."""

import numpy as np
import pandas as pd
import streamlit as st

from vae_site import display, resources, share
from vae_tf import explain, store
from vae_site import navigation

navigation.enter()

display.crisp_images()
st.title("Autoencoder vs variational autoencoder")
st.markdown("In each pair both models have the same encoder and decoder trunks, the same Bernoulli "
            "decoder, the N(0, I) prior and the same number of epochs (60 for the 2-D pair, 150 for the "
            "32-D pair). The AE maps each digit to one code and is trained on reconstruction alone; the "
            "VAE maps it to a distribution q(z|x) and pays the KL to the prior.")
vae_2d, ae_2d = resources.require("vae_2d"), resources.require("ae_2d")

st.header("Latent maps of the test digits")
left, right = st.columns(2)
with left:
    st.subheader("VAE (2-D)")
    resources.latent_map("vae_2d", height=340)
with right:
    st.subheader("AE (2-D)")
    resources.latent_map("ae_2d", height=340)
st.caption("Each dot is the code of one of 1,000 test digits (the mean of q(z|x) for the VAE). The KL "
           "keeps the VAE's codes in a round cloud around the origin; the AE's spread wherever they like.")

st.header("Decoding z ~ N(0, I): the AE's holes")
seed = share.number_input("Seed", "prior_seed", 0, 0, 2**31 - 1)
PAIRS = ("vae_2d", "ae_2d", "vae_32d", "ae_32d")
for role in PAIRS:
    served = resources.require(role)
    z = served.sample_prior(16, seed)
    st.markdown(f"**{resources.title(role)}**")
    st.image(display.grid(served.decode(z), columns=16, size=48))
st.caption("The same kind of random codes, decoded. The VAE was trained so that codes from the prior "
           "decode to digits; nothing asks the AE to, so most random codes land in regions no "
           "digit was ever mapped to.")

st.header("Interpolations")
digits, labels = resources.test_digits()
c1, c2 = st.columns(2)
a = share.number_input("From test digit", "a", 3, 0, len(digits) - 1, where=c1)
b = share.number_input("To test digit", "b", 2, 0, len(digits) - 1, where=c2)
ends = np.stack([digits[a], digits[b]])
for role in PAIRS:
    served = resources.require(role)
    codes, _ = served.encode(ends)
    st.markdown(f"**{resources.title(role)}**")
    st.image(display.grid(served.decode(explain.interpolate(codes[0], codes[1], 10)), columns=10, size=56))

st.header("Test metrics")
rows = []
for role, title in ((r, resources.title(r)) for r in store.CORE):
    metrics = resources.model_json(role, store.METRICS)
    if metrics is None:
        st.warning(f"No metrics for the {title} model: run `python -m vae_tf.evaluate --model "
                   f"models/{store.SHIPPED[role]}`.")
        continue
    row = {"model": title, "reconstruction log-likelihood (nats)": -metrics["recon_nll"],
           "pixel MSE": metrics["pixel_mse"], "−ELBO (nats)": metrics.get("neg_elbo")}
    if metrics["k"]:  # only a VAE has the IWAE estimate of the NLL
        row[f"NLL, IWAE k={metrics['k']} (nats)"] = metrics[f"iwae_nll_k{metrics['k']}"]
    rows.append(row | {"test images": metrics["test_images"]})
if rows:
    table = pd.DataFrame(rows).set_index("model")
    st.dataframe(table, width="stretch", column_config={
        c: st.column_config.NumberColumn(format="%.4f" if c == "pixel MSE" else "%.2f") for c in table.columns})
    st.caption("From each model's metrics.json, written by `python -m vae_tf.evaluate` on the MNIST test set "
               "(binarized once with seed 0). The AE reconstructs better, with a single code per image; "
               "only a VAE defines a likelihood, so only the VAEs have −ELBO and NLL. The VampPrior VAE, "
               "the site's main model, has the same trunks and was trained longer (see the sidebar).")
share.share_box(["prior_seed", "a", "b"])
