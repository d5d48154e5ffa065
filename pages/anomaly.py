"""Anomaly scores: the VAE's -ELBO and IWAE bound as a measure of how unusual an image is."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from vae_site import display, drawing, i18n, navigation, resources, share, uploads
from vae_site.i18n import t
from vae_tf import anomaly, data, explain
from vae_tf.figures import anomaly as reference

navigation.enter()

SCORES = ("neg_elbo", "iwae")
UNUSUAL = ("fashion", "noise", "rotated", "mirrored", "erased")  # the sets the ROC curves separate from digits

display.crisp_images()
st.title(t("anomaly.title"))
st.info(t("anomaly.try_this"), icon=":material/lightbulb:")
vae = resources.require("vae_main")
with st.expander(t("anomaly.about_heading")):
    st.markdown(t("anomaly.about", k=reference.K, shifted=reference.TRANSFORMED))
scores = resources.figure("vae_main", reference.NAME)
kind = share.radio(
    t("anomaly.score_label"),
    "score",
    "neg_elbo",
    SCORES,
    horizontal=True,
    format_func=lambda code: t("anomaly.score_" + code, k=reference.K),
)
normal = scores[f"mnist/{kind}"]


def set_name(code: str) -> str:
    """A reference set's name in the visitor's language."""
    return t("anomaly.set_" + code)


SET_COLOURS = {
    "mnist": "#1f3a93",
    "fashion": "#ff7f0e",
    "noise": "#7f7f7f",
    "rotated": "#d62728",
    "mirrored": "#9467bd",
    "erased": "#2ca02c",
}  # one colour per set on both charts


def set_colours(lang: str, codes) -> alt.Scale:
    """The colours of the sets `codes`, keyed by their names in `lang`."""
    return alt.Scale(
        domain=[i18n.text(lang, "anomaly.set_" + code) for code in codes], range=[SET_COLOURS[code] for code in codes]
    )


@st.cache_resource(show_spinner=False)
def histogram_spec(lang: str) -> dict:
    """Counts of images per score bin, a line per set, on a log axis (data "counts")."""
    colours = set_colours(lang, ("mnist",) + UNUSUAL)
    return display.vega_lite_spec(
        alt.Chart(alt.Data(name="counts"))
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X(
                "log_score:Q",
                title=i18n.text(lang, "anomaly.axis_score"),
                scale=alt.Scale(zero=False),
                axis=alt.Axis(values=[1, 2, 3, 4, 5], labelExpr="format(pow(10, datum.value), ',.0f')"),
            ),
            y=alt.Y("count:Q", title=i18n.text(lang, "anomaly.axis_count")),
            color=alt.Color("set:N", title=None, scale=colours, legend=alt.Legend(orient="bottom", columns=2)),
            tooltip=[
                alt.Tooltip("set:N", title=i18n.text(lang, "anomaly.axis_set")),
                alt.Tooltip("nats:Q", title=i18n.text(lang, "anomaly.axis_bin"), format=",.0f"),
                alt.Tooltip("count:Q", title=i18n.text(lang, "anomaly.axis_count")),
            ],
        )
        .properties(height=380)
    )


def histogram_counts(codes) -> pd.DataFrame:
    """Counts of each set's scores in log-spaced bins shared by every set."""
    logs = {code: np.log10(np.clip(scores[f"{code}/{kind}"], 1.0, None)) for code in codes}
    edges = np.linspace(min(v.min() for v in logs.values()), max(v.max() for v in logs.values()), 61)
    rows = []
    for code, values in logs.items():
        counts = np.histogram(values, edges)[0]
        rows.append(
            pd.DataFrame({"log_score": edges[:-1], "nats": 10 ** edges[:-1], "count": counts, "set": set_name(code)})
        )
    return pd.concat(rows)


display.chart(histogram_spec(i18n.current()), counts=histogram_counts(("mnist",) + UNUSUAL))
st.caption(t("anomaly.histogram_caption"))


@st.cache_resource(show_spinner=False)
def roc_spec(lang: str) -> dict:
    """ROC curves, one per unusual set, over the dashed diagonal of chance (data "curves", "chance")."""
    fpr, tpr = (
        alt.X("fpr:Q", title=i18n.text(lang, "anomaly.axis_fpr")),
        alt.Y("tpr:Q", title=i18n.text(lang, "anomaly.axis_tpr")),
    )
    chance = alt.Chart(alt.Data(name="chance")).mark_line(color="#999999", strokeDash=[4, 4]).encode(x=fpr, y=tpr)
    curves = (
        alt.Chart(alt.Data(name="curves"))
        .mark_line()
        .encode(
            x=fpr,
            y=tpr,
            color=alt.Color(
                "set:N", title=None, scale=set_colours(lang, UNUSUAL), legend=alt.Legend(orient="bottom", columns=2)
            ),
            tooltip=[
                alt.Tooltip("set:N", title=i18n.text(lang, "anomaly.axis_set")),
                alt.Tooltip("fpr:Q", title=i18n.text(lang, "anomaly.axis_fpr"), format=".3f"),
                alt.Tooltip("tpr:Q", title=i18n.text(lang, "anomaly.axis_tpr"), format=".3f"),
            ],
        )
    )
    return display.vega_lite_spec((chance + curves).properties(height=440))


