"""Sampling: digits decoded from the prior, the 2-D manifold, every latent dimension, interpolation."""

import numpy as np
import streamlit as st

from vae_site import display, resources, share, uploads
from vae_tf import data, explain

display.crisp_images()
st.title("Sampling from the prior")
vae, vae_2d = resources.require("vae_main", "vae_2d")

# --- Prior samples ----------------------------------------------------------------------
st.header("Digits from z ~ p(z)")
share.restore("seed", 0, int, low=0, high=2**31 - 1)
share.restore("count", 24, int, low=1, high=64)
share.restore("temperature", 1.0, float, low=0.1, high=1.5)
c1, c2, c3 = st.columns(3)
c1.number_input("Seed", 0, 2**31 - 1, key="seed", help="The same seed gives the same digits, for anyone.")
c2.slider("How many", 1, 64, key="count")
c3.slider("Temperature", 0.1, 1.5, step=0.05, key="temperature",
          help="z ~ N(0, T² I): below 1 the digits are more typical, above 1 stranger.")
z = vae.sample_prior(st.session_state["count"], st.session_state["seed"], st.session_state["temperature"])
means = vae.decode(z)
samples = data.binarize(means, st.session_state["seed"])
left, right = st.columns(2)
with left:
    st.subheader("Decoder mean π(z)")
    st.image(display.grid(means, columns=8, size=56), caption=f"{len(means)} digits")
with right:
    st.subheader("A Bernoulli draw x ~ p(x|z)")
    st.image(display.grid(samples, columns=8, size=56), caption="each pixel on with probability π(z)")
st.caption("The mean is what the decoder believes; the draw is what the model actually generates, "
           "pixel by independent pixel, hence the speckle.")

# --- The 2-D manifold ---------------------------------------------------------------------
st.header("The 2-D latent space")
st.markdown("The 2-D VAE's decoder evaluated on a grid of codes at equally spaced quantiles of "
            "N(0, 1) (as in Kingma & Welling's figure 4), and at a point you move.")
share.restore("z1", 0.0, float, low=-3.0, high=3.0)
share.restore("z2", 0.0, float, low=-3.0, high=3.0)
left, right = st.columns([3, 2])
with left:
    n = 15
    st.image(display.grid(vae_2d.decode(explain.normal_quantile_grid(n)), columns=n, size=28, gap=0),
             caption="z₁ grows to the right, z₂ upwards; quantiles 5% to 95%", width="stretch")
with right:
    st.slider("z₁", -3.0, 3.0, step=0.05, key="z1")
    st.slider("z₂", -3.0, 3.0, step=0.05, key="z2")
    point = (st.session_state["z1"], st.session_state["z2"])
    display.digits(vae_2d.decode(np.array([point], np.float32)), captions=[f"z = ({point[0]:.2f}, {point[1]:.2f})"],
                   size=140)
st.altair_chart(resources.latent_map("vae_2d", point, height=320), width="stretch")
st.caption("The cross is your point among the codes (means of q(z|x)) of 1,000 test digits.")

# --- Every dimension of the larger model ----------------------------------------------------
st.header(f"All {vae.latent_size} dimensions of the main VAE")
with st.expander("Move each latent dimension (starting from the prior's mean, z = 0)"):
    if st.button("Reset to z = 0", key="reset_dims"):
        for j in range(vae.latent_size):
            st.session_state[f"dim_{j}"] = 0.0
    cols = st.columns(4)
    dims = np.array([cols[j % 4].slider(f"z{j + 1}", -3.0, 3.0, 0.0, 0.1, key=f"dim_{j}")
                     for j in range(vae.latent_size)], np.float32)
    display.digits(vae.decode(dims[None]), captions=["decoded"], size=140)
    st.caption("Some dimensions change the digit a lot, others hardly at all: the ELBO curves page "
               "shows which dimensions the model really uses (their KL).")

# --- Interpolation --------------------------------------------------------------------------
st.header("Interpolation: VAE beside AE")
ae = resources.require("ae_main")
digits, labels = resources.test_digits()
share.restore("start", 0, int, low=0, high=len(digits) - 1)
share.restore("end", 1, int, low=0, high=len(digits) - 1)
c1, c2 = st.columns(2)
c1.number_input("Start: test digit", 0, len(digits) - 1, key="start")
c2.number_input("End: test digit", 0, len(digits) - 1, key="end")
ends = [digits[st.session_state["start"]], digits[st.session_state["end"]]]
uploaded = uploads.digits_from_uploader("Or upload two digit images for the ends", key="interp_upload",
                                        multiple=True)
if len(uploaded) >= 2:
    ends = [uploaded[0].digit, uploaded[1].digit]
    st.caption("Using your two uploads (uploads are not part of a shared link).")
elif len(uploaded) == 1:
    st.info("Upload a second image to use your own ends; for now the test digits are used.")
steps = 10
for name, served in (("VAE", vae), ("AE", ae)):
    z_ends, _ = served.encode(np.stack(ends))
    path = explain.interpolate(z_ends[0], z_ends[1], steps)
    st.markdown(f"**{name}** (32-D), straight line between the two codes")
    st.image(display.grid(served.decode(path), columns=steps, size=56))
st.caption("Both decoders share the same architecture and training budget. The VAE's path stays "
           "among digits; the AE's passes through codes it never saw in training.")

share.share_box(["seed", "count", "temperature", "z1", "z2", "start", "end"],
                note="Uploaded images cannot travel in a link.")
