"""ELBO curves: training histories, the ELBO-IWAE gap, and the KL of each latent dimension."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from vae_site import display, resources, share
from vae_tf import store
from vae_site import navigation

navigation.enter()

TERMS = {"neg_elbo": "−ELBO", "recon": "reconstruction −log p(x|z)", "kl": "KL(q ‖ p)"}

st.title("The ELBO during training")


def history_frame(role: str) -> pd.DataFrame | None:
    """A model's history.json as long rows: epoch, term, split, value."""
    history = resources.model_json(role, store.HISTORY)
    if history is None:
        return None
    rows = []
    for term in TERMS:
        for split, prefix in (("train", ""), ("validation", "val_")):
            for epoch, value in zip(history["epoch"], history.get(prefix + term, [])):
                rows.append({"epoch": epoch, "term": TERMS[term], "split": split, "nats": value,
                             "model": resources.title(role)})
    return pd.DataFrame(rows)


@st.cache_resource(show_spinner=False)
def history_spec(term: str) -> dict:
    """One term's training curves: a colour per model, solid for training, dashed for validation (data "history")."""
    return display.vega_lite_spec(alt.Chart(alt.Data(name="history")).mark_line().encode(
        x=alt.X("epoch:Q"), y=alt.Y("nats:Q", scale=alt.Scale(zero=False), title=f"{term} (nats)"),
        color=alt.Color("model:N", legend=alt.Legend(orient="bottom", title=None)),
        strokeDash=alt.StrokeDash("split:N", legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["model:N", "split:N", "epoch:Q", alt.Tooltip("nats:Q", format=".2f")],
    ).properties(height=380).interactive())


@st.cache_resource(show_spinner=False)
def bounds_spec() -> dict:
    """The IWAE bound against k on a log axis, a line per model (data "bounds")."""
    return display.vega_lite_spec(alt.Chart(alt.Data(name="bounds")).mark_line(point=True).encode(
        x=alt.X("k:Q", scale=alt.Scale(type="log"), title="importance samples k"),
        y=alt.Y("bound on −log p(x) (nats):Q", scale=alt.Scale(zero=False)),
        color=alt.Color("model:N", legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["model:N", "k:Q", alt.Tooltip("bound on −log p(x) (nats):Q", format=".2f")],
    ).properties(height=300).interactive())


@st.cache_resource(show_spinner=False)
def kl_spec() -> dict:
    """KL per latent dimension as bars, largest first (data "kl")."""
    return display.vega_lite_spec(alt.Chart(alt.Data(name="kl")).mark_bar(color="#3b5bdb").encode(
        x=alt.X("dimension:O", sort="-y"), y="KL (nats):Q",
        tooltip=["dimension:O", alt.Tooltip("KL (nats):Q", format=".3f")]).properties(height=260))


frames = {role: history_frame(role) for role in store.CORE}
missing = [resources.title(r) for r, f in frames.items() if f is None]
if missing:
    st.warning("No training history for: " + ", ".join(missing) + ". See the README, 'Train and evaluate'.")
available = [r for r, f in frames.items() if f is not None]
if not available:
    st.stop()

share.restore("term", "−ELBO", share.one_of(TERMS.values()))
share.restore("models", tuple(available), share.list_of(share.one_of(available), len(available)))
if not set(st.session_state["models"]) <= set(available):  # a link naming a model this site lacks
    st.session_state["models"] = tuple(available)
st.radio("Term", list(TERMS.values()), key="term", horizontal=True)
chosen = st.multiselect("Models", available, key="models", format_func=resources.title)
data = pd.concat([frames[r] for r in chosen]) if chosen else pd.DataFrame()
data = data[data["term"] == st.session_state["term"]] if len(data) else data
if data.empty:
    st.info("Pick at least one model; the AEs have only the reconstruction term.")
else:
    display.chart(history_spec(st.session_state["term"]), history=data)
    st.caption("Solid: training (a fresh binarization each epoch); dashed: the held-out validation images. "
               "Every value is computed explicitly per image, not read back from Keras's summed loss. "
               "Select the reconstruction term to see the AEs beside the VAEs.")

st.header("The gap between the ELBO and the importance-weighted bound")


@st.cache_data(show_spinner="Computing the IWAE bound for k = 1 … 1000…")
def bound_against_k(model_key: str, role: str, n: int = 100) -> pd.DataFrame:
    """Mean IWAE bound on -log p(x) of n bundled test digits for several k (k = 1 is the ELBO)."""
    served = resources.require(role)
    x = resources.binary_test_digits()[:n]
    return pd.DataFrame([{"k": k, "bound on −log p(x) (nats)": float(-served.iwae(x, k, seed=1, chunk=250).mean()),
                          "model": resources.title(role)} for k in (1, 3, 10, 30, 100, 300, 1000)])


vae_roles = [r for r in ("vae_main", "vae_2d") if resources.model(r) is not None]
bounds = pd.concat([bound_against_k(resources.cache_key(r), r) for r in vae_roles])
display.chart(bounds_spec(), bounds=bounds)
rows = []
for role in ("vae_main", "vae_32d", "vae_2d"):
    m = resources.model_json(role, store.METRICS)
    if m and f"iwae_nll_k{m['k']}" in m:
        rows.append({"model": resources.title(role), "test −ELBO": m["neg_elbo"],
                     f"test NLL (IWAE, k={m['k']})": m[f"iwae_nll_k{m['k']}"],
                     "gap": m["neg_elbo"] - m[f"iwae_nll_k{m['k']}"]})
if rows:
    st.dataframe(pd.DataFrame(rows).set_index("model").round(2), width="stretch")
st.caption("k = 1 is the ELBO; as k grows the bound tightens towards log p(x) (Burda et al. 2015). "
           "The curve uses 100 bundled test digits; the table the full test set.")

st.header("Which latent dimensions the model uses")
metrics = resources.model_json("vae_main", store.METRICS)
if metrics is None or "kl_per_dimension" not in metrics:
    st.info("The main VAE has no metrics.json yet: run "
            f"`python -m vae_tf.evaluate --model models/{store.SHIPPED['vae_main']}`.")
else:
    kl = np.array(metrics["kl_per_dimension"])
    active = int(np.sum(kl > 0.01))
    frame = pd.DataFrame({"dimension": np.arange(1, len(kl) + 1), "KL (nats)": kl})
    display.chart(kl_spec(), kl=frame)
    st.markdown(f"**{active} of {len(kl)}** dimensions carry more than 0.01 nats of KL on average over the "
                "test set. In the others q(z_j|x) is the prior's own marginal p(z_j) for every digit: the "
                "KL term switches off dimensions the decoder does not need (posterior collapse, dimension "
                "by dimension).")
    st.caption("KL(q(z_j|x) ‖ p(z_j)) per dimension j, from the main VAE's metrics.json. A VampPrior is a "
               "mixture, so its marginals p(z_j) are 1-D mixtures and the KL is estimated at sampled codes; "
               "unlike for N(0, I), the dimensions' KLs then need not add up to the whole KL.")
share.share_box(["term", "models"])
