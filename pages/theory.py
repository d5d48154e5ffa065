"""Theory (home page): a one-minute overview the visitor acts on (a digit, its q(z|x) on the 2-D map,
the decoder's digit), then the latent-variable model, why pixel error and prior samples fail, the
reparameterisation trick live, and the ELBO and KL derived, with the implementation beside each idea."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from vae_site import code, display, drawing, i18n, latent_map, navigation, resources, share, teach
from vae_site.i18n import t
from vae_tf import explain, store
from vae_tf.figures import theory as figure

navigation.enter()


ROLE = "vae_32d"  # the N(0, I) VAE: the textbook model that this page derives
LIVE_ROLE = "vae_2d"  # the reparameterisation graph: two numbers per node fit on a phone
PROPOSALS = ("prior", "importance")

EVEN = 0.05  # nats: two estimates this close are "the same" to the text's one decimal
KINDS = range(10)
_PILLS_WRAP = "<style>.st-key-digit_kind div:has(> button) { flex-wrap: wrap; row-gap: 0.25rem; }</style>"

display.crisp_images()
st.html(_PILLS_WRAP)
st.title(t("theory.title"))
digits, labels = resources.mnist_test_digits()
LOW, HIGH = 0, len(digits) - 1
curves = resources.figure(ROLE, figure.NAME)  # the model's fixed figure: samples, estimates, ELBO terms


# --- 0. The overview: a digit, its q(z|x) on the map, the decoder's digit -----------------------
def _keep_in_range() -> None:
    """The digit box's callback: a number outside the bundled digits is refused, and the page says so."""
    typed = st.session_state["digit"]
    if typed is None or not LOW <= typed <= HIGH:
        st.session_state["digit_refused"] = typed
        st.session_state["digit"] = HIGH if typed is not None and typed > HIGH else LOW


def _first_of_kind() -> None:
    """The kind picker's callback: show the first bundled test digit of the chosen kind (0-9)."""
    kind = st.session_state["digit_kind"]
    if kind is not None:
        st.session_state["digit"] = int(np.flatnonzero(labels == kind)[0])


st.markdown(t("theory.overview_intro"))
share.restore("digit", LOW, share.integer(LOW, HIGH))
box, kinds = st.columns([1, 2], vertical_alignment="bottom")
box.number_input(
    t("theory.digit_label", low=LOW, high=HIGH),
    key="digit",
    step=1,
    on_change=_keep_in_range,
    help=t("theory.digit_help", low=LOW, high=HIGH),
)
index = int(st.session_state["digit"])
st.session_state["digit_kind"] = int(labels[index])  # the picker shows the kind of the digit shown
kinds.pills(t("theory.kind_label"), list(KINDS), key="digit_kind", on_change=_first_of_kind)
if "digit_refused" in st.session_state:
    st.warning(
        t("theory.digit_refused", typed=st.session_state.pop("digit_refused"), low=LOW, high=HIGH, shown=index),
        icon=":material/block:",
    )
label = int(labels[index])
binary = resources.binary_test_digits()[index]


def _vector(v: np.ndarray) -> str:
    """A short vector as text, e.g. (0.51, −1.20)."""
    return "(" + ", ".join(f"{a:.2f}".replace("-", "−") for a in v) + ")"


def overview(live) -> None:
    """The digit's q(z|x) as an ellipse on the 2-D map, beside the digit and the decoding of its centre."""
    on_map, beside = st.columns([3, 2])
    with on_map:
        latent_map.draw(LIVE_ROLE, posteriors=[(str(label), mu, sigma)], height=320)
        st.caption(t("theory.overview_caption", model=resources.title(LIVE_ROLE), mu=_vector(mu), sigma=_vector(sigma)))
    with beside:
        display.digits(
            [binary, live.decode(mu[None])[0]],
            size=112,
            captions=[t("theory.overview_input", index=index, label=label), t("theory.overview_decoded")],
            alt=[
                t("theory.overview_input_alt", index=index, label=label),
                t("theory.overview_decoded_alt", index=index, label=label, model=resources.title(LIVE_ROLE)),
            ],
        )
        st.markdown(t("theory.overview_steps"))


