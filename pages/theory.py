"""Theory (home page): the latent-variable model, why naive likelihood fails, and the ELBO."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from vae_site import display, resources, share
from vae_tf import explain
from vae_site import navigation

navigation.enter()

SAMPLES = 5_000  # codes from the prior: the same for every digit, decoded once for all of them
BLOCK = 100  # bundled digits scored together against the prior's codes
IMPORTANCE_SAMPLES = 1_000  # codes from q(z|x), drawn per digit: the estimate has settled long before
DRAWS = 100  # draws of z ~ q(z|x) averaged for the ELBO terms of one digit
ROLE = "vae_32d"  # the N(0, I) VAE: the textbook model that this page derives

display.crisp_images()
st.title("How a variational autoencoder works")
st.caption("Each idea below is computed live from the trained models; the pages in the sidebar let you play with it.")

# --- 1. The model -----------------------------------------------------------------------
st.header("1 · A latent-variable model of digits")
st.markdown(
    "A digit is drawn in two steps: first a code **z** from a simple prior p(z), then the "
    "pixels from the **decoder** p(x|z), a neural network that gives each of the 784 pixels a "
    "probability of being ink. The probability of an image sums over every code that could "
    "have produced it:")
st.latex(r"p_\theta(x) = \int p_\theta(x \mid z)\, p(z)\, dz, \qquad p(z) = \mathcal N(0, I), \qquad "
         r"p_\theta(x \mid z) = \prod_{i=1}^{784} \mathrm{Bernoulli}\big(x_i;\ \pi_i(z)\big)")
st.markdown(
    "This page uses a VAE with exactly this textbook prior and a 32-D code. The site's main model, "
    "on the other pages, learns its prior instead: a **VampPrior** (Tomczak & Welling 2018), an "
    "equal mixture of the encoder's posteriors at 300 learned *pseudo-inputs*, "
    "p(z) = (1/K) Σₖ q(z|uₖ), which covers the codes digits really use. Everything below holds for any prior.")
vae = resources.require(ROLE)
z = vae.sample_prior(8, seed=0)
display.digits(vae.decode(z), size=70)
st.caption("Eight codes z ~ p(z), decoded to the pixel probabilities π(z) by the trained decoder.")
st.page_link("pages/sampling.py", label="Draw your own samples and walk the latent space", icon=":material/casino:")

# --- 2. Pixel error -----------------------------------------------------------------------
st.header("2 · Why drawing z from the prior and scoring by pixel error fails")
digits, labels = resources.test_digits()
index = share.number_input("Test digit (index among the bundled 1,000)", "digit", 0, 0, len(digits) - 1)
x = digits[index]
erased, shifted = explain.erase(x), explain.shift(x, dx=1)
err_erased, err_shifted = explain.pixel_error(x, erased), explain.pixel_error(x, shifted)
display.digits([x, erased, shifted], captions=[
    f"(a) a test '{labels[index]}'", f"(b) a piece erased: error {err_erased:.1f}",
    f"(c) moved 1 pixel right: error {err_shifted:.1f}"], size=112)
verdict = "worse" if err_shifted > err_erased else "better"
st.markdown(
    f"Scored against (a) by squared pixel error, the copy that looks identical, (c), scores "
    f"**{verdict}** ({err_shifted:.1f}) than the broken one, (b) ({err_erased:.1f}). "
    "A Gaussian p(x|z) on pixels *is* this score. To estimate p(x) we could draw many z from the "
    "prior and average p(x|z); but only codes whose decoded image lies within this pixel distance "
    "of x contribute, and the distance cannot tell a slightly moved digit from a damaged one. A "
    "tolerance loose enough to accept (c) accepts (b); one tight enough to refuse (b) refuses "
    "almost every sample, so the average needs astronomically many of them.")

# --- 3. How many samples ----------------------------------------------------------------
st.header("3 · Prior samples against importance sampling")
binary = resources.binary_test_digits()[index]


@st.cache_data(show_spinner=f"Decoding {SAMPLES:,} codes from the prior…", max_entries=16)
def prior_estimates(model_key: str, block: int) -> np.ndarray:
    """log p(x) estimated with n codes z ~ p(z), for each n of `sample_counts` and each bundled digit
    of a block of BLOCK: (C, BLOCK).

    The same codes serve every digit, so they are decoded once per block of digits, not per digit;
    a block, not all 1,000 digits, keeps the home page's first visit short (0.1 s, not 0.5).
    """
    served = resources.require(ROLE)
    digits = resources.binary_test_digits()[block * BLOCK:(block + 1) * BLOCK]
    log_px_z = served.log_likelihood(digits, served.sample_prior(SAMPLES, seed=1))
    return explain.running_log_mean_exp(log_px_z, explain.sample_counts(SAMPLES)).astype(np.float32)


@st.cache_data(show_spinner=f"Drawing {IMPORTANCE_SAMPLES:,} codes from q(z|x)…", max_entries=64)
def estimates(model_key: str, index: int) -> pd.DataFrame:
    """log p(x) estimated with n codes from the prior and with n codes from q(z|x)."""
    served = resources.require(ROLE)
    x = resources.binary_test_digits()[index]
    counts = explain.sample_counts(IMPORTANCE_SAMPLES)
    importance = explain.running_log_mean_exp(served.log_weights(x[None], IMPORTANCE_SAMPLES, seed=1)[:, 0], counts)
    return pd.concat([
        pd.DataFrame({"samples": explain.sample_counts(SAMPLES),
                      "log p(x) estimate": prior_estimates(model_key, index // BLOCK)[:, index % BLOCK],
                      "proposal": "z ~ p(z) (prior)"}),
        pd.DataFrame({"samples": counts, "log p(x) estimate": importance, "proposal": "z ~ q(z|x) (importance)"}),
    ])


@st.cache_resource(show_spinner=False)
def estimates_spec() -> dict:
    """The chart of the two estimates against the number of samples (data "estimates")."""
    return display.vega_lite_spec(alt.Chart(alt.Data(name="estimates")).mark_line(point=True).encode(
        x=alt.X("samples:Q", scale=alt.Scale(type="log"), title="number of samples n"),
        y=alt.Y("log p(x) estimate:Q", title="estimate of log p(x) (nats)", scale=alt.Scale(zero=False)),
        color=alt.Color("proposal:N", legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["proposal:N", "samples:Q", alt.Tooltip("log p(x) estimate:Q", format=".2f")],
    ).properties(height=320).interactive())


frame = estimates(resources.cache_key(ROLE), index)
display.chart(estimates_spec(), estimates=frame)
final = frame.groupby("proposal")["log p(x) estimate"].last()
st.markdown(
    f"With {SAMPLES:,} codes from the prior the estimate is still **{final.iloc[0]:.1f}** nats and climbing: "
    f"almost no prior sample decodes to anything like this digit. Drawing the codes from the "
    f"encoder's q(z|x) and reweighting by p(z)/q(z|x) settles near **{final.iloc[1]:.1f}** within a few "
    f"hundred samples (the chart stops it at {IMPORTANCE_SAMPLES:,}, where it has long been flat). Both are "
    "unbiased for p(x) (and so lower bounds on log p(x) in expectation); only one is usable.")

# --- 4. q(z|x) and the ELBO ---------------------------------------------------------------
st.header("4 · The encoder q(z|x) and the evidence lower bound")
st.markdown(
    "Variational inference trains a second network, the **encoder**, to propose the codes "
    "that matter: q(z|x) = N(μ(x), diag σ(x)²). Any such q gives a lower bound on log p(x):")
st.latex(r"\log p(x) = \log \int p(x \mid z)\, p(z)\, dz = \log \mathbb E_{q(z \mid x)}"
         r"\left[\frac{p(x \mid z)\, p(z)}{q(z \mid x)}\right]")
st.latex(r"\ge \mathbb E_{q(z \mid x)}\left[\log \frac{p(x \mid z)\, p(z)}{q(z \mid x)}\right] "
         r"\quad\text{(Jensen: log is concave)}")
st.latex(r"= \underbrace{\mathbb E_{q(z \mid x)}\left[\log p(x \mid z)\right]}_{\text{reconstruction}}"
         r" - \underbrace{\mathrm{KL}\left(q(z \mid x)\,\|\,p(z)\right)}_{\text{regulariser}} = \mathrm{ELBO}(x)")
st.latex(r"\log p(x) - \mathrm{ELBO}(x) = \mathrm{KL}\left(q(z \mid x)\,\|\,p(z \mid x)\right) \ge 0")
st.markdown(
    "The gap is how far q is from the true posterior, so maximising the ELBO over both networks "
    "raises the likelihood and improves the encoder together. For a N(0, I) prior the KL is closed-form,")
st.latex(r"\mathrm{KL}\left(\mathcal N(\mu, \sigma^2)\,\|\,\mathcal N(0, 1)\right) = "
         r"\tfrac12 \sum_j \left(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\right);")
st.markdown(
    "for a learned prior such as the VampPrior it is estimated at the sampled code, "
    "log q(z|x) − log p(z). The reconstruction term is estimated with a sample z = μ + σ ⊙ ε, "
    "ε ~ N(0, I) (the reparameterisation trick), so both terms have gradients. The KL pulls every "
    "q(z|x) towards the prior: codes overlap and fill the space, so that a z drawn from p(z) "
    "decodes to a digit. An autoencoder without it leaves holes.")
terms = vae.elbo_terms(binary[None], seed=0, draws=DRAWS)
c1, c2, c3 = st.columns(3)
c1.metric("Reconstruction −log p(x|z)", f"{terms['recon'][0]:.1f} nats")
c2.metric("KL(q(z|x) ‖ p(z))", f"{terms['kl'][0]:.1f} nats")
c3.metric("−ELBO", f"{terms['neg_elbo'][0]:.1f} nats", help="An upper bound on −log p(x) for the digit above.")
st.caption(f"The chosen digit, binarized (pixel on with probability equal to its grey level), scored by the "
           f"N(0, I) VAE; each term is averaged over {DRAWS} draws z ~ q(z|x).")
cols = st.columns(3)
cols[0].page_link("pages/reconstruction.py", label="q(z|x) of your own digit", icon=":material/draw:")
cols[1].page_link("pages/ae_vs_vae.py", label="What the KL term does: AE vs VAE", icon=":material/compare:")
cols[2].page_link("pages/elbo_curves.py", label="The ELBO during training", icon=":material/show_chart:")

share.share_box(["digit"])
