"""ELBO curves: training histories, the ELBO-IWAE gap against k, the rate-distortion plane of every
VAE (Alemi et al. 2018), and the KL of each latent dimension. One colour per model on every chart."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from vae_site import display, i18n, navigation, resources, share
from vae_site.i18n import t
from vae_tf import explain, store
from vae_tf.figures import bounds as bounds_figure

navigation.enter()


TERMS = ("neg_elbo", "recon", "kl")
SPLITS = ("train", "validation")
ACTIVE = 0.01  # nats of KL above which a latent dimension counts as used

st.title(t("elbo_curves.title"))
st.info(t("elbo_curves.try"), icon=":material/touch_app:")


@st.cache_resource(show_spinner=False)
def history_frame(role: str, directory: str, lang: str) -> pd.DataFrame | None:
    """A model's history.json (in `directory`, the role's) as long rows: epoch, term, split, nats, model
    (its title in `lang`).

    Made once per model directory and language, shared by every session: the page filters it, never changes it.
    """
    history = resources.model_json(role, store.HISTORY)
    if history is None:
        return None
    model = resources.title(role)  # in `lang`, the run's language
    rows = [
        {"epoch": epoch, "term": term, "split": split, "nats": value, "model": model}
        for term in TERMS
        for split, prefix in zip(SPLITS, ("", "val_"), strict=True)
        for epoch, value in zip(history["epoch"], history.get(prefix + term, []), strict=False)  # an AE has no KL
    ]
    return pd.DataFrame(rows, columns=["epoch", "term", "split", "nats", "model"])


def _legend(columns: int = 1) -> alt.Legend:
    """A legend under the chart, one model a row: a long Korean model name is never cut at phone width."""
    return alt.Legend(orient="bottom", columns=columns, title=None, labelLimit=260)


@st.cache_resource(show_spinner=False, max_entries=64)
def history_spec(lang: str, term: str, roles: tuple) -> dict:
    """One term's training curves: a colour per model, solid for training, dashed for validation (data "history")."""
    split = alt.StrokeDash(
        "split:N",
        scale=alt.Scale(domain=list(SPLITS)),
        legend=alt.Legend(
            orient="top",
            title=None,
            labelExpr=display.label_expr(SPLITS, [t(f"elbo_curves.split_{s}") for s in SPLITS]),
        ),
    )
    return display.fit_width(
        display.vega_lite_spec(
            alt.Chart(alt.Data(name="history"))
            .mark_line()
            .encode(
                x=alt.X("epoch:Q", title=t("elbo_curves.axis_epoch")),
                y=alt.Y(
                    "nats:Q",
                    scale=alt.Scale(zero=False),
                    title=t("elbo_curves.axis_term", term=t(f"elbo_curves.term_{term}")),
                ),
                color=alt.Color("model:N", scale=resources.colour_scale(roles), legend=_legend()),
                strokeDash=split,
                tooltip=[
                    alt.Tooltip("model:N", title=t("elbo_curves.axis_model")),
                    alt.Tooltip("epoch:Q", title=t("elbo_curves.axis_epoch")),
                    alt.Tooltip("nats:Q", format=".2f", title=t("elbo_curves.axis_nats")),
                ],
            )
            .properties(height=360)
            .interactive()
        )
    )


@st.cache_resource(show_spinner=False, max_entries=64)
def gap_spec(lang: str, roles: tuple) -> dict:
    """The gap IWAE_k - ELBO against k on a log axis, a line per model (data "gap")."""
    return display.fit_width(
        display.vega_lite_spec(
            alt.Chart(alt.Data(name="gap"))
            .mark_line(point=True)
            .encode(
                x=alt.X("k:Q", scale=alt.Scale(type="log"), title=t("elbo_curves.axis_k")),
                y=alt.Y("gap:Q", title=t("elbo_curves.axis_gap")),
                color=alt.Color("model:N", scale=resources.colour_scale(roles), legend=_legend()),
                tooltip=[
                    alt.Tooltip("model:N", title=t("elbo_curves.axis_model")),
                    alt.Tooltip("k:Q", title="k"),
                    alt.Tooltip("gap:Q", format=".2f", title=t("elbo_curves.axis_gap")),
                ],
            )
            .properties(height=300)
            .interactive()
        )
    )


