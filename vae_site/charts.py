"""The ELBO curves page's charts as Vega-Lite specs: training histories, the IWAE gain over the ELBO,
the rate-distortion plane (Alemi et al. 2018) and the KL of each latent dimension.

Each spec is built once per process and language on named data (see `display.vega_lite_spec`) and
drawn with `display.chart`. The one way to pass the language: a cached spec takes `lang` as its first
argument and reads every text with `i18n.text(lang, ...)` (model names with `resources.title(role, lang)`),
so the cache key is exactly what the spec depends on. One model has one colour and one marker shape on
every chart, in either language: both follow the model's role, not its translated name.
"""

import altair as alt
import streamlit as st

from vae_site import display, i18n, resources
from vae_tf import store

SPLITS = ("train", "validation")
# Marker shapes: one per VAE, in `store.SHIPPED`'s order, chunky enough to tell apart at 140 px²;
# the AEs, drawn as vertical lines on the plane, get a thin bar in the legend. No "cross": it marks
# the plane's point of posterior collapse. Vega's shapes, then SVG paths on [-1, 1].
STAR = "M0,-1L0.24,-0.33L0.95,-0.31L0.38,0.12L0.59,0.81L0,0.4L-0.59,0.81L-0.38,0.12L-0.95,-0.31L-0.24,-0.33Z"
HEXAGON = "M0,-1L0.87,-0.5L0.87,0.5L0,1L-0.87,0.5L-0.87,-0.5Z"
BAR = "M-0.2,-1L0.2,-1L0.2,1L-0.2,1Z"
SHAPES = ["circle", "square", "triangle-up", "diamond", "triangle-down", STAR, HEXAGON, "triangle-right"]
SHAPES += ["triangle-left"]
GREY, DARK_GREY = "#adb5bd", "#495057"
NATS = ".1f"
AES = ("ae_32d", "ae_2d")  # the shipped autoencoders


def shape(role: str) -> str:
    """The marker shape of a model on every chart (the AEs': a bar, like their lines on the plane)."""
    if role in AES:
        return BAR
    vaes = [r for r in store.SHIPPED if r not in AES]
    return SHAPES[vaes.index(role) % len(SHAPES)]


def _titles(lang: str, roles) -> list[str]:
    """The models' names in `lang`."""
    return [resources.title(r, lang) for r in roles]


def _legend(**kwargs) -> alt.Legend:
    """A legend under the chart, one model a row: a long Korean model name is never cut at phone width."""
    return alt.Legend(orient="bottom", columns=1, title=None, labelLimit=260, **kwargs)


def _colour(lang: str, roles, legend: alt.Legend | None) -> alt.Color:
    """Colour by model name, the domain in the order of `roles` (so the legend lists them so)."""
    scale = alt.Scale(domain=_titles(lang, roles), range=[resources.colour(r) for r in roles])
    return alt.Color("model:N", scale=scale, legend=legend)


def _shape(lang: str, roles, legend: alt.Legend | None = None) -> alt.Shape:
    """Marker shape by model name, fixed per role (`shape`)."""
    scale = alt.Scale(domain=_titles(lang, roles), range=[shape(r) for r in roles])
    return alt.Shape("model:N", scale=scale, legend=legend)


def _tip(lang: str, field: str, key: str, **kwargs) -> alt.Tooltip:
    """A tooltip line titled with the page's message `key`."""
    return alt.Tooltip(field, title=i18n.text(lang, f"elbo_curves.{key}"), **kwargs)


@st.cache_resource(show_spinner=False, max_entries=64)
def history_spec(lang: str, term: str, roles: tuple) -> dict:
    """One term's training curves (data "history"): a colour per model, solid for training, dashed for validation.

    Args:
      roles: the models that have this term, in the legend's order.
    """
    names = [i18n.text(lang, f"elbo_curves.split_{s}") for s in SPLITS]
    split = alt.StrokeDash(
        "split:N",
        scale=alt.Scale(domain=list(SPLITS)),
        legend=alt.Legend(orient="top", title=None, labelExpr=display.label_expr(SPLITS, names)),
    )
    term_name = i18n.text(lang, f"elbo_curves.term_{term}")
    chart = (
        alt.Chart(alt.Data(name="history"))
        .mark_line()
        .encode(
            x=alt.X("epoch:Q", title=i18n.text(lang, "elbo_curves.axis_epoch")),
            y=alt.Y(
                "nats:Q", scale=alt.Scale(zero=False), title=i18n.text(lang, "elbo_curves.axis_term", term=term_name)
            ),
            color=_colour(lang, roles, _legend()),
            strokeDash=split,
            tooltip=[
                _tip(lang, "model:N", "axis_model"),
                _tip(lang, "epoch:Q", "axis_epoch"),
                _tip(lang, "nats:Q", "axis_nats", format=".2f"),
            ],
        )
        .properties(height=360)
        .interactive()
    )
    return display.fit_width(display.vega_lite_spec(chart))


