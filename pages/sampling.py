"""Sampling: digits decoded from the prior, the 2-D latent space (decoded as you move), every
latent dimension, and interpolation between two digits."""

import numpy as np
import streamlit as st

from vae_site import display, latent_map, navigation, resources, share, teach, uploads
from vae_site.i18n import t
from vae_tf import data, explain

navigation.enter()

QUANTILES = (0.05, 0.95)  # the grid's codes: equally spaced quantiles of N(0, 1) from the first to the second
DIMENSION_RANGE = (-3.0, 3.0)  # each latent dimension's slider, and how far the page moves one to see its effect
VISIBLE = 0.5  # a dimension "changes the digit" when some pixel's probability moves by more than this

display.crisp_images()
st.title(t("sampling.title"))
st.info(t("sampling.try_this"), icon=":material/lightbulb:")
navigation.link("pages/glossary.py", "sampling.glossary_link", icon=":material/dictionary:")
vae, vae_2d = resources.require("vae_main"), resources.require("vae_2d")
digits, labels = resources.mnist_test_digits()


def epochs(role: str):
    """A model's training epochs, from its run.json ("–" if missing)."""
    run = resources.model_json(role, "run.json") or {}
    return run.get("args", {}).get("epochs", t("sampling.missing"))


@st.cache_data(show_spinner=False, max_entries=64)
def draws_score(seed: int, count: int, temperature: float) -> float:
    """The main VAE's mean -ELBO (nats) of the Bernoulli draws the page shows for these settings."""
    means = vae.decode(vae.sample_prior(count, seed, temperature))
    return float(vae.elbo_terms(data.binarize(means, seed), seed=0, draws=10)["neg_elbo"].mean())


@st.cache_data(show_spinner=False)
def active_dimensions(start: tuple[float, ...]) -> int:
    """How many of the main VAE's dimensions, moved alone across their range from `start`, change the digit."""
    effects = explain.dimension_effects(vae.decode, np.array(start, np.float32), *DIMENSION_RANGE)
    return int((effects > VISIBLE).sum())


def temperature_prompt(seed: int, count: int, temperature: float) -> None:
    """Predict, then check: what raising the temperature does to the drawn digits, by the model's own score."""
    answer, reveal = "", ""
    if temperature > 1.0:  # the move is made: score both settings (~40 ms each, then cached)
        raised, base = draws_score(seed, count, temperature), draws_score(seed, count, 1.0)
        answer = "messier" if raised > base + 0.5 else "cleaner" if raised < base - 0.5 else "same"
        typical = float(np.median(resources.figure("vae_main", "anomaly")["mnist/neg_elbo"]))
        reveal = t("sampling.temperature_reveal", raised=raised, temperature=temperature, base=base, typical=typical)
    choices = {c: t(f"sampling.temperature_{c}") for c in ("cleaner", "messier", "same")}
    teach.predict("temperature", t("sampling.temperature_question"), choices, answer, reveal, ready=temperature > 1.0)


def dims_prompt(start: np.ndarray, moved: bool) -> None:
    """Predict, then check: how many latent dimensions change the digit at all."""
    active, count = active_dimensions(tuple(float(v) for v in start)), len(start)
    answer = "all" if active >= 0.9 * count else "few" if active <= 0.25 * count else "half"
    low, high = DIMENSION_RANGE
    numbers = dict(low=low, high=high, threshold=VISIBLE, active=active, count=count, idle=count - active)
    teach.predict(
        "dims",
        t("sampling.dims_question", count=count),
        {c: t(f"sampling.dims_{c}") for c in ("all", "half", "few")},
        answer,
        t("sampling.dims_reveal", **numbers),
        ready=moved,
    )


# --- The 2-D latent space: the grid, a point, the map that decodes under the pointer --------
st.header(t("sampling.latent_heading"))
st.markdown(t("sampling.latent_intro"))
map_slot = st.container()  # the map comes first on the page; its point is set by the sliders under it
share.restore("start", 0, share.integer(0, len(digits) - 1))  # the map shows the ends' posteriors
share.restore("end", 1, share.integer(0, len(digits) - 1))
left, right = st.columns([3, 2])
with left:
    n = 15
    low, high = QUANTILES
    display.picture(
        display.grid(vae_2d.decode(explain.normal_quantile_grid(n, low, high)), columns=n, size=28, gap=0),
        alt=t("sampling.grid_alt", n=n, low=low, high=high),
        caption=t("sampling.grid_caption", low=low, high=high),
        width="stretch",
    )
with right:
    point = (share.slider("z₁", "z1", 0.0, -3.0, 3.0, 0.05), share.slider("z₂", "z2", 0.0, -3.0, 3.0, 0.05))
    display.digits(
        vae_2d.decode(np.array([point], np.float32)),
        captions=[t("sampling.point_caption", z1=point[0], z2=point[1])],
        size=140,
        alt=t("sampling.point_alt", z1=point[0], z2=point[1]),
    )
ends_2d = [int(st.session_state["start"]), int(st.session_state["end"])]
mean_2d, std_2d = vae_2d.encode(resources.binary_test_digits()[ends_2d])
posteriors = [
    (t("sampling.end_label", which=t(f"sampling.{w}_short"), index=i, label=int(labels[i])), m, s)
    for w, i, m, s in zip(("start", "end"), ends_2d, mean_2d, std_2d, strict=True)
]
with map_slot:
    latent_map.draw("vae_2d", [(t("sampling.your_point"), point)], height=340, posteriors=posteriors)
    st.caption(t("sampling.map_caption", count=len(digits)))