live = resources.model(LIVE_ROLE)  # missing: the page says so here, and the sections without it still show
if live is not None:
    mu, sigma = (a[0] for a in live.encode(binary[None]))
    overview(live)
    if st.toggle(t("theory.draw_toggle"), key="theory_draw"):  # the pad encodes each stroke in the browser
        drawing.pad("theory_pad", map_role=LIVE_ROLE)
        st.caption(t("theory.draw_note"))

# --- 1. The model -----------------------------------------------------------------------
st.header(t("theory.model_header"))
st.markdown(t("theory.model_text"))
st.latex(r"p_\theta(x) = \int p_\theta(x \mid z)\, p(z)\, dz")
st.markdown(t("theory.model_goal"))
st.latex(r"p(z) = \mathcal N(0, I)")
st.latex(r"p_\theta(x \mid z) = \prod_{i=1}^{784} \mathrm{Bernoulli}\big(x_i;\ \pi_i(z)\big)")
st.markdown(t("theory.model_prior"))
shown = len(curves["prior_samples"])
display.digits(
    curves["prior_samples"], size=70, alt=[t("theory.model_samples_alt", i=i, count=shown) for i in range(1, shown + 1)]
)
st.caption(t("theory.model_samples", count=shown))
code.show("decoder_net", "likelihood", "bernoulli_layer")

# --- 2. Pixel error -----------------------------------------------------------------------
st.header(t("theory.pixel_header"))
x = digits[index]
erased, shifted = explain.erase(x), explain.shift(x, dx=1)
err_erased, err_shifted = explain.pixel_error(x, erased), explain.pixel_error(x, shifted)


@st.cache_resource(show_spinner=False)
def moved_is_farther() -> float:
    """The share of the bundled test digits whose moved copy is farther from them than the erased one."""
    return float(
        np.mean(
            [explain.pixel_error(d, explain.shift(d, 1)) > explain.pixel_error(d, explain.erase(d)) for d in digits]
        )
    )


display.digits(
    [x, erased, shifted],
    size=112,
    captions=[t("theory.pixel_a", label=label), t("theory.pixel_b"), t("theory.pixel_c")],
    alt=[t("theory.pixel_alt", index=index, label=label, erased=err_erased, shifted=err_shifted), "", ""],
)
st.markdown(
    t(
        "theory.pixel_far" if err_shifted > err_erased else "theory.pixel_near",
        shifted=err_shifted,
        erased=err_erased,
        share=100 * moved_is_farther(),
        count=len(digits),
    )
)
st.markdown(t("theory.pixel_argument"))
st.markdown(t("theory.pixel_consequence"))

# --- 3. How many samples ----------------------------------------------------------------
st.header(t("theory.sampling_header"))
st.markdown(t("theory.sampling_text"))
typical = float(np.median(curves["importance"][-1]))  # each digit's best estimate of log p(x)
st.markdown(t("theory.sampling_units", typical=typical, nll=-typical, count=len(digits)))
st.latex(
    r"\begin{aligned} p(x) &= \mathbb E_{p(z)}\big[p(x \mid z)\big] \\ "
    r"&\approx \frac1n \sum_{i=1}^{n} p(x \mid z_i), \quad z_i \sim p(z) \end{aligned}"
)
st.latex(
    r"\begin{aligned} p(x) &= \mathbb E_{q(z \mid x)}\!\left[\frac{p(x \mid z)\, p(z)}{q(z \mid x)}\right] \\ "
    r"&\approx \frac1n \sum_{i=1}^{n} w_i, \quad z_i \sim q(z \mid x) \end{aligned}"
)


def estimates(index: int) -> pd.DataFrame:
    """The digit's two estimates of log p(x) against n, from the model's fixed figure."""
    return pd.concat(
        [
            pd.DataFrame({"samples": curves[f"{p}_counts"], "estimate": curves[p][:, index], "proposal": p})
            for p in PROPOSALS
        ]
    )


