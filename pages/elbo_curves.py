"""ELBO curves: training histories, the IWAE bound's gain over the ELBO against k, the rate-distortion
plane of every VAE (Alemi et al. 2018), and the KL of each latent dimension. One colour and one marker
per model on every chart (the specs are in vae_site/charts.py)."""

import numpy as np
import pandas as pd
import streamlit as st

from vae_site import charts, display, i18n, navigation, resources, share, teach
from vae_site.i18n import t
from vae_tf import explain, store
from vae_tf.figures import bounds as bounds_figure

navigation.enter()

TERMS = ("neg_elbo", "recon", "kl")
MODELS = tuple(store.MNIST_MODELS)  # the models of MNIST digits: the core, then β in numeric order
ACTIVE = 0.01  # nats of KL above which a latent dimension counts as used

st.title(t("elbo_curves.title"))
st.markdown(t("elbo_curves.intro"))
st.info(t("elbo_curves.try"), icon=":material/touch_app:")
navigation.link("pages/glossary.py", "elbo_curves.glossary_link", icon=":material/dictionary:")


@st.cache_resource(show_spinner=False)
def history_frame(role: str, directory: str, lang: str) -> pd.DataFrame | None:
    """A model's history.json (in `directory`, the role's) as long rows: epoch, term, split, nats, model
    (its name in `lang`). Shared by every session: the page filters it, never changes it."""
    history = resources.model_json(role, store.HISTORY)
    if history is None:
        return None
    model = resources.title(role, lang)
    rows = [
        {"epoch": epoch, "term": term, "split": split, "nats": value, "model": model}
        for term in TERMS
        for split, prefix in zip(charts.SPLITS, ("", "val_"), strict=True)
        for epoch, value in zip(history["epoch"], history.get(prefix + term, []), strict=False)  # an AE has no KL
    ]
    return pd.DataFrame(rows, columns=["epoch", "term", "split", "nats", "model"])


def kl_growth(role: str) -> tuple[float, float, int] | None:
    """A VAE's training KL at its first and last epoch, and its epochs (None without a history)."""
    kl = (resources.model_json(role, store.HISTORY) or {}).get("kl")
    return (float(kl[0]), float(kl[-1]), len(kl)) if kl else None


def numbers(values: dict[str, float], decimals: int = 1) -> str:
    """Model: number pairs for a chart's text alternative, e.g. "VAE, 2-D: 136.9; AE, 2-D: 127.8"."""
    return "; ".join(f"{name}: {value:.{decimals}f}" for name, value in values.items())


def history_alt(data: pd.DataFrame, term: str, roles) -> str:
    """What the history chart shows, with each model's last validation value."""
    last = data[data["split"] == "validation"].sort_values("epoch").groupby("model", sort=False)["nats"].last()
    values = {resources.title(r): last[resources.title(r)] for r in roles if resources.title(r) in last}
    term_name = t(f"elbo_curves.term_{term}")
    return t("elbo_curves.history_alt", term=term_name, count=len(roles), values=numbers(values))


# --- 1. Training histories ---------------------------------------------------------------
st.header(t("elbo_curves.history_header"))
lang = i18n.current()
frames = {role: history_frame(role, resources.cache_key(role), lang) for role in MODELS}
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
    format_func={c: t(f"elbo_curves.term_{c}") for c in TERMS}.get,  # labels made now (see i18n.bound)
)
chosen = share.multiselect(
    t("elbo_curves.models_label"),
    "models",
    default,
    available,
    len(available),
    format_func={r: resources.title(r) for r in available}.get,  # labels made now, like the term's
    help=t("elbo_curves.models_help"),
)
chosen = sorted(chosen, key=MODELS.index)  # every legend and table in one order, β numerically
data = pd.concat([frames[r] for r in chosen]) if chosen else pd.DataFrame()
data = data[data["term"] == term] if len(data) else data
if data.empty:
    st.info(t("elbo_curves.pick"))
else:
    drawn = tuple(r for r in chosen if resources.title(r) in set(data["model"]))  # an AE has no KL line
    display.chart(charts.history_spec(lang, term, drawn), alt=history_alt(data, term, drawn), history=data)
    st.caption(t("elbo_curves.history_caption"))
