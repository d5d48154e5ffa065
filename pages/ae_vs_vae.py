"""AE vs VAE: the same trunks and training budget, with and without the KL term, and the KL
weight beta in between (the 2-D VAE family of `store.BETA_FAMILY`; beta -> 0 is the AE)."""

import numpy as np
import pandas as pd
import streamlit as st

from vae_site import display, latent_map, navigation, resources, share, teach
from vae_site.i18n import t
from vae_tf import explain, store

navigation.enter()

PAIRS = ("vae_2d", "ae_2d", "vae_32d", "ae_32d")
CODES = 200  # prior codes per model behind the holes table
SHOWN = 16  # of which each model shows the first
BETAS = ("0",) + tuple(f"{b:g}" for b in store.BETA_FAMILY)  # "0" is the AE: the beta -> 0 end
START = 1.0  # the slider's first β: the ELBO itself
RECONSTRUCTED = list(range(8))  # test digits reconstructed by the chosen beta model
RINGED = RECONSTRUCTED[:3]  # ... whose posteriors the beta map draws
SHARED = ["prior_seed", "beta", "a", "b"]
SEEDED = ["prior_holes", "beta_prior", "share"]  # the fragments a new seed reruns (not the whole page)

display.crisp_images()
st.title(t("ae_vs_vae.title"))
st.info(t("ae_vs_vae.try_this", high=BETAS[-1], low=BETAS[1]), icon=":material/lightbulb:")
navigation.link("pages/glossary.py", "ae_vs_vae.glossary_link", icon=":material/dictionary:")
digits, labels = resources.mnist_test_digits()


def run_args(role: str) -> dict:
    """A model's training arguments from run.json ({} if missing)."""
    return (resources.model_json(role, "run.json") or {}).get("args", {})


def widths(role: str) -> str:
    """A model's trunk widths, e.g. "512-512"."""
    return "-".join(map(str, run_args(role).get("widths", []))) or "–"


def prior_decodes(role: str, seed: int, count: int) -> np.ndarray:
    """`count` codes z ~ p(z) from `seed`, decoded by a model: (count, 28, 28).

    Not cached: decoding takes a few milliseconds, and a cache per seed kept every seed's images in
    the server's memory (BENCHMARKS.md, site_speed).
    """
    served = resources.require(role)
    return served.decode(served.sample_prior(count, seed))


@st.cache_resource(show_spinner=False)
def real_reference() -> tuple[np.ndarray, float, float]:
    """The test digits as `explain.unit_pixels`, made once, and the real digits against each other.

    Returns:
      the references, the 5th percentile of a real digit's similarity to its nearest other one, and variety.
    """
    references = explain.unit_pixels(digits)
    similarity, _ = explain.similarity_to_nearest(digits[:CODES], references[CODES:])
    return references, float(np.percentile(similarity, 5)), explain.variety(digits[:CODES])


def holes_row(role: str, decoded: np.ndarray, references: np.ndarray, cut: float) -> dict:
    """How digit-like and how varied a model's decoded prior codes are."""
    similarity, _ = explain.similarity_to_nearest(decoded, references)
    return {
        "model": resources.title(role),
        "similarity": float(np.median(similarity)),
        "unlike": 100.0 * float(np.mean(similarity < cut)),
        "variety": explain.variety(decoded),
    }


def table(rows: list[dict], decimals: dict[str, int], titles: dict[str, str]) -> None:
    """A table: each column rounded one way (whole numbers as integers), missing values "–", headers translated.

    A static table (`st.table`), whose cells wrap: at phone width a data grid would hide its right columns.
    """
    frame = pd.DataFrame(rows).set_index("model").rename_axis(t("ae_vs_vae.col_model"))
    cells = frame.apply(lambda column: column.map(lambda v: explain.cell(v, decimals[column.name])))
    st.table(cells.rename(columns=titles))


def spread(role: str) -> float:
    """The mean standard deviation of a model's test codes."""
    return float(resources.mnist_test_codes(role).std(axis=0).mean())


def digit_names(indices) -> str:
    """Test digits by index and label, e.g. "#0 (7), #1 (2)"."""
    return ", ".join(f"#{i} ({int(labels[i])})" for i in indices)


