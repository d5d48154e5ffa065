"""Anomaly scores: the VAE's −ELBO and −IWAE as a measure of how unusual an image is, where the
measure fails (simple images; the reversed Fashion-MNIST test) and one remedy, computed."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from vae_site import display, drawing, i18n, navigation, resources, share, teach, uploads
from vae_site.i18n import t
from vae_tf import anomaly, explain
from vae_tf.figures import anomaly as reference

navigation.enter()

SCORES = ("neg_elbo", "iwae")
UNUSUAL = ("fashion", "noise", "rotated", "mirrored", "erased")  # the sets the ROC curves separate from digits
SET_COLOURS = {
    "mnist": "#1f3a93",
    "fashion": "#ff7f0e",
    "noise": "#7f7f7f",
    "rotated": "#d62728",
    "mirrored": "#9467bd",
    "erased": "#2ca02c",
    "raw": "#1f3a93",
    "corrected": "#17becf",
}  # one colour per set (and per score of the reversed test) on every chart
TICKS = np.log10([10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5]).tolist()  # 1-2-5 on the log axis
VERDICT_BOX = {
    "digit": st.success,
    "mixed": st.warning,
    "borderline": st.warning,
    "unusual": st.error,
    "empty": st.warning,
}

display.crisp_images()
st.title(t("anomaly.title"))
st.info(t("anomaly.try_this"), icon=":material/lightbulb:")
vae = resources.require("vae_main")
scores = resources.figure("vae_main", reference.NAME)
with st.expander(t("anomaly.about_heading")):
    st.markdown(
        t(
            "anomaly.about",
            k=reference.K,
            digits=len(scores["mnist/neg_elbo"]),
            items=len(scores["fashion/neg_elbo"]),
            noise=len(scores["noise/neg_elbo"]),
            shifted=reference.TRANSFORMED,
        )
    )
kind = share.radio(
    t("anomaly.score_label"),
    "score",
    "neg_elbo",
    SCORES,
    horizontal=True,
    format_func={code: t("anomaly.score_" + code, k=reference.K) for code in SCORES}.get,  # labels made now
)
score_name, symbol = t("anomaly.score_" + kind, k=reference.K), t("anomaly.symbol_" + kind)
normal = scores[f"mnist/{kind}"]


def set_name(code: str) -> str:
    """A reference set's name in the visitor's language."""
    return t("anomaly.set_" + code)


def colours(lang: str, codes) -> alt.Scale:
    """The colours of the sets `codes`, keyed by their names in `lang`."""
    return alt.Scale(
        domain=[i18n.text(lang, "anomaly.set_" + code) for code in codes], range=[SET_COLOURS[code] for code in codes]
    )


@st.cache_resource(show_spinner=False)
def histogram_spec(lang: str, codes: tuple[str, ...]) -> dict:
    """The share of each set's images per score bin, a line per set of `codes`, on a log axis (data "counts")."""
    return display.vega_lite_spec(
        alt.Chart(alt.Data(name="counts"))
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X(
                "log_score:Q",
                title=i18n.text(lang, "anomaly.axis_score"),
                scale=alt.Scale(zero=False),
                axis=alt.Axis(values=TICKS, labelExpr="format(pow(10, datum.value), ',.0f')", labelOverlap="greedy"),
            ),
            y=alt.Y("share:Q", title=i18n.text(lang, "anomaly.axis_share")),
            color=alt.Color(
                "set:N", title=None, scale=colours(lang, codes), legend=alt.Legend(orient="bottom", columns=2)
            ),
            tooltip=[
                alt.Tooltip("set:N", title=i18n.text(lang, "anomaly.axis_set")),
                alt.Tooltip("nats:Q", title=i18n.text(lang, "anomaly.axis_bin"), format=",.0f"),
                alt.Tooltip("count:Q", title=i18n.text(lang, "anomaly.axis_count")),
                alt.Tooltip("share:Q", title=i18n.text(lang, "anomaly.axis_share"), format=".1f"),
            ],
        )
        .properties(height=380 if len(codes) > 2 else 300)
    )


