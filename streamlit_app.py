"""See a variational autoencoder work: the entry point of the multipage site.

    streamlit run streamlit_app.py

Routes over the pages in pages/ with `st.navigation`; every page loads the shipped models
from models/ once per process (see vae_site.resources).
"""

import os

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


# One thread per TensorFlow op (read when TensorFlow starts, at the first model load). Sessions
# already run in threads of their own; on 2 cores the default op pools made the sessions' small
# graph calls wait on each other (bench/site_speed.py, browser p50: theory 537 -> 447 ms, sampling
# 376 -> 281 ms; memory with every page used 1,183 -> 1,097 MB). Set it in the environment to override.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")


def run() -> None:
    st.set_page_config(page_title="See a VAE work", page_icon=":material/neurology:", layout="wide")
    pages = [st.Page(path, title=title, icon=icon, default=(i == 0)) for i, (path, title, icon) in enumerate(PAGES)]
    page = st.navigation(pages)
    sidebar.model_card()
    page.run()


run()
