"""Teaching devices every page shares: a predict-then-check prompt and a three-line recap.

A learner who commits to a guess before seeing the answer remembers the answer better than one
who only reads it (the "generation effect"; VAE Explainer and Distill's explorables ask the same).
`predict` asks a question with a few choices and nothing chosen; once the learner has picked one
(and, where the page says so, made the move the question is about) it says whether the guess was
right and gives the answer, which the page computes from the same data as its chart. A last choice
skips the guess. Where the chart or numbers that answer the question would sit in view of the
question, the page shows them only once `predict` has returned a choice (a guess or the skip).
"""

import streamlit as st

from vae_site.i18n import t

SKIP = "skip"  # the last choice of every prompt: no guess, show the answer


def predict(
    key: str,
    question: str,
    choices: dict[str, str],
    answer: str,
    reveal: str,
    ready: bool = True,
    hides: bool = False,
) -> str | None:
    """A predict-then-check prompt; return the learner's choice: a code of `choices`, SKIP, or None
    until one is picked.

    Args:
      key: unique on the page; the widget's key is "predict_<key>".
      question: what to predict, in the page's language (Markdown).
      choices: choice code -> its text in the page's language.
      answer: the code of the right choice, decided from the page's data.
      reveal: the answer in words, from the same numbers as the chart it is about.
      ready: False while the move the question asks the learner to make has not been made yet:
        the guess is kept and the page asks for the move instead of revealing the answer.
      hides: the page shows what answers the question (below it) only once a choice is made; the
        prompt says so while it waits.
    """
    labels = {**choices, SKIP: t("site.predict_skip")}
    with st.container(border=True, key=f"prompt_{key}"):
        st.markdown(f"**{t('site.predict_heading')}** {question}")
        guess = st.radio(
            t("site.predict_label"),
            list(labels),
            index=None,
            format_func=labels.get,
            key=f"predict_{key}",
            label_visibility="collapsed",
        )
        if guess is None:
            st.caption(t("site.predict_hidden" if hides else "site.predict_wait"))
        elif not ready:
            st.caption(t("site.predict_now_skipped" if guess == SKIP else "site.predict_now"))
        elif guess == SKIP:
            st.info(t("site.predict_skipped", answer=choices[answer], reveal=reveal), icon=":material/lightbulb:")
        elif guess == answer:
            st.success(t("site.predict_right", reveal=reveal), icon=":material/check_circle:")
        else:
            st.info(t("site.predict_wrong", answer=choices[answer], reveal=reveal), icon=":material/lightbulb:")
    return guess


def recap(*lines: str) -> None:
    """The page's closing recap: three short lines, each one idea the page showed."""
    st.subheader(t("site.recap_heading"))
    st.markdown("\n".join(f"- {line}" for line in lines))
