"""Streamlit helpers shared by the pages: cached models and data, digit display, shareable state.

The modelling lives in `vae_tf`; this package only puts it on screen.
"""