with st.expander(t("ae_vs_vae.about_heading")):
    st.markdown(
        t(
            "ae_vs_vae.about",
            widths=widths("vae_2d"),
            epochs_2d=run_args("vae_2d").get("epochs", "–"),
            epochs_32d=run_args("vae_32d").get("epochs", "–"),
        )
    )

# --- The two 2-D maps -------------------------------------------------------------------------
st.header(t("ae_vs_vae.maps_heading"))
left, right = st.columns(2)
for where, role in ((left, "vae_2d"), (right, "ae_2d")):
    with where:
        st.subheader(resources.title(role))
        latent_map.draw(role, height=320, key=f"map_{role}")
st.caption(t("ae_vs_vae.maps_caption", ratio=spread("ae_2d") / spread("vae_2d"), count=len(digits)))


# --- Decoding the prior: which model turns random codes into digits --------------------------
@st.fragment(key="prior_holes")
def holes() -> None:
    """The seed, each model's decoded prior codes, and how digit-like they are.

    A fragment: a new seed reruns it, the β section's decoded prior and the share box (`SEEDED`),
    not the whole page. A function, so that its arrays (~2.5 MB of decodes) are freed after the run.
    """
    seed = share.number_input(t("ae_vs_vae.seed"), "prior_seed", 0, 0, 2**31 - 1, on_change=lambda: st.rerun(SEEDED))
    decoded = {role: prior_decodes(role, seed, CODES) for role in PAIRS}
    references, cut, real_variety = real_reference()
    rows = {role: holes_row(role, decoded[role], references, cut) for role in PAIRS}
    worst = max(PAIRS, key=lambda r: rows[r]["unlike"])
    guess = teach.predict(
        "holes",
        t("ae_vs_vae.predict_holes", count=CODES),
        {role: resources.title(role) for role in PAIRS},
        worst,
        t(
            "ae_vs_vae.predict_holes_reveal",
            model=rows[worst]["model"],
            unlike=rows[worst]["unlike"],
            others=max(rows[r]["unlike"] for r in PAIRS if r != worst),
            count=CODES,
        ),
        hides=True,
    )
    if guess is None:  # the decoded codes and their table answer the question: they wait for a choice
        return
    for role in PAIRS:
        st.markdown(f"**{resources.title(role)}**")
        alt = t(
            "ae_vs_vae.holes_alt",
            shown=SHOWN,
            model=rows[role]["model"],
            seed=seed,
            unlike=rows[role]["unlike"],
            count=CODES,
        )
        display.picture(display.grid(decoded[role][:SHOWN], columns=SHOWN, size=48), alt=alt)
    st.markdown(t("ae_vs_vae.holes_caption", ae_spread=spread("ae_2d"), count=CODES))
    table(
        list(rows.values())
        + [{"model": t("ae_vs_vae.real_digits"), "similarity": None, "unlike": 5.0, "variety": real_variety}],
        {"similarity": 2, "unlike": 0, "variety": 2},
        {c: t(f"ae_vs_vae.col_{c}") for c in ("similarity", "unlike", "variety")},
    )
    with st.expander(t("ae_vs_vae.holes_how_heading")):
        st.markdown(t("ae_vs_vae.holes_how", count=CODES, cut=cut, real=real_variety, references=len(references)))


st.header(t("ae_vs_vae.holes_heading"))
holes()


# --- The beta family ---------------------------------------------------------------------------
def beta_role(code: str) -> str:
    """The model of a slider position: "0" is the 2-D AE."""
    return "ae_2d" if code == "0" else store.BETA_FAMILY[float(code)]


def beta_metrics(role: str) -> None:
    """The chosen model's rate, distortion, -ELBO and NLL from its metrics.json, two to a row."""
    metrics = resources.model_json(role, store.METRICS)
    if role == "ae_2d" or metrics is None:
        return
    top, bottom = st.columns(2), st.columns(2)  # two to a row: a long Korean label is never cut
    top[0].metric(t("ae_vs_vae.beta_kl"), f"{metrics['kl']:.1f}")
    top[1].metric(t("ae_vs_vae.beta_distortion"), f"{metrics['recon_nll']:.1f}")
    bottom[0].metric(t("ae_vs_vae.beta_neg_elbo"), f"{metrics['neg_elbo']:.1f}")
    bottom[1].metric(t("ae_vs_vae.beta_nll", k=metrics["k"]), f"{store.iwae_nll(metrics):.1f}")


