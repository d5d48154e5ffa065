"""Reconstruction: upload, draw or pick digits; see each preprocessing step, q(z|x) and the ELBO."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from vae_site import display, drawing, i18n, latent_map, navigation, resources, share, teach, uploads
from vae_site.i18n import t
from vae_tf import anomaly, explain

navigation.enter()

DEFAULT_PICKS = (0, 1, 2)  # what an empty page shows
MAX_PICKS = 8
DRAWS = 6  # codes z ~ q(z|x) decoded per digit
BIG_GAP = 2.0  # nats: the fit prompt's line between "a little" and "a lot"
_PICKED = "_reconstruction_picked"  # session key: the visitor chose test digits themselves
SHARED = ["picks", "fit"]  # what the share link holds (uploads and drawings cannot travel in a link)

display.crisp_images()
st.title(t("reconstruction.title"))
st.info(t("reconstruction.try_this"), icon=":material/lightbulb:")
navigation.link("pages/glossary.py", "reconstruction.glossary_link", icon=":material/dictionary:")
vae, vae_2d = resources.require("vae_main"), resources.require("vae_2d")
with st.expander(t("reconstruction.about_heading")):
    st.markdown(t("reconstruction.about", latent=vae.latent_size, draws=DRAWS))


def digit_picker(brought: list) -> list[int]:
    """The test-digit picker; a visitor who brought digits gets no default test digits."""
    digits, labels = resources.mnist_test_digits()
    share.restore("picks", DEFAULT_PICKS, share.list_of(share.integer(0, len(digits) - 1), MAX_PICKS))
    chosen = st.session_state.get(_PICKED) or "picks" in st.query_params
    if brought and not chosen and tuple(st.session_state["picks"]) == DEFAULT_PICKS:
        st.session_state["picks"] = ()  # defaults belong to an empty page
    option = i18n.bound("reconstruction.pick_option")
    # A typed number means that digit: no "select all matches" row, and options that start
    # with their number, so Enter takes the first option whose number starts with the typed one.
    picks = st.multiselect(
        t("reconstruction.picks_label"),
        list(range(len(digits))),
        key="picks",
        max_selections=MAX_PICKS,
        select_all=False,
        filter_mode="prefix",
        format_func=lambda i: option(index=i, label=int(labels[i])),
        help=t("reconstruction.picks_help", count=len(digits), high=len(digits) - 1, most=MAX_PICKS),
    )
    if tuple(picks) != DEFAULT_PICKS:
        st.session_state[_PICKED] = True  # from now on, the visitor's own choice
    return picks


tab_upload, tab_draw, tab_test = st.tabs(
    [t("reconstruction.tab_upload"), t("reconstruction.tab_draw"), t("reconstruction.tab_test")]
)
with tab_upload:
    brought = [
        (uploads.plain(d.name), d) for d in uploads.digits_from_uploader(t("reconstruction.upload_label"), key="upload")
    ]
with tab_draw:
    drawn = drawing.pad("canvas", map_role="vae_2d")
    st.caption(t("drawing.hint"))
    brought += [(drawn.name, drawn)] if drawn else []
with tab_test:
    digits, labels = resources.mnist_test_digits()
    chosen = brought + [
        (t("reconstruction.test_name", index=i, label=int(labels[i])), uploads.Digit(str(i), digits[i]))
        for i in digit_picker(brought)
    ]

# Restored before the empty page stops: the toggle is drawn only beside digits, and its link value stays.
share.restore("fit", False, share.BOOLEAN)
if not chosen:
    st.info(t("reconstruction.empty"))
    share.share_box(SHARED, note=t("share.uploads_stay"))
    st.stop()
fit_prompt_slot = st.container()  # asked above the toggle; answered from the first digit's fit
fit_each = st.toggle(t("reconstruction.fit_toggle"), key="fit", help=t("reconstruction.fit_help", steps=vae.fit_steps))


@st.cache_resource(show_spinner=False)
def posterior_spec(lang: str) -> dict:
    """The chart of q(z|x) per dimension: bars at the means, error bars one σ either side (data "q")."""
    q = alt.Data(name="q")
    dimension = alt.X(
        "dimension:O",
        title=i18n.text(lang, "reconstruction.axis_dimension"),
        axis=alt.Axis(labelAngle=0, values=list(range(1, 33, 4))),
    )
    tooltip = [
        alt.Tooltip("dimension:O", title=i18n.text(lang, "reconstruction.axis_dimension")),
        alt.Tooltip("mean:Q", title="μ", format=".2f"),
        alt.Tooltip("std:Q", title="σ", format=".2f"),
    ]
    bars = (
        alt.Chart(q)
        .mark_bar(color="#3b5bdb")
        .encode(x=dimension, y=alt.Y("mean:Q", title=i18n.text(lang, "reconstruction.axis_mean")), tooltip=tooltip)
    )
    ticks = (
        alt.Chart(q)
        .mark_errorbar(color="#e8590c")
        .encode(x=dimension, y=alt.Y("low:Q", title=i18n.text(lang, "reconstruction.axis_mean")), y2="high:Q")
        .transform_calculate(low="datum.mean - datum.std", high="datum.mean + datum.std")
    )
    return display.vega_lite_spec((bars + ticks).properties(height=200))


def honest_note(check: anomaly.Check) -> None:
    """Say so when the reconstruction did not keep the digit, with the way to the anomaly page."""
    if check.keeps_digit:
        return
    st.warning(
        t(
            "reconstruction.lost_score" if check.score_high else "reconstruction.lost_shape",
            cut=check.score_cut,
            distance_cut=check.distance_cut,
            percentile=anomaly.PERCENTILE,
        ),
        icon=":material/help:",
    )
    navigation.link("pages/anomaly.py", "reconstruction.see_anomaly", icon=":material/report:")


def neighbours(code: np.ndarray) -> None:
    """Name the labels of the test digits whose codes lie nearest to this one, and say so when none has a majority."""
    found = explain.nearest_labels(code, resources.mnist_test_codes("vae_main"), resources.mnist_test_digits()[1])
    k = sum(count for _, count in found)
    counted = ", ".join(t("reconstruction.neighbour", label=label, count=count) for label, count in found)
    st.caption(t("reconstruction.neighbours", k=k, dims=len(code), found=counted))
    if not explain.has_majority(found):
        st.info(t("reconstruction.between", k=k, most=found[0][1]), icon=":material/call_split:")


def draws_prompt(mean: np.ndarray, draws: np.ndarray) -> str | None:
    """Predict, then check: do the codes drawn from q(z|x) decode to the same digit as its mean?
    Returns the learner's choice (None until one is made)."""
    references, labels = resources.mnist_test_codes("vae_main"), resources.mnist_test_digits()[1]
    k = 10
    label = explain.nearest_labels(mean, references, labels, k)[0][0]
    same = sum(explain.nearest_labels(z, references, labels, k)[0][0] == label for z in draws)
    answer = "all" if same == len(draws) else "most" if same >= len(draws) - 2 else "many"
    reveal = "reconstruction.draws_reveal" if answer != "many" else "reconstruction.draws_reveal_wide"
    return teach.predict(
        "draws",
        t("reconstruction.draws_question", draws=len(draws)),
        {c: t(f"reconstruction.draws_{c}") for c in ("all", "most", "many")},
        answer,
        t(reveal, k=k, label=label, same=same, draws=len(draws)),
        hides=True,
    )