@st.cache_resource(show_spinner=False)
def plane_spec(lang: str, roles: tuple) -> dict:
    """The rate-distortion plane: lines of equal ELBO, the AEs' distortions, the collapse point, the VAEs."""
    x = alt.X("distortion:Q", title=t("elbo_curves.axis_distortion"), scale=alt.Scale(zero=False))
    y = alt.Y("rate:Q", title=t("elbo_curves.axis_rate"))
    colour = alt.Color("model:N", scale=resources.colour_scale(roles), legend=_legend())
    nats = {"format": ".1f"}
    lines = (
        alt.Chart(alt.Data(name="isolines"))
        .mark_line(strokeDash=[4, 4], color="#adb5bd", clip=True)
        .encode(x=x, y=y, detail="level:N", tooltip=[alt.Tooltip("level:Q", title=t("elbo_curves.axis_level"), **nats)])
    )
    line_labels = (
        alt.Chart(alt.Data(name="isolabels"))
        .mark_text(color="#868e96", align="left", dx=4, dy=8, fontSize=9)
        .encode(x=x, y=y, text="label:N")
    )
    ae_labels = (
        alt.Chart(alt.Data(name="ae"))
        .mark_text(align="left", dx=4, dy=-6, angle=0, fontSize=11)
        .encode(
            x="distortion:Q",
            y=alt.value(12),
            text="model:N",
            color=alt.Color("model:N", scale=resources.colour_scale(roles), legend=None),
        )
    )
    aes = (
        alt.Chart(alt.Data(name="ae"))
        .mark_rule(strokeWidth=2, strokeDash=[1, 3])
        .encode(
            x="distortion:Q",
            color=colour,
            tooltip=[
                alt.Tooltip("model:N", title=t("elbo_curves.axis_model")),
                alt.Tooltip("distortion:Q", title=t("elbo_curves.axis_distortion"), **nats),
            ],
        )
    )
    path = (
        alt.Chart(alt.Data(name="beta_path")).mark_line(color="#495057", strokeWidth=1).encode(x=x, y=y, order="beta:Q")
    )
    points = (
        alt.Chart(alt.Data(name="points"))
        .mark_point(filled=True, size=140, opacity=1)
        .encode(
            x=x,
            y=y,
            color=colour,
            shape=alt.Shape("model:N", legend=None),
            tooltip=[
                alt.Tooltip("model:N", title=t("elbo_curves.axis_model")),
                alt.Tooltip("rate:Q", title=t("elbo_curves.axis_rate"), **nats),
                alt.Tooltip("distortion:Q", title=t("elbo_curves.axis_distortion"), **nats),
                alt.Tooltip("neg_elbo:Q", title="−ELBO", **nats),
            ],
        )
    )
    collapse = (
        alt.Chart(alt.Data(name="collapse"))
        .mark_point(shape="cross", size=200, color="black", filled=True)
        .encode(x=x, y=y, tooltip=[alt.Tooltip("distortion:Q", title=t("elbo_curves.axis_distortion"), **nats)])
    )
    collapse_label = (
        alt.Chart(alt.Data(name="collapse"))
        .mark_text(align="right", dx=-8, dy=-10, fontSize=11)
        .encode(x=x, y=y, text=alt.value(t("elbo_curves.collapse_label")))
    )
    layers = alt.layer(lines, line_labels, aes, ae_labels, path, points, collapse, collapse_label)
    return display.fit_width(display.vega_lite_spec(layers.properties(height=420).interactive()))


@st.cache_resource(show_spinner=False)
def kl_spec(lang: str) -> dict:
    """KL per latent dimension as bars in the main VAE's colour, largest first (data "kl")."""
    return display.fit_width(
        display.vega_lite_spec(
            alt.Chart(alt.Data(name="kl"))
            .mark_bar(color=resources.colour("vae_main"))
            .encode(
                x=alt.X("dimension:O", sort="-y", title=t("elbo_curves.axis_dimension")),
                y=alt.Y("kl:Q", title=t("elbo_curves.axis_kl")),
                tooltip=[
                    alt.Tooltip("dimension:O", title=t("elbo_curves.axis_dimension")),
                    alt.Tooltip("kl:Q", format=".3f", title=t("elbo_curves.axis_kl")),
                ],
            )
            .properties(height=260)
        )
    )