@st.cache_resource(show_spinner=False)
def estimates_spec(lang: str) -> dict:
    """The chart of the two estimates against the number of samples (data "estimates")."""
    names = [t(f"theory.proposal_{p}") for p in PROPOSALS]
    proposal = alt.Color(
        "proposal:N",
        title=None,
        scale=alt.Scale(domain=list(PROPOSALS), range=["#868e96", "#e8590c"]),
        legend=alt.Legend(orient="bottom", columns=1, labelLimit=0, labelExpr=display.label_expr(PROPOSALS, names)),
    )
    return display.fit_width(
        display.vega_lite_spec(
            alt.Chart(alt.Data(name="estimates"))
            .mark_line(point=True)
            .encode(
                x=alt.X("samples:Q", scale=alt.Scale(type="log"), title=t("theory.axis_samples")),
                y=alt.Y("estimate:Q", title=t("theory.axis_estimate"), scale=alt.Scale(zero=False)),
                color=proposal,
                tooltip=[
                    alt.Tooltip("samples:Q", title=t("theory.axis_samples")),
                    alt.Tooltip("estimate:Q", format=".2f", title=t("theory.axis_estimate")),
                ],
            )
            .properties(height=320)
            .interactive()
        )
    )


last_prior, last_importance = (float(curves[p][-1, index]) for p in PROPOSALS)
guessed = teach.predict(  # the chart and its story answer the question: they wait for a guess
    "estimates",
    t("theory.predict_estimates"),
    {p: t(f"theory.predict_estimates_{p}") for p in PROPOSALS},
    answer="importance" if last_importance >= last_prior else "prior",
    reveal=t("theory.reveal_estimates", prior=last_prior, importance=last_importance),
    hides=True,
)
if guessed is not None:
    display.chart(estimates_spec(i18n.current()), estimates=estimates(index))


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def times(gap: float) -> str:
    """e^gap as a reader reads it: 1.8, 150,000, or 10²⁹ (a power of ten, rounded down)."""
    ratio = float(np.exp(min(gap, 700.0)))
    if ratio < 10:
        return f"{ratio:.1f}"
    if ratio < 1e6:
        return f"{float(f'{ratio:.2g}'):,.0f}"
    return "10" + str(int(gap / np.log(10))).translate(_SUPERSCRIPT)


def percent(fraction: float) -> str:
    """A share in percent without rounding 99.6% up to a "100%" that is not all of it."""
    value = 100 * fraction
    return f"{value:.0f}" if value < 99.5 or value >= 99.995 else f"{value:.2f}"


def half_decade_start(counts: np.ndarray) -> int:
    """The count from which `explain.trend` measures a curve's last change (a factor √10 before the end)."""
    return int(counts[max(0, np.searchsorted(counts, counts[-1] / 10**0.5, side="right") - 1)])


def sampling_story(index: int) -> str:
    """What the chart shows, in words decided from the same arrays (explain.trend)."""
    prior, importance = curves["prior"][:, index], curves["importance"][:, index]
    p_counts, i_counts = curves["prior_counts"], curves["importance_counts"]
    verb, since, change = explain.trend(p_counts, prior)
    i_verb, i_since, i_change = explain.trend(i_counts, importance)
    share = percent(float(curves["prior_top_share"][index]))
    prior_text = t(
        f"theory.prior_{verb}",
        n=int(p_counts[-1]),
        value=float(prior[-1]),
        since=since or 0,
        change=change,
        share=share,
        start=half_decade_start(p_counts),
    )
    importance_text = t(
        "theory.importance_flat" if i_verb == "flat" else "theory.importance_moving",
        n=int(i_counts[-1]),
        value=float(importance[-1]),
        since=i_since or 0,
        change=i_change,
        start=half_decade_start(i_counts),
    )
    gap = float(importance[-1] - prior[-1])
    if gap >= EVEN:
        compare = t("theory.compare_above", gap=gap, ratio=times(gap))
    elif gap > -EVEN:
        compare = t("theory.compare_even", tolerance=EVEN, prior_n=int(p_counts[-1]), n=int(i_counts[-1]))
    else:
        compare = t("theory.compare_below", gap=-gap, share=share)
    return prior_text + "\n\n" + importance_text + " " + compare


if guessed is not None:
    st.markdown(sampling_story(index))
with st.expander(t("theory.sampling_more"), icon=":material/info:"):
    st.markdown(t("theory.sampling_why"))
    st.markdown(t("theory.sampling_why_exact"))
code.show("all_pairs", "iwae_weights")

