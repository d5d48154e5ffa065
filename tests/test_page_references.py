"""The References page, reached from the entry point with AppTest: the Korean article the site
follows and the papers the issue names, as plain citations whose links are addresses only."""

import re

import pytest

from tests.pages import open_page
from vae_site import i18n

CITED = {key: entry for key, entry in i18n.catalog("references").items() if "title" in entry}


@pytest.fixture(scope="module", params=["en", "ko"])
def page(request):
    return open_page("pages/references.py", lang=request.param), request.param


def test_every_reference_is_listed_in_order_with_its_title(page):
    at, lang = page
    (listing,) = [m.value for m in at.markdown if m.value.startswith("1. ")]
    items = listing.split("\n")
    assert len(items) == len(CITED)
    for n, (item, entry) in enumerate(zip(items, CITED.values(), strict=True), 1):
        assert item.startswith(f"{n}. ") and entry["title"] in item
    text = listing
    for name in ("원리와 이해", "1606.05908", "Kingma", "Burda", "Tomczak", "Alemi", "Nalisnick", "Serrà", "Kahng"):
        assert name in text, name
    assert ("한국어 블로그 글" if lang == "ko" else "a Korean blog post") in text


def test_links_are_only_addresses_to_arxiv(page):
    """A link is an href; the page embeds nothing from outside (no image, no iframe)."""
    at, _ = page
    links = re.findall(r"\]\((\S+?)\)", " ".join(m.value for m in at.markdown))
    assert links and all(re.fullmatch(r"https://arxiv\.org/abs/\d{4}\.\d{4,5}", u) for u in links)
    assert not at.get("image") and not at.get("iframe")