def histogram_counts(values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Counts and shares (% of the set) of each set's scores ({code: scores}) in log-spaced bins shared by all."""
    logs = {code: np.log10(np.clip(v, 1.0, None)) for code, v in values.items()}
    edges = np.linspace(min(v.min() for v in logs.values()), max(v.max() for v in logs.values()), 61)
    rows = []
    for code, v in logs.items():
        counts = np.histogram(v, edges)[0]
        rows.append(
            pd.DataFrame(
                {
                    "log_score": edges[:-1],
                    "nats": 10 ** edges[:-1],
                    "count": counts,
                    "share": 100.0 * counts / len(v),
                    "set": set_name(code),
                }
            )
        )
    return pd.concat(rows)


@st.cache_resource(show_spinner=False)
def roc_spec(lang: str, codes: tuple[str, ...]) -> dict:
    """ROC curves, one per code, over the dashed diagonal of chance (data "curves", "chance")."""
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
                "set:N", title=None, scale=colours(lang, codes), legend=alt.Legend(orient="bottom", columns=2)
            ),
            tooltip=[
                alt.Tooltip("set:N", title=i18n.text(lang, "anomaly.axis_set")),
                alt.Tooltip("fpr:Q", title=i18n.text(lang, "anomaly.axis_fpr"), format=".3f"),
                alt.Tooltip("tpr:Q", title=i18n.text(lang, "anomaly.axis_tpr"), format=".3f"),
            ],
        )
    )
    return display.vega_lite_spec((chance + curves).properties(height=440 if len(codes) > 2 else 360))


