"""AE vs VAE: the same trunks and training budget, with and without the KL term, and the KL
weight beta in between (the 2-D VAE family of `store.BETA_FAMILY`; beta -> 0 is the AE)."""

import numpy as np
import pandas as pd
import streamlit as st

from vae_site import display, latent_map, navigation, resources, share
from vae_site.i18n import t
from vae_tf import explain, store

navigation.enter()

PAIRS = ("vae_2d", "ae_2d", "vae_32d", "ae_32d")
CODES = 200  # prior codes per model behind the holes table
BETAS = ("0",) + tuple(f"{b:g}" for b in store.BETA_FAMILY)  # "0" is the AE: the beta -> 0 end
RECONSTRUCTED = list(range(8))  # test digits reconstructed by the chosen beta model
RINGED = RECONSTRUCTED[:3]  # ... whose posteriors the beta map draws
# Korean lines break between any two syllables by default: keep words whole (English is unchanged).
KEEP_WORDS = (
    "<style>[data-testid='stMain'] :is(p, li, span, h1, h2, h3) "
    "{word-break: keep-all !important; overflow-wrap: break-word;}</style>"
)

display.crisp_images()
st.html(KEEP_WORDS)
st.title(t("ae_vs_vae.title"))
st.info(t("ae_vs_vae.try_this", high=BETAS[-1], low=BETAS[1]), icon=":material/lightbulb:")
digits, labels = resources.test_digits()


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
    return float(resources.test_codes(role).std(axis=0).mean())


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
st.caption(t("ae_vs_vae.maps_caption", ratio=spread("ae_2d") / spread("vae_2d")))


# --- Decoding the prior: where the AE fails -----------------------------------------------------
def holes(seed: int) -> None:
    """Each model's decoded prior codes, and how digit-like they are.

    A function, so that its arrays (~2.5 MB of decodes) are freed after the run. The page's globals
    live as long as its widgets do (their callbacks hold them): for a visitor who closes the tab on
    this page, until Streamlit drops the disconnected session.
    """
    decoded = {role: prior_decodes(role, seed, CODES) for role in PAIRS}
    for role in PAIRS:
        st.markdown(f"**{resources.title(role)}**")
        st.image(display.grid(decoded[role][:16], columns=16, size=48))
    st.markdown(t("ae_vs_vae.holes_caption", ae_spread=spread("ae_2d"), count=CODES))
    references, cut, real_variety = real_reference()
    rows = [holes_row(role, decoded[role], references, cut) for role in PAIRS]
    rows.append({"model": t("ae_vs_vae.real_digits"), "similarity": None, "unlike": 5.0, "variety": real_variety})
    table(
        rows,
        {"similarity": 2, "unlike": 0, "variety": 2},
        {
            "similarity": t("ae_vs_vae.col_similarity"),
            "unlike": t("ae_vs_vae.col_unlike"),
            "variety": t("ae_vs_vae.col_variety"),
        },
    )
    with st.expander(t("ae_vs_vae.holes_how_heading")):
        st.markdown(t("ae_vs_vae.holes_how", count=CODES, cut=cut, real=real_variety))


st.header(t("ae_vs_vae.holes_heading"))
seed = share.number_input(t("ae_vs_vae.seed"), "prior_seed", 0, 0, 2**31 - 1)
holes(seed)


# --- The beta family ---------------------------------------------------------------------------
def beta_role(code: str) -> str:
    """The model of a slider position: "0" is the 2-D AE."""
    return "ae_2d" if code == "0" else store.BETA_FAMILY[float(code)]


def beta_metrics(role: str) -> None:
    """The chosen model's rate, distortion, -ELBO and NLL from its metrics.json."""
    metrics = resources.model_json(role, store.METRICS)
    if role == "ae_2d" or metrics is None:
        return
    nll = store.iwae_nll(metrics)
    cols = st.columns(4)
    cols[0].metric(t("ae_vs_vae.beta_kl"), f"{metrics['kl']:.1f}")
    cols[1].metric(t("ae_vs_vae.beta_distortion"), f"{metrics['recon_nll']:.1f}")
    cols[2].metric(t("ae_vs_vae.beta_neg_elbo"), f"{metrics['neg_elbo']:.1f}")
    cols[3].metric(t("ae_vs_vae.beta_nll", k=metrics["k"]), f"{nll:.1f}")