# --- 1. Training histories ---------------------------------------------------------------
st.header(t("elbo_curves.history_header"))
lang = i18n.current()
frames = {role: history_frame(role, resources.cache_key(role), lang) for role in store.SHIPPED}
missing = [resources.title(r) for r in store.CORE if frames[r] is None]
if missing:
    st.warning(t("elbo_curves.no_history", models=", ".join(missing)))
available = [r for r, f in frames.items() if f is not None]
if not available:
    st.stop()
default = tuple(r for r in store.CORE if r in available) or tuple(available[:1])
term = share.radio(
    t("elbo_curves.term_label"),
    "term",
    "neg_elbo",
    TERMS,
    horizontal=True,
    format_func=lambda c: t(f"elbo_curves.term_{c}"),
)
chosen = share.multiselect(
    t("elbo_curves.models_label"),
    "models",
    default,
    available,
    len(available),
    format_func=resources.title,
    help=t("elbo_curves.models_help"),
)
data = pd.concat([frames[r] for r in chosen]) if chosen else pd.DataFrame()
data = data[data["term"] == term] if len(data) else data
if data.empty:
    st.info(t("elbo_curves.pick"))
else:
    display.chart(history_spec(lang, term, tuple(chosen)), history=data)
    st.caption(t("elbo_curves.history_caption"))

# --- 2. The ELBO-IWAE gap ---------------------------------------------------------------------
st.header(t("elbo_curves.gap_header"))
st.markdown(t("elbo_curves.gap_text"))


def gap_frame(roles) -> pd.DataFrame:
    """Mean IWAE_k - ELBO over the figure's digits, per k and model, for the VAEs that load."""
    rows = []
    for role in roles:
        if (resources.model_json(role, store.CONFIG) or {}).get("kind") != "vae" or resources.model(role) is None:
            continue
        fig = resources.figure(role, bounds_figure.NAME)
        gap = (fig["log_px"] - fig["log_px"][0]).mean(axis=1)  # row 0 is k = 1, the ELBO
        rows += [
            {"k": int(k), "gap": float(g), "model": resources.title(role), "role": role}
            for k, g in zip(fig["k"], gap, strict=True)
        ]
    return pd.DataFrame(rows, columns=["k", "gap", "model", "role"])


gaps = gap_frame(chosen)
if gaps.empty:
    st.info(t("elbo_curves.gap_none"))
else:
    display.chart(gap_spec(lang, tuple(gaps["role"].unique())), gap=gaps.drop(columns=["role"]))
    last = gaps[gaps["k"] == gaps["k"].max()]
    st.caption(
        t(
            "elbo_curves.gap_caption",
            k=int(last["k"].iloc[0]),
            digits=bounds_figure.DIGITS,
            low=float(last["gap"].min()),
            high=float(last["gap"].max()),
        )
    )


def metrics_row(role: str) -> dict:
    """A model's test metrics as table cells: "–" where a model has no such number."""
    m = resources.model_json(role, store.METRICS) or {}
    k = m.get("k") or None
    nll = store.iwae_nll(m) if m else None
    gap = m["neg_elbo"] - nll if nll is not None and "neg_elbo" in m else None
    values = {
        "neg_elbo": m.get("neg_elbo"),
        "recon": m.get("recon_nll"),
        "kl": m.get("kl"),
        "nll": nll,
        "gap": gap,
        "k": k,
        "images": m.get("test_images"),
    }
    return {t("elbo_curves.col_model"): resources.title(role)} | {
        t(f"elbo_curves.col_{name}"): explain.cell(v, 2) for name, v in values.items()
    }


if chosen:
    st.dataframe(pd.DataFrame([metrics_row(r) for r in chosen]), hide_index=True, width="stretch")
    st.caption(t("elbo_curves.table_caption"))

# --- 3. The rate-distortion plane ---------------------------------------------------------------
st.header(t("elbo_curves.plane_header"))
st.markdown(t("elbo_curves.plane_text"))


def plane_points() -> pd.DataFrame:
    """Every VAE with test metrics: rate R = KL, distortion D = reconstruction −log p(x|z), and its β."""
    rows = []
    for role in store.SHIPPED:
        m, config = resources.model_json(role, store.METRICS), resources.model_json(role, store.CONFIG)
        if m and config and config.get("kind") == "vae" and "kl" in m:
            rows.append(
                {
                    "role": role,
                    "model": resources.title(role),
                    "rate": m["kl"],
                    "distortion": m["recon_nll"],
                    "neg_elbo": m["kl"] + m["recon_nll"],
                    "beta": float(config.get("beta", 1.0)),
                    "family": role in store.BETA_FAMILY.values(),
                }
            )
    return pd.DataFrame(rows, columns=["role", "model", "rate", "distortion", "neg_elbo", "beta", "family"])


