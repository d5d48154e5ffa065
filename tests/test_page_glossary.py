"""The Glossary page, reached from the entry point with AppTest: every term of glossary.toml, in the
visitor's language with the other beside it and its meaning; the filter matches either language."""

import re

import pytest

from tests.pages import open_page
from vae_site import i18n

TERMS = i18n.catalog("glossary")


def _shown(at) -> list[str]:
    return [m.value for m in at.markdown]


@pytest.mark.parametrize("key", sorted(TERMS))
def test_every_term_has_a_meaning_in_both_languages(key):
    term = TERMS[key]
    assert term["meaning_en"].strip() and term["meaning_ko"].strip(), key
    assert re.search("[가-힣]", term["meaning_ko"]) and not re.search("[가-힣]", term["meaning_en"]), key


def test_the_page_shows_every_term_with_its_meaning_in_english():
    at = open_page("pages/glossary.py", lang="en")
    shown = _shown(at)
    for term in TERMS.values():
        assert f"**{term['en']}** ({term['ko']})" in shown and term["meaning_en"] in shown, term["en"]
    assert f"{len(TERMS)} of {len(TERMS)} terms." in [c.value for c in at.caption]


def test_the_korean_page_leads_with_the_korean_word_and_says_the_choices():
    at = open_page("pages/glossary.py", lang="ko")
    shown = _shown(at)
    assert f"**{TERMS['sample']['ko']}** (sample)" in shown and TERMS["sample"]["ko"] == "표본"
    assert TERMS["rate_distortion"]["ko"] == "율-왜곡" and "**율-왜곡** (rate–distortion)" in shown
    assert any("'표본'" in m for m in shown)  # the glossary says which word the site uses


def test_the_filter_matches_either_language_and_says_when_nothing_matches():
    at = open_page("pages/glossary.py", lang="en")
    at.text_input(key="glossary_filter").set_value("표본").run()
    assert [m for m in _shown(at) if m.startswith("**")] == ["**sample** (표본)"]
    at.text_input(key="glossary_filter").set_value("zebra").run()
    assert "No term contains “zebra”." in at.info[0].value
    assert not [m for m in _shown(at) if m.startswith("**")]