def fit_prompt(first: dict) -> None:
    """Predict, then check: how much fitting q(z|x) to the first digit alone lowers its -ELBO."""
    answer, reveal = "", ""
    if "fitted" in first:
        gap = first["encoder"] - first["fitted"]
        answer = "none" if gap < 0.05 else "little" if gap < BIG_GAP else "lot"
        key = "reconstruction.fit_reveal" if answer != "none" else "reconstruction.fit_reveal_none"
        reveal = t(key, encoder=first["encoder"], fitted=first["fitted"], gap=gap)
    teach.predict(
        "fit",
        t("reconstruction.fit_question"),
        {c: t(f"reconstruction.fit_{c}", big=BIG_GAP) for c in ("none", "little", "lot")},
        answer,
        reveal,
        ready="fitted" in first,
    )


def images(title: str, item: uploads.Digit, reconstruction, fitted, posterior, waiting: int = 0) -> None:
    """The input, its reconstruction (and the fitted one), and the decoded draws, each with its alt text;
    `waiting` draws are held back until the question about them is answered."""
    fitted_captions = [t("reconstruction.cap_fitted")] if fitted else []
    fitted_alts = [t("reconstruction.alt_fitted", fitted=fitted[1])] if fitted else []
    display.digits(
        [item.image, reconstruction, *([fitted[0]] if fitted else []), *posterior],
        size=84,
        captions=[t("reconstruction.cap_input"), t("reconstruction.cap_mean")]
        + fitted_captions
        + [t("reconstruction.cap_draw", i=i + 1) for i in range(len(posterior))],
        alt=[t("reconstruction.alt_input", name=title.strip("`")), t("reconstruction.alt_mean")]
        + fitted_alts
        + [t("reconstruction.alt_draw", i=i + 1, draws=len(posterior)) for i in range(len(posterior))],
    )
    if waiting:
        st.caption(t("reconstruction.images_caption_waiting", draws=waiting))
    else:
        st.caption(t("reconstruction.images_caption", draws=len(posterior)))