def beta_posteriors(role: str, served) -> list:
    """q(z|x) of a few test digits under the chosen model (none for the AE: it has no spread)."""
    if role == "ae_2d":
        return []
    mean, std = served.encode(resources.binary_test_digits()[RINGED])
    return [
        (t("share.digit_is", index=i, label=int(labels[i])), m, s) for i, m, s in zip(RINGED, mean, std, strict=True)
    ]


def beta_prompt(code: str) -> None:
    """Before β moves up from 1: what happens to the KL? Answered from the family's metrics files."""
    metrics = {b: resources.model_json(r, store.METRICS) for b, r in store.BETA_FAMILY.items()}
    if any(m is None for m in metrics.values()) or START not in metrics:
        return
    one, higher = metrics[START], [m for b, m in metrics.items() if b > START]
    answer = (
        "falls"
        if all(m["kl"] < one["kl"] for m in higher)
        else "rises"
        if all(m["kl"] > one["kl"] for m in higher)
        else "mixed"
    )
    beta = float(code)
    chosen = metrics.get(beta, one)
    teach.predict(
        "beta_kl",
        t("ae_vs_vae.predict_beta", start=f"{START:g}", higher=", ".join(f"{b:g}" for b in metrics if b > START)),
        {c: t(f"ae_vs_vae.predict_beta_{c}") for c in ("falls", "stays", "rises")},
        answer if answer != "mixed" else "stays",
        t(
            "ae_vs_vae.predict_beta_reveal",
            beta=beta,
            kl=chosen["kl"],
            start=f"{START:g}",
            kl_one=one["kl"],
            d=chosen["recon_nll"],
            d_one=one["recon_nll"],
        ),
        ready=beta > START,
    )


@st.fragment(key="beta_prior")
def beta_prior(role: str) -> None:
    """The chosen model's decoded prior codes, from the page's seed (rerun with it, see `holes`)."""
    seed = st.session_state["prior_seed"]
    st.subheader(t("ae_vs_vae.beta_prior"))
    alt = t("ae_vs_vae.beta_prior_alt", shown=SHOWN, model=resources.title(role), seed=seed, columns=4)
    display.picture(display.grid(prior_decodes(role, seed, SHOWN), columns=4, size=56), alt=alt)


def beta_model(role: str) -> None:
    """The chosen β model: its numbers, its map with a few posteriors, its decoded prior, its reconstructions."""
    served = resources.require(role)
    st.markdown(f"**{resources.title(role)}**" + (" · " + t("ae_vs_vae.beta_ae_note") if role == "ae_2d" else ""))
    beta_metrics(role)
    left, right = st.columns([3, 2])
    with left:
        st.subheader(t("ae_vs_vae.beta_map"))
        posteriors = beta_posteriors(role, served)
        latent_map.draw(role, height=320, key="map_beta", posteriors=posteriors)
        if posteriors:
            std = float(np.mean([s for _, _, s in posteriors]))
            centre = float(np.mean([np.linalg.norm(m) for _, m, _ in posteriors]))
            st.caption(t("ae_vs_vae.beta_map_caption", digits=digit_names(RINGED), std=std, centre=centre))
    with right:
        beta_prior(role)
        st.subheader(t("ae_vs_vae.beta_recon"))
        _, _, recon = served.reconstruct(resources.binary_test_digits()[RECONSTRUCTED])
        alt = t("ae_vs_vae.beta_recon_alt", digits=digit_names(RECONSTRUCTED), model=resources.title(role))
        grid = display.grid(np.concatenate([digits[RECONSTRUCTED], recon]), columns=len(RECONSTRUCTED), size=40)
        display.picture(grid, alt=alt)


st.header(t("ae_vs_vae.beta_heading"))
first_beta = store.BETA_FAMILY[store.BETAS[0]]
st.markdown(
    t(
        "ae_vs_vae.beta_intro",
        count=len(store.BETA_FAMILY),
        widths=widths(first_beta),
        epochs=run_args(first_beta).get("epochs", "–"),
    )
)
code = share.select_slider(
    t("ae_vs_vae.beta_slider"),
    "beta",
    f"{START:g}",
    BETAS,
    help=t("ae_vs_vae.beta_help"),
    format_func={c: t("ae_vs_vae.beta_option_ae") if c == "0" else f"β = {c}" for c in BETAS}.get,  # made now
)
beta_prompt(code)
role = beta_role(code)
if resources.model_json(role, store.METRICS) is None and role != "ae_2d":
    st.warning(t("ae_vs_vae.beta_missing", beta=code), icon=":material/warning:")
