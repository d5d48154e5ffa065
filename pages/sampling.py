"""Sampling: digits decoded from the prior, the 2-D manifold, every latent dimension, interpolation."""

import numpy as np
import streamlit as st

from vae_site import display, resources, share, uploads
from vae_tf import data, explain
from vae_site import navigation

navigation.enter()

display.crisp_images()
st.title("Sampling from the prior")
vae, vae_2d = resources.require("vae_main"), resources.require("vae_2d")

# --- Prior samples ----------------------------------------------------------------------
st.header("Digits from z ~ p(z)")
c1, c2, c3 = st.columns(3)
seed = share.number_input("Seed", "seed", 0, 0, 2**31 - 1, where=c1,
                          help="The same seed gives the same digits, for anyone.")
count = share.slider("How many", "count", 24, 1, 64, 1, where=c2)
temperature = share.slider("Temperature", "temperature", 1.0, 0.1, 1.5, 0.05, where=c3,
                           help="Scales the spread of the prior's components (for N(0, I): z ~ N(0, T² I)): "
                                "below 1 the digits are more typical, above 1 stranger.")
z = vae.sample_prior(count, seed, temperature)
means = vae.decode(z)
samples = data.binarize(means, seed)
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
left, right = st.columns([3, 2])
with left:
    n = 15
    st.image(display.grid(vae_2d.decode(explain.normal_quantile_grid(n)), columns=n, size=28, gap=0),
             caption="z₁ grows to the right, z₂ upwards; quantiles 5% to 95%", width="stretch")
with right:
    point = (share.slider("z₁", "z1", 0.0, -3.0, 3.0, 0.05), share.slider("z₂", "z2", 0.0, -3.0, 3.0, 0.05))
    display.digits(vae_2d.decode(np.array([point], np.float32)), captions=[f"z = ({point[0]:.2f}, {point[1]:.2f})"],
                   size=140)
resources.latent_map("vae_2d", [("your point", point)], height=320)
st.caption("The diamond is your point among the codes (means of q(z|x)) of 1,000 test digits.")

# --- Every dimension of the larger model ----------------------------------------------------
st.header(f"All {vae.latent_size} dimensions of the main VAE")
prior_mean = np.round(vae.prior_means.mean(axis=0), 1).clip(-3.0, 3.0)
with st.expander("Move each latent dimension (starting from the prior's mean)"):
    reset = st.button("Reset to the prior's mean", key="reset_dims")
    for j in range(vae.latent_size):  # the sliders' values live in the session state only
        if reset or f"dim_{j}" not in st.session_state:
            st.session_state[f"dim_{j}"] = float(prior_mean[j])
    cols = st.columns(4)
    dims = np.array([cols[j % 4].slider(f"z{j + 1}", -3.0, 3.0, step=0.1, key=f"dim_{j}")
                     for j in range(vae.latent_size)], np.float32)
    display.digits(vae.decode(dims[None]), captions=["decoded"], size=140)
    st.caption("Some dimensions change the digit a lot, others hardly at all: the ELBO curves page "
               "shows which dimensions the model really uses (their KL).")

# --- Interpolation --------------------------------------------------------------------------
st.header("Interpolation: VAE beside AE")
vae_32d, ae_32d = resources.require("vae_32d"), resources.require("ae_32d")
digits, labels = resources.test_digits()
c1, c2 = st.columns(2)
start = share.number_input("Start: test digit", "start", 0, 0, len(digits) - 1, where=c1)
end = share.number_input("End: test digit", "end", 1, 0, len(digits) - 1, where=c2)
ends = [digits[start], digits[end]]
uploaded = uploads.digits_from_uploader("Or upload two digit images for the ends", key="interp_upload",
                                        multiple=True)
if len(uploaded) >= 2:
    ends = [uploaded[0].digit, uploaded[1].digit]
    st.caption("Using your two uploads (uploads are not part of a shared link).")
elif len(uploaded) == 1:
    st.info("Upload a second image to use your own ends; for now the test digits are used.")
steps = 10
for role, served in (("vae_main", vae), ("vae_32d", vae_32d), ("ae_32d", ae_32d)):
    z_ends, _ = served.encode(np.stack(ends))
    path = explain.interpolate(z_ends[0], z_ends[1], steps)
    st.markdown(f"**{resources.title(role)}**: a straight line between the two codes")
    st.image(display.grid(served.decode(path), columns=steps, size=56))
st.caption("The N(0, I) VAE and the AE share the same trunks and training budget (150 epochs). The "
           "VAEs' paths stay among digits; the AE's passes through codes it never saw in training.")

share.share_box(["seed", "count", "temperature", "z1", "z2", "start", "end"],
                note="Uploaded images cannot travel in a link.")