# --- 4. The encoder and the reparameterisation, live -----------------------------------------
st.header(t("theory.encoder_header"))
st.markdown(t("theory.posterior_text"))
st.markdown(t("theory.variational_text"))
st.markdown(t("theory.encoder_text"))
code.show("encoder_net", "posterior", "posterior_layer")
live = resources.require(LIVE_ROLE)
if st.button(t("theory.eps_button"), key="new_eps", icon=":material/casino:"):
    st.session_state["eps_draw"] = st.session_state.get("eps_draw", 0) + 1
eps = np.random.default_rng(st.session_state.get("eps_draw", 0)).standard_normal(live.latent_size).astype(np.float32)
z = mu + sigma * eps


def reparameterisation_graph(label: int) -> str:
    """The DOT graph x → encoder → μ, σ; ε; z = μ + σ ⊙ ε → decoder → p(x|z), with today's numbers."""
    node = {
        "x": t("theory.node_x", index=index, label=label),
        "encoder": t("theory.node_encoder"),
        "mu": f"μ = {_vector(mu)}",
        "sigma": f"σ = {_vector(sigma)}",
        "eps": f"ε ~ N(0, I)\\nε = {_vector(eps)}",
        "z": f"z = μ + σ ⊙ ε\\nz = {_vector(z)}",
        "decoder": t("theory.node_decoder"),
        "px": t("theory.node_px"),
    }
    nodes = "\n".join(f'  {k} [label="{v}"{_STYLE.get(k, "")}];' for k, v in node.items())
    edges = "\n".join(f"  {a} -> {b}{style};" for a, b, style in _EDGES)
    return f"digraph {{\n  rankdir=TB; node [shape=box, style=rounded, fontsize=12];\n{nodes}\n{edges}\n}}"


_STYLE = {
    "eps": ', style="rounded,dashed", color="#868e96"',
    "z": ', color="#1c7ed6", penwidth=2',
    "mu": ', color="#1c7ed6"',
    "sigma": ', color="#1c7ed6"',
}
_GRADIENT = ' [color="#1c7ed6", penwidth=2]'
_EDGES = [
    ("x", "encoder", ' [color="#868e96"]'),
    ("encoder", "mu", _GRADIENT),
    ("encoder", "sigma", _GRADIENT),
    ("mu", "z", _GRADIENT),
    ("sigma", "z", _GRADIENT),
    ("eps", "z", ' [style=dashed, color="#868e96"]'),
    ("z", "decoder", _GRADIENT),
    ("decoder", "px", _GRADIENT),
]

left, right = st.columns([3, 2])
with left:
    st.graphviz_chart(reparameterisation_graph(int(labels[index])), width="stretch")
with right:
    display.digits(
        [binary, live.decode(z[None])[0]],
        size=112,
        captions=[t("theory.live_input"), t("theory.live_decoded")],
        alt=[t("theory.live_input_alt", index=index, label=label), t("theory.live_decoded_alt", z=_vector(z))],
    )
    st.caption(t("theory.live_caption", z=_vector(z), model=resources.title(LIVE_ROLE)))
st.markdown(t("theory.gradients"))
code.show("reparameterisation")

# --- 5. The ELBO and the KL, derived --------------------------------------------------------
st.header(t("theory.elbo_header"))
st.markdown(t("theory.elbo_text"))
st.latex(r"\log p(x) = \log \int p(x \mid z)\, p(z)\, dz")
st.latex(r"= \log \mathbb E_{q(z \mid x)}\!\left[\frac{p(x \mid z)\, p(z)}{q(z \mid x)}\right]")
st.latex(
    r"\begin{aligned} &\ge \mathbb E_{q(z \mid x)}\!\left[\log \frac{p(x \mid z)\, p(z)}{q(z \mid x)}\right] \\ "
    r"&\qquad\text{(" + t("theory.tex_jensen") + r")} \end{aligned}"
)
st.latex(
    r"= \underbrace{\mathbb E_{q(z \mid x)}\big[\log p(x \mid z)\big]}_{\text{" + t("theory.tex_recon") + "}}"
    r" - \underbrace{\mathrm{KL}\big(q(z \mid x)\,\|\,p(z)\big)}_{\text{" + t("theory.tex_regulariser") + "}}"
)
st.latex(r"= \mathrm{ELBO}(x)")
st.markdown(t("theory.elbo_gap"))
st.latex(
    r"\begin{aligned} &\log p(x) - \mathrm{ELBO}(x) \\ "
    r"&= \mathrm{KL}\big(q(z \mid x)\,\|\,p(z \mid x)\big) \ge 0 \end{aligned}"
)
with st.expander(t("theory.gap_more"), icon=":material/functions:"):
    st.markdown(t("theory.gap_why"))
    st.latex(
        r"\begin{aligned} &\log p(x) - \mathrm{ELBO}(x) \\ "
        r"&= \mathbb E_{q}\!\left[\log p(x) - \log \frac{p(x \mid z)\, p(z)}{q(z \mid x)}\right] \end{aligned}"
    )
    st.latex(r"= \mathbb E_{q}\!\left[\log \frac{q(z \mid x)\, p(x)}{p(x, z)}\right]")
    st.latex(r"= \mathbb E_{q}\!\left[\log \frac{q(z \mid x)}{p(z \mid x)}\right]")
