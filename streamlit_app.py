"""See a variational autoencoder work: the entry point of the multipage site.

    streamlit run streamlit_app.py

The process is set up first (before anything imports TensorFlow), then `vae_site.navigation`
routes over the pages in pages/; every page loads the shipped models from models/ once per
process (see vae_site.resources).
"""

from vae_site import process

process.configure()

from vae_site import navigation  # noqa: E402  (after the process set-up, which must come first)

navigation.run()