def beta_posteriors(role: str, served) -> list:
    """q(z|x) of a few test digits under the chosen model (none for the AE: it has no spread)."""
    if role == "ae_2d":
        return []
    mean, std = served.encode(resources.binary_test_digits()[RINGED])
    return [
        (t("share.digit_is", index=i, label=int(labels[i])), m, s) for i, m, s in zip(RINGED, mean, std, strict=True)
    ]


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
share.restore("beta", "1", share.one_of(BETAS))
code = st.select_slider(
    t("ae_vs_vae.beta_slider"),
    BETAS,
    key="beta",
    help=t("ae_vs_vae.beta_help"),
    format_func=lambda c: t("ae_vs_vae.beta_option_ae") if c == "0" else f"β = {c}",
)
role = beta_role(code)
if resources.model_json(role, store.METRICS) is None and role != "ae_2d":
    st.warning(t("ae_vs_vae.beta_missing", beta=code), icon=":material/warning:")
else:
    served = resources.require(role)
    st.markdown(f"**{resources.title(role)}**" + (" · " + t("ae_vs_vae.beta_ae_note") if role == "ae_2d" else ""))
    beta_metrics(role)
    left, right = st.columns([3, 2])
    with left:
        st.subheader(t("ae_vs_vae.beta_map"))
        latent_map.draw(role, height=320, key="map_beta", posteriors=beta_posteriors(role, served))
        if role != "ae_2d":
            st.caption(t("ae_vs_vae.beta_map_caption", count=len(RINGED)))
    with right:
        st.subheader(t("ae_vs_vae.beta_prior"))
        st.image(display.grid(prior_decodes(role, seed, 16), columns=4, size=56))
        st.subheader(t("ae_vs_vae.beta_recon"))
        _, _, recon = served.reconstruct(resources.binary_test_digits()[RECONSTRUCTED])
        st.image(display.grid(np.concatenate([digits[RECONSTRUCTED], recon]), columns=len(RECONSTRUCTED), size=40))
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
    st.image(display.grid(served.decode(explain.interpolate(codes[0], codes[1], 10)), columns=10, size=56))


# --- Test metrics ------------------------------------------------------------------------------
def metrics_row(role: str) -> dict | None:
    """One model's row of the metrics table, or None (after saying how to make it) if it has none."""
    metrics = resources.model_json(role, store.METRICS)
    if metrics is None:
        st.warning(t("ae_vs_vae.metrics_missing", model=resources.title(role), directory=store.SHIPPED[role]))
        return None
    k = metrics.get("k") or None  # only a VAE has the IWAE estimate of the NLL
    return {
        "model": resources.title(role),
        "recon": -metrics["recon_nll"],
        "mse": metrics["pixel_mse"],
        "neg_elbo": metrics.get("neg_elbo"),
        "nll": store.iwae_nll(metrics),
        "k": k,
        "images": metrics["test_images"],
    }  # the images go in the caption: 390 px fit six columns


st.header(t("ae_vs_vae.metrics_heading"))
rows = [row for row in map(metrics_row, store.CORE) if row]
if rows:
    images = {row.pop("images") for row in rows}
    table(
        rows,
        {"recon": 1, "mse": 4, "neg_elbo": 1, "nll": 1, "k": 0},
        {c: t(f"ae_vs_vae.col_{c}") for c in ("recon", "mse", "neg_elbo", "nll", "k")},
    )
    st.caption(t("ae_vs_vae.metrics_caption", images=" / ".join(explain.cell(n) for n in sorted(images))))

navigation.link(
    "pages/elbo_curves.py", "site.next_page", icon=":material/arrow_forward:", page=t("site.nav_elbo_curves")
)
share.share_box(["prior_seed", "beta", "a", "b"])