st.markdown(t("theory.kl_text"))
st.latex(
    r"\begin{aligned} &\mathrm{KL}\big(\mathcal N(\mu, \sigma^2)\,\|\,\mathcal N(0, 1)\big) \\ "
    r"&= \tfrac12 \big(\mu^2 + \sigma^2 - 1 - \log \sigma^2\big) \end{aligned}"
)
with st.expander(t("theory.kl_more"), icon=":material/functions:"):
    st.markdown(t("theory.kl_why"))
    st.latex(
        r"\begin{aligned} &\log q(z) - \log p(z) \\ "
        r"&= -\tfrac12 \log \sigma^2 - \frac{(z - \mu)^2}{2\sigma^2} + \frac{z^2}{2} \end{aligned}"
    )
    st.latex(r"\mathbb E_q\big[(z - \mu)^2\big] = \sigma^2")
    st.latex(r"\mathbb E_q\big[z^2\big] = \mu^2 + \sigma^2")
    st.latex(r"\Rightarrow\ \mathrm{KL} = -\tfrac12 \log \sigma^2 - \tfrac12 + \tfrac12 (\mu^2 + \sigma^2)")
main_config = resources.model_json("vae_main", store.CONFIG) or {}
st.markdown(t("theory.vamp_text", count=main_config.get("pseudo_inputs", "?")))
st.markdown(t("theory.kl_after"))
recon, kl, neg_elbo = (float(curves["terms"][figure.TERMS.index(name), index]) for name in ("recon", "kl", "neg_elbo"))
guessed = teach.predict(  # the numbers answer the question: they wait for a guess
    "terms",
    t("theory.predict_terms"),
    {name: t(f"theory.predict_terms_{name}") for name in ("recon", "kl")},
    answer="recon" if recon >= kl else "kl",
    reveal=t("theory.reveal_terms", recon=recon, kl=kl),
    hides=True,
)
if guessed is not None:
    c1, c2, c3 = st.columns(3)
    c1.metric(t("theory.metric_recon"), t("theory.nats", value=recon))
    c2.metric(t("theory.metric_kl"), t("theory.nats", value=kl))
    c3.metric(t("theory.metric_elbo"), t("theory.nats", value=neg_elbo), help=t("theory.metric_elbo_help"))
    st.caption(t("theory.metric_caption", draws=figure.DRAWS, model=resources.title(ROLE)))
code.show("elbo_terms", "kl_exact", "kl_estimate")

# --- 6. Beyond the ELBO: the importance-weighted bound ----------------------------------------------
st.header(t("theory.iwae_header"))
st.markdown(t("theory.iwae_text"))
st.latex(r"\log p(x) \ge \mathbb E\!\left[\log \frac1k \sum_{i=1}^{k} w_i\right] \ge \mathrm{ELBO}(x)")
st.latex(r"w_i = \frac{p(x \mid z_i)\, p(z_i)}{q(z_i \mid x)}, \quad z_i \sim q(z \mid x)")
code.show("iwae_mean")
navigation.link("pages/elbo_curves.py", "theory.link_curves", ":material/show_chart:")

teach.recap(t("theory.recap_model"), t("theory.recap_encoder"), t("theory.recap_elbo"))
st.divider()
navigation.link("pages/sampling.py", "site.next_page", icon=":material/arrow_forward:", page=t("site.nav_sampling"))
share.share_box(["digit"])