def draw_roc(pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """One ROC curve per code of `pairs`: {code: (the familiar set's scores, the unusual set's)}."""
    curves = []
    for code, (familiar, unusual) in pairs.items():
        fpr, tpr = explain.roc_curve(familiar, unusual)
        curves.append(pd.DataFrame({"fpr": fpr, "tpr": tpr, "set": set_name(code)}))
    display.chart(
        roc_spec(i18n.current(), tuple(pairs)),
        curves=pd.concat(curves),
        chance=pd.DataFrame({"fpr": [0.0, 1.0], "tpr": [0.0, 1.0]}),
    )


# --- 1. Digits against the other sets ------------------------------------------------------------
medians = {code: float(np.median(scores[f"{code}/{kind}"])) for code in ("mnist",) + UNUSUAL}
display.chart(
    histogram_spec(i18n.current(), ("mnist",) + UNUSUAL),
    counts=histogram_counts({code: scores[f"{code}/{kind}"] for code in ("mnist",) + UNUSUAL}),
)
st.caption(t("anomaly.histogram_caption", **medians))

st.header(t("anomaly.roc_heading"))
areas = {code: explain.auroc(normal, scores[f"{code}/{kind}"]) for code in UNUSUAL}
guess = teach.predict(
    "mirrored",
    t("anomaly.predict_mirrored"),
    {"fashion": t("anomaly.predict_mirrored_fashion"), "mirrored": t("anomaly.predict_mirrored_mirrored")},
    "fashion" if areas["fashion"] > areas["mirrored"] else "mirrored",
    t("anomaly.predict_mirrored_reveal", fashion=areas["fashion"], mirrored=areas["mirrored"]),
    hides=True,
)
if guess is not None:  # the curves and their areas answer the question: they wait for a choice
    draw_roc({code: (normal, scores[f"{code}/{kind}"]) for code in UNUSUAL})
    for row in (UNUSUAL[:3], UNUSUAL[3:]):
        for col, code in zip(st.columns(3), row, strict=False):
            col.metric(t("anomaly.metric_auroc", set=set_name(code)), f"{areas[code]:.3f}")
    transformed = [areas[code] for code in ("rotated", "mirrored", "erased")]
    st.caption(
        t(
            "anomaly.roc_caption",
            fashion=areas["fashion"],
            noise=areas["noise"],
            low=min(transformed),
            high=max(transformed),
        )
    )

# --- 2. Simple images: a blank, a dot, a bar --------------------------------------------------------
st.header(t("anomaly.failure_heading"))
simple = scores[f"simple/{kind}"]
median = medians["mnist"]
guess = teach.predict(
    "blank",
    t("anomaly.predict_blank", score=symbol),
    {"more": t("anomaly.predict_blank_more"), "fewer": t("anomaly.predict_blank_fewer")},
    "fewer" if simple[0] < median else "more",
    t("anomaly.predict_blank_reveal", blank=simple[0], median=median),
    hides=True,
)
if guess is not None:  # the simple images' scores answer the question: they wait for a choice
    simple_captions = [
        t("anomaly.simple_caption", name=t("anomaly.simple_" + name), value=value)
        for name, value in zip(anomaly.SIMPLE, simple, strict=True)
    ]
    display.digits(
        anomaly.simple_images(),
        size=112,
        captions=simple_captions,
        alt=[t("anomaly.simple_alt", caption=caption) for caption in simple_captions],
    )
    st.markdown(
        t(
            "anomaly.failure",
            blank=simple[0],
            above=anomaly.above(simple[0], normal),
            median=median,
            bar=simple[2],
            bar_above=anomaly.above(simple[2], normal),
        )
    )
    corrected_digits = normal - scores["mnist/complexity"]
    st.markdown(
        t(
            "anomaly.failure_remedy",
            blank=anomaly.above(simple[0] - scores["simple/complexity"][0], corrected_digits),
            bar=anomaly.above(simple[2] - scores["simple/complexity"][2], corrected_digits),
        )
    )

# --- 3. The reverse: a model of clothes ----------------------------------------------------------
st.header(t("anomaly.reverse_heading"))
clothes = resources.figure("vae_fashion", reference.NAME)
own, digits = clothes[f"fashion/{kind}"], clothes[f"mnist/{kind}"]
own_corrected, digits_corrected = own - clothes["fashion/complexity"], digits - clothes["mnist/complexity"]
reverse = {
    "own": float(np.median(own)),
    "digits": float(np.median(digits)),
    "auroc": explain.auroc(own, digits),
    "corrected": explain.auroc(own_corrected, digits_corrected),
    "own_length": float(np.median(clothes["fashion/complexity"])),
    "digits_length": float(np.median(clothes["mnist/complexity"])),
}
st.markdown(t("anomaly.reverse_intro", items=len(own), digits=len(digits)))
guess = teach.predict(
    "reverse",
    t("anomaly.predict_reverse", score=symbol),
    {"higher": t("anomaly.predict_reverse_higher"), "lower": t("anomaly.predict_reverse_lower")},
    "lower" if reverse["digits"] < reverse["own"] else "higher",
    t("anomaly.predict_reverse_reveal", **reverse),
    hides=True,
)
if guess is not None:  # the reversed histogram and curves answer the question: they wait for a choice
    display.chart(
        histogram_spec(i18n.current(), ("fashion", "mnist")), counts=histogram_counts({"fashion": own, "mnist": digits})
    )
    st.caption(t("anomaly.reverse_histogram_caption", **reverse))
    st.markdown(t("anomaly.reverse_why", **reverse))
    st.markdown(t("anomaly.remedies", symbol=symbol))
    draw_roc({"raw": (own, digits), "corrected": (own_corrected, digits_corrected)})
    left, right = st.columns(2)
    left.metric(t("anomaly.metric_reverse", symbol=symbol), f"{reverse['auroc']:.3f}")
    right.metric(t("anomaly.metric_corrected"), f"{reverse['corrected']:.3f}")
    st.caption(t("anomaly.reverse_roc_caption", **reverse))


# --- 4. The visitor's own images -----------------------------------------------------------------
def verdict(item: uploads.Digit, uploaded: bool, reference_digits: dict[str, np.ndarray]) -> None:
    """One image's score, its one verdict and the reasons for it, against the test digits' (`anomaly.judge`)."""
    found = anomaly.score(vae, item.image[None])
    ink = float(anomaly.ink(item.image[None])[0])
    said = anomaly.judge(float(found[kind][0]), float(found["recon"][0]), float(found["kl"][0]), ink, reference_digits)
    left, right = st.columns([1, 3])
    with left:
        display.digits([item.image], size=112, alt=t("anomaly.yours_alt", score=said.value))
    with right:
        st.metric(score_name, t("anomaly.nats", value=said.value), help=t("anomaly.median_help", median=median))
        code = "unusual_all" if said.code == "unusual" and said.below >= 100 else said.code
        VERDICT_BOX[said.code](
            t(
                "anomaly.verdict_" + code,
                value=said.value,
                below=said.below,
                borderline=said.borderline,
                cut=said.cut,
                digits=len(normal),
            )
        )
        for reason in said.reasons:
            st.markdown("- " + t("anomaly.why_" + reason.code, value=reason.value, low=reason.low, high=reason.high))
        if uploaded and item.preprocessed is not None:
            st.caption(t("anomaly.scored_digit"))
        for note in item.notes:
            st.caption(uploads.say(note))


st.header(t("anomaly.yours_heading"))
mine = [
    (uploads.plain(d.name), d)
    for d in uploads.digits_from_uploader(t("anomaly.upload_label"), key="anomaly_upload", as_is=True)
]
with st.expander(t("anomaly.draw_heading"), expanded=False):
    drawn = drawing.pad("anomaly_canvas", keyboard=t("drawing.keyboard_upload"))
    st.caption(t("drawing.hint"))
mine += [(drawn.name, drawn)] if drawn else []
if mine:
    test_digits = {  # what each image is judged against, made once for all of them
        "score": normal,
        "recon": scores["mnist/recon"],
        "kl": scores["mnist/kl"],
        "ink": anomaly.ink(resources.mnist_test_digits()[0]),
    }
    for number, (title, item) in enumerate(mine, 1):
        st.subheader(f"{number}. {title}")
        verdict(item, uploaded=item is not drawn, reference_digits=test_digits)

teach.recap(
    t("anomaly.recap_1", digits=median, clothes=medians["fashion"], noise=medians["noise"]),
    t("anomaly.recap_2", blank=simple[0]),
    t("anomaly.recap_3", before=reverse["auroc"], after=reverse["corrected"]),
)
navigation.link("pages/theory.py", "anomaly.back_to_start", icon=":material/replay:", page=t("site.nav_theory"))
share.share_box(["score"], note=t("share.uploads_stay"))