growth = kl_growth("vae_32d")
if growth:
    first, last, epochs = growth
    answer = "rises" if last > first + 0.5 else "falls" if last < first - 0.5 else "flat"
    reveal = t("elbo_curves.predict_kl_reveal", model=resources.title("vae_32d"), first=first, last=last, epochs=epochs)
    teach.predict(
        "kl_growth",
        t("elbo_curves.predict_kl", model=resources.title("vae_32d")),
        {c: t(f"elbo_curves.predict_kl_{c}") for c in ("falls", "flat", "rises")},
        answer,
        reveal + (" " + t("elbo_curves.predict_kl_why") if answer == "rises" else ""),
        ready=term == "kl",
    )

# --- 2. The IWAE bound's gain over the ELBO -----------------------------------------------------
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
    last = gaps[gaps["k"] == gaps["k"].max()]
    alt = t(
        "elbo_curves.gap_alt",
        k=int(last["k"].iloc[0]),
        count=len(last),
        values=numbers(dict(zip(last["model"], last["gap"], strict=True))),
    )
    display.chart(charts.gap_spec(lang, tuple(gaps["role"].unique())), alt=alt, gap=gaps.drop(columns=["role"]))
    st.caption(
        t(
            "elbo_curves.gap_caption",
            k=int(last["k"].iloc[0]),
            digits=bounds_figure.DIGITS,
            draws=bounds_figure.K,
            low=float(last["gap"].min()),
            high=float(last["gap"].max()),
        )
    )


def metrics_row(role: str) -> dict:
    """A model's test metrics as table cells: "–" where a model has no such number."""
    m = resources.model_json(role, store.METRICS) or {}
    nll = store.iwae_nll(m) if m else None
    values = {
        "neg_elbo": m.get("neg_elbo"),
        "recon": m.get("recon_nll"),
        "kl": m.get("kl"),
        "nll": nll,
        "gap": m["neg_elbo"] - nll if nll is not None and "neg_elbo" in m else None,
    }
    return {t("elbo_curves.col_model"): resources.title(role)} | {
        t(f"elbo_curves.col_{name}"): explain.cell(v, 2) for name, v in values.items()
    }


def table_note(roles) -> str:
    """The table's caption: the sample counts k and the test images behind its numbers."""
    found = [resources.model_json(r, store.METRICS) or {} for r in roles]
    ks = sorted({m["k"] for m in found if m.get("k")})
    images = sorted({m["test_images"] for m in found if m.get("test_images")})
    return t(
        "elbo_curves.table_caption",
        k=" / ".join(explain.cell(k) for k in ks) or "–",
        images=" / ".join(explain.cell(n) for n in images) or "–",
    )


if chosen:
    # A static table whose cells wrap: at phone width a data grid hid its right columns.
    st.table(pd.DataFrame([metrics_row(r) for r in chosen]).set_index(t("elbo_curves.col_model")))
    st.caption(table_note(chosen))

# --- 3. The rate-distortion plane ---------------------------------------------------------------
st.header(t("elbo_curves.plane_header"))
st.markdown(t("elbo_curves.plane_text"))


def plane_points() -> pd.DataFrame:
    """Every VAE with test metrics: rate R = KL, distortion D = reconstruction −log p(x|z), and its β."""
    rows = []
    for role in MODELS:
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
        for r in charts.AES
        if (m := resources.model_json(r, store.METRICS))
    ]
    return pd.DataFrame(rows, columns=["role", "model", "distortion"])


@st.cache_data(show_spinner=False)
def code_free_distortion() -> float:
    """The distortion at rate 0: the bundled digits under independent pixels at their mean frequency."""
    return explain.factorised_bernoulli_nll(resources.binary_test_digits())