@st.cache_resource(show_spinner=False, max_entries=64)
def gap_spec(lang: str, roles: tuple) -> dict:
    """The gain IWAE_k - ELBO against k on a log axis, a line per model with its markers (data "gap")."""
    chart = (
        alt.Chart(alt.Data(name="gap"))
        .mark_line(point={"filled": True, "size": 50})
        .encode(
            x=alt.X("k:Q", scale=alt.Scale(type="log"), title=i18n.text(lang, "elbo_curves.axis_k")),
            y=alt.Y("gap:Q", title=i18n.text(lang, "elbo_curves.axis_gap")),
            color=_colour(lang, roles, _legend()),
            shape=_shape(lang, roles, _legend()),
            tooltip=[
                _tip(lang, "model:N", "axis_model"),
                alt.Tooltip("k:Q", title="k"),
                _tip(lang, "gap:Q", "axis_gap", format=".2f"),
            ],
        )
        .properties(height=300)
        .interactive()
    )
    return display.fit_width(display.vega_lite_spec(chart))


@st.cache_resource(show_spinner=False, max_entries=16)
def plane_spec(lang: str, vaes: tuple, aes: tuple, rate_domain: tuple) -> dict:
    """The rate-distortion plane: lines of equal ELBO (data "isolines", "isolabels"), the AEs' distortions
    ("ae"), the β family's path ("beta_path"), the VAEs ("points") and the point of collapse ("collapse").

    Args:
      vaes, aes: the roles drawn as points and as vertical lines, in the legend's order.
      rate_domain: the rate axis's (low, high); low below 0, so that a marker at R = 0 is drawn whole.
    """
    text = lambda key: i18n.text(lang, f"elbo_curves.{key}")  # noqa: E731
    x = alt.X("distortion:Q", title=text("axis_distortion"), scale=alt.Scale(zero=False))
    y = alt.Y("rate:Q", title=text("axis_rate"), scale=alt.Scale(domain=list(rate_domain), nice=False))
    legend = _legend(symbolStrokeWidth=2)
    lines = (
        alt.Chart(alt.Data(name="isolines"))
        .mark_line(strokeDash=[4, 4], color=GREY, clip=True)
        .encode(x=x, y=y, detail="level:N", tooltip=[_tip(lang, "level:Q", "axis_level", format=NATS)])
    )
    line_labels = (
        alt.Chart(alt.Data(name="isolabels"))
        .mark_text(color="#6c757d", align="left", dx=4, dy=8, fontSize=9)
        .encode(x=x, y=y, text="label:N")
    )
    ae_lines = (
        alt.Chart(alt.Data(name="ae"))
        .mark_rule(strokeWidth=2, strokeDash=[1, 3])
        .encode(
            x="distortion:Q",
            color=_colour(lang, vaes + aes, legend),
            tooltip=[_tip(lang, "model:N", "axis_model"), _tip(lang, "distortion:Q", "axis_distortion", format=NATS)],
        )
    )
    ae_labels = (
        alt.Chart(alt.Data(name="ae"))
        .mark_text(align="left", dx=4, dy=-6, fontSize=11)
        .encode(x="distortion:Q", y=alt.value(40), text="model:N", color=_colour(lang, vaes + aes, None))
    )
    path = (
        alt.Chart(alt.Data(name="beta_path")).mark_line(color=DARK_GREY, strokeWidth=1).encode(x=x, y=y, order="beta:Q")
    )
    points = (
        alt.Chart(alt.Data(name="points"))
        .mark_point(filled=True, size=140, opacity=1, stroke="white", strokeWidth=0.5)
        .encode(
            x=x,
            y=y,
            color=_colour(lang, vaes + aes, legend),
            shape=_shape(lang, vaes + aes, legend),
            tooltip=[
                _tip(lang, "model:N", "axis_model"),
                _tip(lang, "rate:Q", "axis_rate", format=NATS),
                _tip(lang, "distortion:Q", "axis_distortion", format=NATS),
                alt.Tooltip("neg_elbo:Q", title="−ELBO", format=NATS),
            ],
        )
    )
    collapse = (
        alt.Chart(alt.Data(name="collapse"))
        .mark_point(shape="cross", size=220, color="black", filled=True)
        .encode(x=x, y=y, tooltip=[_tip(lang, "distortion:Q", "axis_distortion", format=NATS)])
    )
    collapse_label = (
        alt.Chart(alt.Data(name="collapse"))
        .mark_text(align="right", dx=-10, dy=-12, fontSize=11, fontWeight="bold")
        .encode(x=x, y=y, text=alt.value(text("collapse_label")))
    )
    layers = alt.layer(lines, line_labels, ae_lines, ae_labels, path, points, collapse, collapse_label)
    return display.fit_width(display.vega_lite_spec(layers.properties(height=420).interactive()))


@st.cache_resource(show_spinner=False)
def kl_spec(lang: str) -> dict:
    """KL per latent dimension as bars in the main VAE's colour, largest first (data "kl")."""
    chart = (
        alt.Chart(alt.Data(name="kl"))
        .mark_bar(color=resources.colour("vae_main"))
        .encode(
            x=alt.X("dimension:O", sort="-y", title=i18n.text(lang, "elbo_curves.axis_dimension")),
            y=alt.Y("kl:Q", title=i18n.text(lang, "elbo_curves.axis_kl")),
            tooltip=[_tip(lang, "dimension:O", "axis_dimension"), _tip(lang, "kl:Q", "axis_kl", format=".3f")],
        )
        .properties(height=260)
    )
    return display.fit_width(display.vega_lite_spec(chart))
