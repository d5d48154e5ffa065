"""Reconstruction: upload, draw or pick digits; see each preprocessing step, q(z|x) and the ELBO."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from vae_site import display, resources, share, uploads
from vae_tf import data
from vae_site import navigation

navigation.enter()

display.crisp_images()
st.title("Reconstruct your own digit")
vae, vae_2d = resources.require("vae_main"), resources.require("vae_2d")
st.markdown("Upload photos, scans or drawings of digits, draw one, or pick test digits. Each is "
            "turned into an MNIST-like 28×28 image, encoded to q(z|x), and decoded again.")

tab_upload, tab_draw, tab_test = st.tabs(["Upload images", "Draw", "Test digits"])
with tab_upload:
    chosen = uploads.digits_from_uploader("Digit images", key="upload")
with tab_draw:
    try:
        from streamlit_drawable_canvas import st_canvas

        canvas = st_canvas(stroke_width=18, stroke_color="#000000", background_color="#ffffff",
                           height=280, width=280, drawing_mode="freedraw", key="canvas")
        drawn = uploads.digit_from_canvas(canvas.image_data)
        chosen += [drawn] if drawn else []
        st.caption("Draw one digit large in the box; it appears below with the uploads.")
    except Exception:  # the canvas is optional: the rest of the page works without it
        st.info("The drawing pad is not available here; upload an image instead.")
with tab_test:
    digits, labels = resources.test_digits()
    share.restore("picks", (0, 1, 2), share.list_of(share.integer(0, len(digits) - 1), 8))
    picks = st.multiselect("Test digits (by index)", list(range(len(digits))), key="picks", max_selections=8,
                           format_func=lambda i: f"#{i}: a '{labels[i]}'")
    chosen += [uploads.Digit(f"test digit #{i}", digits[i]) for i in picks]

if not chosen:
    st.info("Upload an image, draw a digit or pick a test digit to begin.")
    share.share_box(["picks"], note="Uploads and drawings cannot travel in a link.")
    st.stop()


@st.cache_resource(show_spinner=False)
def posterior_spec() -> dict:
    """The chart of q(z|x) per dimension: bars at the means, error bars one σ either side (data "q")."""
    q = alt.Data(name="q")
    bars = alt.Chart(q).mark_bar(color="#3b5bdb").encode(
        x=alt.X("dimension:O"), y=alt.Y("mean μ:Q"),
        tooltip=["dimension:O", alt.Tooltip("mean μ:Q", format=".2f"), alt.Tooltip("spread σ:Q", format=".2f")])
    ticks = alt.Chart(q).mark_errorbar(color="#e8590c").encode(
        x="dimension:O", y=alt.Y("low:Q", title="μ ± σ"), y2="high:Q").transform_calculate(
        low="datum['mean μ'] - datum['spread σ']", high="datum['mean μ'] + datum['spread σ']")
    return display.vega_lite_spec((bars + ticks).properties(height=200).interactive())


codes_2d = []
for number, item in enumerate(chosen):
    st.divider()
    st.subheader(f"{number + 1}. {uploads.plain(item.name)}")  # a file name is never markdown or HTML
    if item.preprocessed is not None:
        with st.expander("From your image to an MNIST-like 28×28, step by step", expanded=number == 0):
            steps = item.preprocessed.steps
            display.digits([im for _, im in steps], captions=[caption for caption, _ in steps], size=112)
    for note in item.notes:
        st.info(note)
    binary = data.binarize(item.digit, seed=0)
    mean, std, reconstruction = vae.reconstruct(item.digit[None])
    posterior = vae.decode(vae.sample_posterior(item.digit, 6, seed=number))
    display.digits([item.digit, reconstruction[0], *posterior],
                   captions=["input", "reconstruction (mean z)"] + [f"z ~ q(z|x) #{i + 1}" for i in range(6)], size=84)
    terms = vae.elbo_terms(binary[None], seed=0, draws=100)
    c1, c2, c3 = st.columns(3)
    c1.metric("Reconstruction −log p(x|z)", f"{terms['recon'][0]:.1f} nats")
    c2.metric("KL(q ‖ p)", f"{terms['kl'][0]:.1f} nats")
    c3.metric("−ELBO", f"{terms['neg_elbo'][0]:.1f} nats")
    display.chart(posterior_spec(), q=pd.DataFrame({"dimension": np.arange(1, vae.latent_size + 1),
                                                   "mean μ": mean[0], "spread σ": std[0]}))
    st.caption("q(z|x) per latent dimension: bars are the means, orange lines one standard deviation. "
               "The ELBO terms are averaged over 100 draws z ~ q(z|x). Dimensions whose μ and σ are the "
               "same for every digit are unused: q equals the prior there.")
    codes_2d.append((item.name, vae_2d.encode(item.digit[None])[0][0]))

st.divider()
st.subheader("Where your digits land in the 2-D latent space")
resources.latent_map("vae_2d", codes_2d)
st.caption("Black diamonds: the means of q(z|x) of your digits under the 2-D VAE, among 1,000 test digits.")
share.share_box(["picks"], note="Uploads and drawings cannot travel in a link.")