def isolines(points: pd.DataFrame, aes: pd.DataFrame, collapse_d: float) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Lines of equal R + D every 25 nats across the plane, labels on every other one, and the rate axis's top."""
    low = float(min(points["distortion"].min(), aes["distortion"].min() if len(aes) else np.inf)) - 10
    high = collapse_d + 10
    levels = np.arange(25 * np.ceil(low / 25), 25 * np.ceil((high + points["rate"].max()) / 25) + 1, 25)
    top = 1.15 * float(points["rate"].max())
    lines = pd.DataFrame(explain.equal_elbo_lines(levels, (low, high), rate_max=top))
    labels = pd.DataFrame(
        [
            {"distortion": lv - top, "rate": top, "label": f"R+D = {lv:g}"}  # every other line: room on a phone
            for lv in levels
            if low <= lv - top <= high and lv % 50 == 0
        ]
    )
    return lines, labels, top


def family_answer(family: pd.DataFrame) -> str:
    """Where the family's largest β sits: on the axis R = 0, low, or high (for the prompt)."""
    rate = float(family["rate"].iloc[-1])
    return "axis" if rate < ACTIVE * 10 else "low" if rate < 0.5 * family["rate"].max() else "high"


points, aes, collapse_d = plane_points(), ae_lines(), code_free_distortion()
family = points[points["family"]].sort_values("beta")
guess = teach.SKIP  # without a family there is no question, and the plane shows at once
if len(family) >= 2:
    guess = teach.predict(
        "beta_high",
        t("elbo_curves.predict_plane", beta=family["beta"].iloc[-1]),
        {c: t(f"elbo_curves.predict_plane_{c}") for c in ("high", "low", "axis")},
        family_answer(family),
        t(
            "elbo_curves.predict_plane_reveal",
            beta=family["beta"].iloc[-1],
            rate=family["rate"].iloc[-1],
            distortion=family["distortion"].iloc[-1],
            collapse=collapse_d,
        ),
        hides=True,
    )
if points.empty:
    st.info(t("elbo_curves.plane_none"))
elif guess is not None:  # the plane answers the question: it waits for a choice
    lines, labels, top = isolines(points, aes, collapse_d)
    alt = t(
        "elbo_curves.plane_alt",
        count=len(points),
        values="; ".join(t("elbo_curves.plane_point", **row) for row in points.to_dict("records")),
        ae=numbers(dict(zip(aes["model"], aes["distortion"], strict=True))),
        collapse=collapse_d,
    )
    display.chart(
        charts.plane_spec(lang, tuple(points["role"]), tuple(aes["role"]), (-0.04 * top, top)),
        alt=alt,
        points=points.drop(columns=["role", "family"]),
        isolines=lines,
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
                cut=ACTIVE,
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
    active = int(np.sum(kl > ACTIVE))
    share_active = active / len(kl)
    guess = teach.predict(
        "active",
        t("elbo_curves.predict_dims", dims=len(kl), cut=ACTIVE),
        {c: t(f"elbo_curves.predict_dims_{c}", dims=len(kl)) for c in ("all", "half", "few")},
        "all" if share_active > 0.9 else "half" if share_active > 0.25 else "few",
        t("elbo_curves.predict_dims_reveal", active=active, dims=len(kl), cut=ACTIVE),
        hides=True,
    )
    if guess is not None:  # the bars answer the question: they wait for a choice
        alt = t("elbo_curves.kl_alt", dims=len(kl), active=active, cut=ACTIVE, top=kl.max(), inactive=len(kl) - active)
        kl_bars = pd.DataFrame({"dimension": np.arange(1, len(kl) + 1), "kl": kl})
        display.chart(charts.kl_spec(lang), alt=alt, kl=kl_bars)
        st.markdown(t("elbo_curves.dims_text", active=active, dims=len(kl), inactive=len(kl) - active, cut=ACTIVE))
        with st.expander(t("elbo_curves.dims_more"), icon=":material/info:"):
            st.markdown(t("elbo_curves.dims_caption"))

teach.recap(t("elbo_curves.recap_1"), t("elbo_curves.recap_2"), t("elbo_curves.recap_3"))
st.divider()
navigation.link("pages/anomaly.py", "site.next_page", icon=":material/arrow_forward:", page=t("site.nav_anomaly"))
share.share_box(["term", "models"])
