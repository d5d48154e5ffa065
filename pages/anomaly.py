"""Anomaly scores: the VAE's -ELBO and IWAE bound as a measure of how unusual an image is."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from vae_site import display, resources, share, uploads
from vae_tf import data, explain
from vae_site import navigation

navigation.enter()

K = 100  # importance samples for the IWAE score: tight enough, and quick for 1,600 images
THRESHOLD = 99.0  # percentile of test digits above which an image is called unusual
SCORES = {"neg_elbo": "−ELBO", "iwae": f"IWAE bound (k={K})"}

display.crisp_images()
st.title("Anomaly scores")
st.markdown("A VAE gives every image a number: how many nats it needs to explain it, −ELBO, or the tighter "
            "importance-weighted bound. Digits like those it was trained on score low; other things "
            "should score high. Here are 1,000 MNIST test digits, 300 Fashion-MNIST items and 300 noise images.")
vae = resources.require("vae_main")


def noise_images(n: int = 300, seed: int = 0) -> np.ndarray:
    """Images whose pixels have independent uniform grey levels. (n, 28, 28)."""
    return np.random.default_rng(seed).random((n, 28, 28)).astype(np.float32)


def score(images: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """Both scores of grey images (binarized with `seed`), in nats; higher is more unusual."""
    binary = data.binarize(images, seed)
    return {"neg_elbo": vae.elbo_terms(binary, seed=seed)["neg_elbo"], "iwae": -vae.iwae(binary, K, seed=seed)}


@st.cache_data(show_spinner="Scoring 1,600 images…")
def reference_scores(model_key: str) -> dict[str, dict[str, np.ndarray]]:
    """Scores of the bundled sets, by set and by score."""
    sets = {"MNIST digits": resources.test_digits()[0], "Fashion-MNIST": resources.fashion_items()[0],
            "noise": noise_images()}
    return {name: score(images) for name, images in sets.items()}


scores = reference_scores(resources.cache_key("vae_main"))
share.restore("score", "neg_elbo", share.one_of(SCORES))
st.radio("Score", list(SCORES), key="score", format_func=SCORES.get, horizontal=True)
kind = st.session_state["score"]

@st.cache_resource(show_spinner=False)
def histogram_spec() -> dict:
    """Overlaid histograms of the scores by set, on a log axis (data "scores")."""
    return display.vega_lite_spec(alt.Chart(alt.Data(name="scores")).mark_bar(opacity=0.6, binSpacing=0).encode(
        x=alt.X("log score:Q", bin=alt.Bin(maxbins=80), title="score (nats, log scale)",
                axis=alt.Axis(labelExpr="format(pow(10, datum.value), ',.0f')")),
        y=alt.Y("count():Q", stack=None),
        color=alt.Color("set:N", legend=alt.Legend(orient="bottom", title=None)), tooltip=["set:N", "count():Q"],
    ).properties(height=300).interactive())


@st.cache_resource(show_spinner=False)
def roc_spec() -> dict:
    """ROC curves, one per unusual set (data "curves")."""
    return display.vega_lite_spec(alt.Chart(alt.Data(name="curves")).mark_line().encode(
        x="false positive rate:Q", y="true positive rate:Q",
        color=alt.Color("unusual set:N", legend=alt.Legend(orient="bottom", title=None)),
    ).properties(height=320).interactive())


frame = pd.concat([pd.DataFrame({"score (nats)": s[kind], "set": name}) for name, s in scores.items()])
frame["log score"] = np.log10(frame["score (nats)"].clip(lower=1.0))  # noise scores 100× more than digits
display.chart(histogram_spec(), scores=frame)
st.caption("A logarithmic axis: digits need about a hundred nats, clothes hundreds to thousands, noise tens of "
           "thousands.")

st.header("How well the score separates digits from the rest")
normal = scores["MNIST digits"][kind]
curves, areas = [], {}
for name in ("Fashion-MNIST", "noise"):
    fpr, tpr = explain.roc_curve(normal, scores[name][kind])
    areas[name] = explain.auroc(normal, scores[name][kind])
    curves.append(pd.DataFrame({"false positive rate": fpr, "true positive rate": tpr,
                                "unusual set": f"{name} (AUROC {areas[name]:.3f})"}))
display.chart(roc_spec(), curves=pd.concat(curves))
cols = st.columns(len(areas))
for col, (name, area) in zip(cols, areas.items()):
    col.metric(f"AUROC, digits vs {name}", f"{area:.3f}")
st.caption("AUROC is the chance that a random unusual item scores higher than a random test digit (1 is "
           "perfect, 0.5 is chance). Likelihood scores are known to be fooled by simple images "
           "(Nalisnick et al. 2019): a mostly dark item can score better than an intricate digit.")

st.header("Score your own image")
mine = uploads.digits_from_uploader("Upload images: digits, or anything else", key="anomaly_upload", as_is=True)
try:
    from streamlit_drawable_canvas import st_canvas

    with st.expander("…or draw one"):
        canvas = st_canvas(stroke_width=18, stroke_color="#000000", background_color="#ffffff",
                           height=224, width=224, drawing_mode="freedraw", key="anomaly_canvas")
        drawn = uploads.digit_from_canvas(canvas.image_data)
        mine += [drawn] if drawn else []
except Exception:  # the drawing pad is optional
    pass
cut = float(np.percentile(normal, THRESHOLD))
for item in mine:
    value = float(score(item.digit[None])[kind][0])
    percentile = explain.percentile_of(value, normal)
    left, right = st.columns([1, 3])
    with left:
        display.digits([item.digit], captions=[item.name], size=112)
        for note in item.notes:
            st.caption(note)
    with right:
        st.metric(SCORES[kind], f"{value:.1f} nats", help=f"Test digits: median {np.median(normal):.1f} nats")
        if value <= cut:
            st.success(f"**Looks like a digit.** Its score is higher than {percentile:.1f}% of test digits, "
                       f"within the {THRESHOLD:.0f}% of digits that score at most {cut:.1f} nats.")
        else:
            st.error(f"**Unusual for this model.** It needs {value:.1f} nats, more than {percentile:.1f}% of "
                     f"test digits (the cut is {cut:.1f} nats, the {THRESHOLD:.0f}th percentile): the "
                     "model cannot explain it with a code from the prior.")
share.share_box(["score"], note="Uploads and drawings cannot travel in a link.")
