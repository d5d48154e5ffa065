"""Lab: a small VAE trains in the visitor's own browser (TensorFlow.js), live: the latent map,
the posteriors of a few digits, the training curves and a grid of decodes, against vae_tf's model
of the same architecture. The server sends the page once; the training costs it nothing."""

import numpy as np
import streamlit as st

from vae_site import lab, navigation, resources, share, teach
from vae_site.i18n import t
from vae_tf import store

navigation.enter()

st.title(t("lab.title"))
ref = lab.reference()
if ref is None:
    st.info(t("lab.missing"), icon=":material/info:")
    share.share_box([])
    st.stop()

rings = {"first": lab.RING_LABELS[0], "last": lab.RING_LABELS[len(ref["chosen"]) - 1]}
st.markdown(t("lab.intro", hidden=ref["widths"][0], count=f"{ref['digits']['count']:,}"))
lab.draw()
st.markdown(t("lab.how_to_read", **rings))
st.markdown(
    t(
        "lab.reference",
        epochs=ref["epochs"],
        seconds=f"{ref['train_seconds']:.0f}",
        count=f"{ref['digits']['count']:,}",
        neg_elbo=f"{ref['neg_elbo']:.1f}",
        recon=f"{ref['recon']:.1f}",
        kl=f"{ref['kl']:.1f}",
    )
)

high = lab.BETAS[-1]
kl_high = (resources.model_json(store.BETA_FAMILY[high], store.METRICS) or {}).get("kl")
kl_one = (resources.model_json(store.BETA_FAMILY[1.0], store.METRICS) or {}).get("kl")
if kl_high is not None and kl_one is not None:
    teach.predict(
        "collapse",
        t("lab.predict_collapse", beta=f"{high:g}"),
        {k: t(f"lab.collapse_{k}") for k in ("up", "same", "down")},
        "down" if kl_high < 0.1 * kl_one else "same",
        t("lab.collapse_reveal", beta=f"{high:g}", kl_high=f"{kl_high:.2f}", kl_one=f"{kl_one:.1f}"),
    )
spread = np.asarray(ref["chosen_std"])
teach.predict(
    "rings",
    t("lab.predict_rings", **rings),
    {k: t(f"lab.rings_{k}") for k in ("grow", "same", "shrink")},
    "shrink" if spread.max() < 1 else "same",
    t("lab.rings_reveal", low=f"{spread.min():.2f}", high=f"{spread.max():.2f}", **rings),
)
teach.recap(t("lab.recap_1"), t("lab.recap_2"), t("lab.recap_3"))
share.share_box([], note=t("lab.share_note"))