# --- Prior samples ----------------------------------------------------------------------
st.header(t("sampling.prior_heading"))
components = len(vae.prior_means)
st.markdown(t("sampling.prior_intro", components=components) if components > 1 else t("sampling.prior_intro_standard"))
c1, c2, c3 = st.columns(3)
seed = share.number_input(
    t("sampling.seed"), "seed", 0, 0, 2**31 - 1, where=c1, help=t("sampling.seed_help", low=0, high=2**31 - 1)
)
count = share.slider(t("sampling.count"), "count", 24, 1, 64, 1, where=c2)
temperature = share.slider(
    t("sampling.temperature"), "temperature", 1.0, 0.1, 1.5, 0.05, where=c3, help=t("sampling.temperature_help")
)
temperature_prompt(seed, count, temperature)
means = vae.decode(vae.sample_prior(count, seed, temperature))
st.markdown(t("sampling.pair_intro"))
one = "_one" if len(means) == 1 else ""  # "1 digit", not "1 digits"
left, right = st.columns(2)
with left:
    st.subheader(t("sampling.mean_heading"))
    display.picture(
        display.grid(means, columns=8, size=56),
        alt=t(f"sampling.mean_alt{one}", count=len(means), temperature=temperature, seed=seed),
        caption=t(f"sampling.mean_caption{one}", count=len(means)),
    )
with right:
    st.subheader(t("sampling.draw_heading"))
    display.picture(
        display.grid(data.binarize(means, seed), columns=8, size=56),
        alt=t(f"sampling.draw_alt{one}", count=len(means)),
        caption=t("sampling.draw_caption"),
    )
with st.expander(t("sampling.mean_vs_draw_heading")):
    st.markdown(t("sampling.mean_vs_draw"))

# --- Every dimension of the larger model ----------------------------------------------------
st.header(t("sampling.dims_heading", count=vae.latent_size))
prior_mean = np.round(vae.prior_means.mean(axis=0), 1).clip(-3.0, 3.0)
with st.expander(t("sampling.dims_expander")):
    reset = st.button(t("sampling.dims_reset"), key="reset_dims")
    for j in range(vae.latent_size):  # the sliders' values live in the session state only
        if reset or f"dim_{j}" not in st.session_state:
            st.session_state[f"dim_{j}"] = float(prior_mean[j])
    prompt = st.container()  # above the sliders, answered once one has moved
    cols = st.columns(4)
    dims = np.array(
        [cols[j % 4].slider(f"z{j + 1}", *DIMENSION_RANGE, step=0.1, key=f"dim_{j}") for j in range(vae.latent_size)],
        np.float32,
    )
    with prompt:
        dims_prompt(prior_mean, moved=bool(np.any(np.abs(dims - prior_mean) > 1e-6)))
    display.digits(
        vae.decode(dims[None]),
        captions=[t("sampling.dims_decoded")],
        size=140,
        alt=t("sampling.dims_alt", count=vae.latent_size),
    )
    st.caption(t("sampling.dims_caption"))

# --- Interpolation --------------------------------------------------------------------------
st.header(t("sampling.interp_heading"))
steps = 10
st.markdown(t("sampling.interp_intro", steps=steps))
c1, c2 = st.columns(2)
start = share.test_digit(t("sampling.start"), "start", 0, digits, labels, c1)
end = share.test_digit(t("sampling.end"), "end", 1, digits, labels, c2)
ends = [digits[start], digits[end]]
alt_key, alt_numbers = "sampling.interp_alt", dict(start=start, start_label=int(labels[start]))
alt_numbers.update(end=end, end_label=int(labels[end]), steps=steps)
uploaded = uploads.digits_from_uploader(t("sampling.upload"), key="interp_upload", multiple=True)
if len(uploaded) >= 2:
    ends = [uploaded[0].image, uploaded[1].image]
    alt_key, alt_numbers = "sampling.interp_alt_uploads", dict(steps=steps)
    st.caption(t("sampling.using_uploads"))
elif len(uploaded) == 1:
    st.info(t("sampling.one_upload"))
for role in ("vae_main", "vae_32d", "ae_32d"):
    served = resources.require(role)
    z_ends, _ = served.encode(np.stack(ends))
    st.markdown(t("sampling.interp_row", model=resources.title(role)))
    display.picture(
        display.grid(served.decode(explain.interpolate(z_ends[0], z_ends[1], steps)), columns=steps, size=56),
        alt=t(alt_key, model=resources.title(role), **alt_numbers),
    )
with st.expander(t("sampling.interp_why_heading")):
    st.markdown(t("sampling.interp_caption", vae_epochs=epochs("vae_32d"), ae_epochs=epochs("ae_32d")))

teach.recap(t("sampling.recap_prior"), t("sampling.recap_pixels"), t("sampling.recap_space"))
navigation.link(
    "pages/reconstruction.py", "site.next_page", icon=":material/arrow_forward:", page=t("site.nav_reconstruction")
)
share.share_box(["seed", "count", "temperature", "z1", "z2", "start", "end"], note=t("share.uploads_stay"))
