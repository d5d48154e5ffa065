"""Predict-then-check prompts (vae_site.teach): what answers a question waits for the learner's choice.

Each page opened with AppTest as a visitor opens it; then every prompt is skipped (the last choice),
as a visitor who only wants the answer would. Before: the prompts that hold an answer back say so,
and their charts, tables and images are not on the page. After: each shows its answer in words, and
what it held back is there.
"""

import pytest

from tests.pages import answer_all, image_urls, open_page, prompts
from vae_site import teach
from vae_site.i18n import text

# page -> the prompts whose answer (a chart, a table, images) sits under the question
HIDING = {
    "pages/theory.py": {"estimates", "terms"},
    "pages/reconstruction.py": {"draws"},
    "pages/ae_vs_vae.py": {"holes", "recon"},
    "pages/elbo_curves.py": {"beta_high", "active"},
    "pages/anomaly.py": {"mirrored", "blank", "reverse"},
}


def shown(at) -> dict[str, int]:
    """How many charts, tables, images and metrics the page shows."""
    return {
        "charts": len(at.get("vega_lite_chart")),
        "tables": len(at.table),
        "images": len(image_urls(at)),
        "metrics": len(at.metric),
    }


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("path", sorted(HIDING))
def test_what_answers_a_prompt_waits_for_a_choice_and_the_skip_shows_it(path, lang):
    at = open_page(path, first_lang=lang)
    keys = {r.key.removeprefix("predict_") for r in prompts(at)}
    assert HIDING[path] <= keys
    waiting = [c.value for c in at.caption].count(text(lang, "site.predict_hidden"))
    assert waiting == len(HIDING[path])  # each hiding prompt says that its answer comes below
    before = shown(at)
    answer_all(at)
    after = shown(at)
    assert text(lang, "site.predict_hidden") not in [c.value for c in at.caption]
    assert after != before and all(after[k] >= before[k] for k in after)  # more on the page, nothing less
    opening = text(lang, "site.predict_skipped", answer="|", reveal="").split("|")[0]  # "The answer is “"
    told = [i.value for i in at.info if i.value.startswith(opening)]
    assert len(told) >= len(HIDING[path])  # every skipped prompt whose move is made names its answer


def test_a_skip_names_the_right_answer_and_a_later_guess_is_judged():
    at = open_page("pages/anomaly.py", answered=True)
    right = text("en", "anomaly.predict_reverse_lower")  # the model of clothes gives digits the lower score
    assert any(i.value.startswith(f"The answer is “{right}”") for i in at.info)
    radio = at.radio(key="predict_reverse")
    assert radio.value == teach.SKIP and radio.options[-1] == text("en", "site.predict_skip")
    radio.set_value("higher").run()  # the wrong guess, after the skip: judged as any guess
    assert any(i.value.startswith(f"Not quite: the answer is “{right}”") for i in at.info)