else:
    beta_model(role)
with st.expander(t("ae_vs_vae.beta_what_heading")):
    st.markdown(t("ae_vs_vae.beta_what"))


# --- Interpolations --------------------------------------------------------------------------
st.header(t("ae_vs_vae.interp_heading"))
c1, c2 = st.columns(2)
a = share.test_digit(t("ae_vs_vae.from"), "a", 3, digits, labels, c1)
b = share.test_digit(t("ae_vs_vae.to"), "b", 2, digits, labels, c2)
for role in PAIRS:
    served = resources.require(role)
    codes, _ = served.encode(np.stack([digits[a], digits[b]]))
    st.markdown(f"**{resources.title(role)}**")
    alt = t("ae_vs_vae.interp_alt", model=resources.title(role), a=digit_names([a]), b=digit_names([b]))
    path = served.decode(explain.interpolate(codes[0], codes[1], 10))
    display.picture(display.grid(path, columns=10, size=56), alt=alt)


# --- Test metrics ------------------------------------------------------------------------------
def metrics_row(role: str) -> dict | None:
    """One model's row of the metrics table, or None (after saying how to make it) if it has none."""
    metrics = resources.model_json(role, store.METRICS)
    if metrics is None:
        st.warning(t("ae_vs_vae.metrics_missing", model=resources.title(role), directory=store.SHIPPED[role]))
        return None
    return {
        "model": resources.title(role),
        "recon": metrics["recon_nll"],
        "mse": metrics["pixel_mse"],
        "neg_elbo": metrics.get("neg_elbo"),
        "nll": store.iwae_nll(metrics),
        "k": metrics.get("k") or None,  # only a VAE has the IWAE estimate of the NLL
        "images": metrics["test_images"],
    }  # k and the images go in the caption: at 390 px the table fits five columns


def listed(values) -> str:
    """Distinct numbers of a column, for the caption: "1,000 / 10,000", or "–" for none."""
    return " / ".join(explain.cell(n) for n in sorted(values)) or "–"


def recon_prompt() -> str | None:
    """Which of the 32-D pair reconstructs better? Answered from their metrics files; returns the
    learner's choice (teach.SKIP, with no question, when a metrics file is missing)."""
    ae, vae = (resources.model_json(r, store.METRICS) for r in ("ae_32d", "vae_32d"))
    if ae is None or vae is None:
        return teach.SKIP
    answer = (
        "ae"
        if ae["recon_nll"] < vae["recon_nll"] - 0.5
        else "vae"
        if vae["recon_nll"] < ae["recon_nll"] - 0.5
        else "same"
    )
    return teach.predict(
        "recon",
        t("ae_vs_vae.predict_recon"),
        {"ae": resources.title("ae_32d"), "vae": resources.title("vae_32d"), "same": t("ae_vs_vae.predict_recon_same")},
        answer,
        t("ae_vs_vae.predict_recon_reveal", ae=ae["recon_nll"], vae=vae["recon_nll"]),
        hides=True,
    )


st.header(t("ae_vs_vae.metrics_heading"))
answered = recon_prompt() is not None  # the table answers the question: it waits for a choice
rows = [row for row in map(metrics_row, store.CORE) if row]
if rows and answered:
    images, ks = {row.pop("images") for row in rows}, {row.pop("k") for row in rows} - {None}
    table(
        rows,
        {"recon": 1, "mse": 4, "neg_elbo": 1, "nll": 1},
        {c: t(f"ae_vs_vae.col_{c}") for c in ("recon", "mse", "neg_elbo", "nll")},
    )
    st.caption(t("ae_vs_vae.metrics_caption", images=listed(images), k=listed(ks)))

teach.recap(t("ae_vs_vae.recap_1"), t("ae_vs_vae.recap_2"), t("ae_vs_vae.recap_3"))
navigation.link(
    "pages/elbo_curves.py", "site.next_page", icon=":material/arrow_forward:", page=t("site.nav_elbo_curves")
)


@st.fragment(key="share")
def share_box() -> None:
    """The sidebar's share box, a fragment so that a new seed brings its link up to date (see `holes`)."""
    share.share_box(SHARED)


share_box()
