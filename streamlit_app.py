"""See a variational autoencoder work: the entry point of the multipage site.

    streamlit run streamlit_app.py

Routes over the pages in pages/ with `st.navigation`; every page loads the shipped models
from models/ once per process (see vae_site.resources).
"""

import streamlit as st

from vae_site import sidebar

PAGES = [
    ("pages/theory.py", "Theory", ":material/menu_book:"),
    ("pages/sampling.py", "Sampling", ":material/casino:"),
    ("pages/reconstruction.py", "Reconstruction", ":material/draw:"),
    ("pages/ae_vs_vae.py", "AE vs VAE", ":material/compare:"),
    ("pages/elbo_curves.py", "ELBO curves", ":material/show_chart:"),
    ("pages/anomaly.py", "Anomaly scores", ":material/report:"),
]


def run() -> None:
    st.set_page_config(page_title="See a VAE work", page_icon=":material/neurology:", layout="wide")
    pages = [st.Page(path, title=title, icon=icon, default=(i == 0)) for i, (path, title, icon) in enumerate(PAGES)]
    page = st.navigation(pages)
    sidebar.model_card()
    page.run()


run()
