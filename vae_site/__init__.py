"""Streamlit helpers shared by the pages: navigation, language, cached models and data, digit
display, shareable state, uploads.

The modelling lives in `vae_tf`; this package only puts it on screen. Importing it does
nothing to the process: the entry point calls `vae_site.process.configure()` first.
"""