def ae_lines() -> pd.DataFrame:
    """The AEs' distortions: the β → 0 end, where the rate is unbounded."""
    rows = [
        {"role": r, "model": resources.title(r), "distortion": m["recon_nll"]}
        for r in ("ae_32d", "ae_2d")
        if (m := resources.model_json(r, store.METRICS))
    ]
    return pd.DataFrame(rows, columns=["role", "model", "distortion"])


@st.cache_data(show_spinner=False)
def code_free_distortion() -> float:
    """The distortion at rate 0: the bundled digits under independent pixels at their mean frequency."""
    return explain.factorised_bernoulli_nll(resources.binary_test_digits())


points, aes, collapse_d = plane_points(), ae_lines(), code_free_distortion()
if points.empty:
    st.info(t("elbo_curves.plane_none"))
else:
    low = float(min(points["distortion"].min(), aes["distortion"].min() if len(aes) else np.inf)) - 10
    high = collapse_d + 10
    levels = np.arange(25 * np.ceil(low / 25), 25 * np.ceil((high + points["rate"].max()) / 25) + 1, 25)
    top = 1.15 * float(points["rate"].max())
    isolines = pd.DataFrame(explain.equal_elbo_lines(levels, (low, high), rate_max=top))
    labels = pd.DataFrame(
        [
            {"distortion": lv - top, "rate": top, "label": f"R+D = {lv:g}"}  # every other line: room on a phone
            for lv in levels
            if low <= lv - top <= high and lv % 50 == 0
        ]
    )
    family = points[points["family"]].sort_values("beta")
    roles = tuple(points["role"]) + tuple(aes["role"])
    display.chart(
        plane_spec(lang, roles),
        points=points.drop(columns=["role", "family"]),
        isolines=isolines,
        isolabels=labels,
        ae=aes.drop(columns=["role"]),
        beta_path=family[["rate", "distortion", "beta"]],
        collapse=pd.DataFrame([{"distortion": collapse_d, "rate": 0.0}]),
    )
    st.markdown(t("elbo_curves.plane_reading", collapse=collapse_d))
    if len(family) >= 2:
        first, last = family.iloc[0], family.iloc[-1]
        kl_dims = (resources.model_json(last["role"], store.METRICS) or {}).get("kl_per_dimension", [])
        st.markdown(
            t(
                "elbo_curves.plane_family",
                beta_low=first["beta"],
                beta_high=last["beta"],
                rate_low=first["rate"],
                rate_high=last["rate"],
                d_low=first["distortion"],
                d_high=last["distortion"],
                collapsed=sum(k < ACTIVE for k in kl_dims),
                dims=len(kl_dims),
            )
        )
    if len(aes):
        st.markdown(t("elbo_curves.plane_ae", ae="; ".join(f"{r.model}: {r.distortion:.1f}" for r in aes.itertuples())))

# --- 4. Which dimensions are used ---------------------------------------------------------------
st.header(t("elbo_curves.dims_header"))
metrics = resources.model_json("vae_main", store.METRICS)
if metrics is None or "kl_per_dimension" not in metrics:
    st.info(t("elbo_curves.dims_none", command=f"python -m vae_tf.evaluate --model models/{store.SHIPPED['vae_main']}"))
else:
    kl = np.array(metrics["kl_per_dimension"])
    display.chart(kl_spec(lang), kl=pd.DataFrame({"dimension": np.arange(1, len(kl) + 1), "kl": kl}))
    st.markdown(t("elbo_curves.dims_text", active=int(np.sum(kl > ACTIVE)), dims=len(kl), cut=ACTIVE))
    with st.expander(t("elbo_curves.dims_more"), icon=":material/info:"):
        st.markdown(t("elbo_curves.dims_caption"))

st.divider()
navigation.link("pages/anomaly.py", "site.next_page", icon=":material/arrow_forward:", page=t("site.nav_anomaly"))
share.share_box(["term", "models"])