def steps_shown(item: uploads.Digit, expanded: bool) -> None:
    """How an upload became a 28x28 digit, step by step."""
    with st.expander(t("reconstruction.steps"), expanded=expanded):
        steps = item.preprocessed.steps
        captions = [uploads.say(caption) for caption, _ in steps]
        alts = [t("reconstruction.step_alt", number=i, count=len(steps), step=c) for i, c in enumerate(captions, 1)]
        display.digits([im for _, im in steps], captions=captions, size=112, alt=alts)


def section(number: int, title: str, item: uploads.Digit, first: dict) -> tuple[np.ndarray, np.ndarray]:
    """One digit's story: preprocessing, reconstruction, the ELBO's terms, q(z|x). Returns its 2-D q(z|x).

    The first digit's -ELBO, and its fitted one when the fit is on, go into `first` for the fit prompt.
    """
    st.subheader(f"{number}. {title}")
    if item.preprocessed is not None:
        steps_shown(item, expanded=number == 1)
    for note in item.notes:
        st.info(uploads.say(note))
    mean, std, reconstruction = vae.reconstruct(item.image[None])
    codes = vae.sample_posterior(item.image, DRAWS, seed=number)
    shown = draws_prompt(mean[0], codes) is not None if number == 1 else True
    fitted = anomaly.fitted_score(vae, item.image) if fit_each else None
    if shown:
        images(title, item, reconstruction[0], fitted, vae.decode(codes))
    else:  # the first digit's draws answer the question above them: they wait for a choice
        images(title, item, reconstruction[0], fitted, [], waiting=len(codes))
    reference = resources.figure("vae_main", "anomaly")
    terms, check = anomaly.upload_check(vae, item.image, reconstruction[0], reference)
    c1, c2, c3 = st.columns(3)
    c1.metric(t("reconstruction.metric_recon"), t("reconstruction.nats", value=terms["recon"][0]))
    c2.metric(t("reconstruction.metric_kl"), t("reconstruction.nats", value=terms["kl"][0]))
    c3.metric(t("reconstruction.metric_elbo"), t("reconstruction.nats", value=terms["neg_elbo"][0]))
    encoder = float(terms["neg_elbo"][0])
    if fitted:
        gap = encoder - fitted[1]
        key = "reconstruction.fitted" if gap >= 0.05 else "reconstruction.fitted_no_gap"
        st.markdown(t(key, fitted=fitted[1], encoder=encoder, gap=gap, steps=vae.fit_steps))
    if number == 1:
        first.update(encoder=encoder, **({"fitted": fitted[1]} if fitted else {}))
    honest_note(check)
    neighbours(mean[0])
    with st.expander(t("reconstruction.posterior_heading", count=vae.latent_size)):
        display.chart(
            posterior_spec(i18n.current()),
            q=pd.DataFrame({"dimension": np.arange(1, vae.latent_size + 1), "mean": mean[0], "std": std[0]}),
        )
        st.caption(t("reconstruction.posterior_caption", draws=anomaly.DRAWS))
    mean_2d, std_2d = vae_2d.encode(item.image[None])
    st.divider()
    return mean_2d[0], std_2d[0]


st.header(t("reconstruction.results_heading"))
first: dict = {}
posteriors = [(str(number), *section(number, title, item, first)) for number, (title, item) in enumerate(chosen, 1)]
with fit_prompt_slot:
    fit_prompt(first)

st.header(t("reconstruction.map_heading"))
latent_map.draw("vae_2d", posteriors=posteriors)
st.caption(t("reconstruction.map_caption", count=len(resources.mnist_test_digits()[0])))
teach.recap(t("reconstruction.recap_encoder"), t("reconstruction.recap_terms"), t("reconstruction.recap_gap"))
navigation.link("pages/ae_vs_vae.py", "site.next_page", icon=":material/arrow_forward:", page=t("site.nav_ae_vs_vae"))
share.share_box(SHARED, note=t("share.uploads_stay"))