st.header(t("anomaly.roc_heading"))
areas = {code: explain.auroc(normal, scores[f"{code}/{kind}"]) for code in UNUSUAL}
curves = []
for code in UNUSUAL:
    fpr, tpr = explain.roc_curve(normal, scores[f"{code}/{kind}"])
    curves.append(pd.DataFrame({"fpr": fpr, "tpr": tpr, "set": set_name(code)}))
display.chart(
    roc_spec(i18n.current()), curves=pd.concat(curves), chance=pd.DataFrame({"fpr": [0.0, 1.0], "tpr": [0.0, 1.0]})
)
for row in (UNUSUAL[:3], UNUSUAL[3:]):
    for col, code in zip(st.columns(3), row, strict=False):
        col.metric(t("anomaly.metric_auroc", set=set_name(code)), f"{areas[code]:.3f}")
st.caption(t("anomaly.roc_caption"))

st.header(t("anomaly.failure_heading"))
simple = scores[f"simple/{kind}"]
display.digits(
    anomaly.simple_images(),
    size=112,
    captions=[
        t("anomaly.simple_caption", name=t("anomaly.simple_" + name), value=value)
        for name, value in zip(anomaly.SIMPLE, simple, strict=True)
    ],
)
st.markdown(
    t(
        "anomaly.failure",
        blank=simple[0],
        above=anomaly.above(simple[0], normal),
        median=float(np.median(normal)),
        bar=simple[2],
        bar_above=anomaly.above(simple[2], normal),
    )
)


def score(image: np.ndarray) -> dict[str, float]:
    """Both scores and the ELBO's terms of one grey image (binarized with seed 0), in nats."""
    binary = data.binarize(image[None], 0)
    terms = vae.elbo_terms(binary, seed=0)
    return {
        "neg_elbo": float(terms["neg_elbo"][0]),
        "iwae": float(-vae.iwae(binary, reference.K, seed=0)[0]),
        "recon": float(terms["recon"][0]),
        "kl": float(terms["kl"][0]),
    }


def verdict(item: uploads.Digit, view: str | None) -> None:
    """One image's score, where it falls among the test digits, and why (`view`: see `views`)."""
    found = score(item.digit)
    value, cut = found[kind], float(np.percentile(normal, anomaly.PERCENTILE))
    left, right = st.columns([1, 3])
    with left:
        display.digits([item.digit], size=112)
    with right:
        st.metric(
            t("anomaly.score_" + kind, k=reference.K),
            t("anomaly.nats", value=value),
            help=t("anomaly.median_help", median=float(np.median(normal))),
        )
        share_below = anomaly.below(value, normal)
        if value <= cut:
            st.success(t("anomaly.looks_digit", below=share_below, cut=cut))
        elif share_below >= 100:
            st.error(t("anomaly.unusual_all", value=value, cut=cut))
        else:
            st.error(t("anomaly.unusual", value=value, below=share_below, cut=cut))
        why = anomaly.reasons(
            found["recon"],
            found["kl"],
            float(anomaly.ink(item.digit[None])[0]),
            {"recon": scores["mnist/recon"], "kl": scores["mnist/kl"], "ink": anomaly.ink(resources.test_digits()[0])},
        )
        for reason in why:
            st.markdown("- " + t("anomaly.why_" + reason.code, value=reason.value, low=reason.low, high=reason.high))
        if value <= cut and any(r.code == "ink_low" for r in why):
            st.warning(t("anomaly.simple_warning"))
        if view is None and item.preprocessed is None:
            st.caption(t("anomaly.as_is"))
        for note in item.notes if item.preprocessed is not None else ():
            st.caption(uploads.say(note))


def views(item: uploads.Digit) -> list[tuple[str | None, uploads.Digit]]:
    """What is scored of one upload: the digit found in it and the whole picture as it is."""
    files = {f.name: f for f in st.session_state.get("anomaly_upload") or ()}
    if item.preprocessed is None or item.name not in files:
        return [(None, item)]
    whole = uploads.convert_as_is(item.name, files[item.name].getvalue())
    return [("digit", item)] + ([("whole", whole)] if isinstance(whole, uploads.Digit) else [])


st.header(t("anomaly.yours_heading"))
mine = [
    (uploads.plain(d.name), views(d))
    for d in uploads.digits_from_uploader(t("anomaly.upload_label"), key="anomaly_upload", as_is=True)
]
with st.expander(t("anomaly.draw_heading"), expanded=False):
    drawn = drawing.pad("anomaly_canvas", keyboard=t("drawing.keyboard_upload"))
    st.caption(t("drawing.hint"))
mine += [(drawn.name, [(None, drawn)])] if drawn else []
for number, (title, scored) in enumerate(mine, 1):
    st.subheader(f"{number}. {title}")
    for view, item in scored:
        if view:
            st.markdown(f"**{t('anomaly.view_' + view)}**")
        verdict(item, view)
        if view == "digit":
            st.caption(t("anomaly.view_digit_note"))
navigation.link("pages/theory.py", "anomaly.back_to_start", icon=":material/replay:", page=t("site.nav_theory"))
share.share_box(["score"], note=t("share.uploads_stay"))
