"""English and Korean: the catalogs are complete and consistent, the glossary is used,
every page shown in Korean has no English sentence left, and a Korean view's share link opens in
Korean.

The check of what a page shows (`english_runs`) flags three or more English words in a row, after
removing what stays as it is in Korean: code, math, numbers, file and model names, and a short
allow-list of names. It reads every element the page draws (titles, headings, markdown, captions,
widget labels, help and options, metrics, messages, tabs, expanders, page links, table columns,
and the titles, axes, legends and tooltips of every Vega-Lite chart).
"""

import json
import re
import tomllib

import pytest

from tests.pages import open_page
from vae_site import i18n, navigation

PAGE_FILES = [path for path, _, _ in navigation.PAGES]

# Words that stay English in Korean text: names of people, models, formats and tools.
ALLOWED_WORDS = {
    "vampprior",
    "bernoulli",
    "gaussian",
    "kingma",
    "welling",
    "tomczak",
    "rezende",
    "mohamed",
    "burda",
    "grosse",
    "salakhutdinov",
    "higgins",
    "bowman",
    "nats",
    "nat",
    "tensorflow",
    "keras",
    "probability",
    "streamlit",
    "python",
    "readme",
    "mnist",
    "fashion",
    "adam",
    "relu",
    "softplus",
    "sigmoid",
    "auroc",
    "roc",
    "png",
    "jpeg",
    "jpg",
    "webp",
    "logsumexp",
    "et",
    "al",
}
# Keys named as the keyboard shows them (case-sensitive: "enter" in a sentence is English).
KEY_NAMES = {"Enter"}
# Phrases quoted from elsewhere that stay as they are (a README section's title, a paper's).
ALLOWED_PHRASES = ("Train and evaluate", "Fixing a Broken ELBO")

_MATH = [
    re.compile(r"\$\$.+?\$\$", re.S),
    re.compile(r"\$[^$]+\$"),  # TeX
    re.compile(r"`[^`]*`"),
    re.compile(r"```.*?```", re.S),  # code
    re.compile(r"https?://\S+"),  # links
    re.compile(r"\b[\w+-]*(?:\d|_|/|\\|\.\w)[\w.+/-]*"),  # with a digit, '_', '/' or an inner '.': numbers, files
    re.compile(r"\b[A-Za-z]\([^)]*\)"),  # p(x|z), q(z|x), N(0, I)
    re.compile(r":material/\w+:"),  # icon names
    re.compile(r"\{[^{}]*\}"),  # a message's own placeholders, e.g. {value:.1f}
]
_WORD = re.compile(r"[A-Za-z][A-Za-z']*(?:-[A-Za-z][A-Za-z']+)*")
_GAP = re.compile(r"[\s,;:'\"()*_\-–—/]*")


def english_runs(text: str, length: int = 3, phrases=()) -> list[str]:
    """Runs of `length` or more English words in a row in `text` (only spaces and punctuation between),
    after removing ALLOWED_PHRASES and the page's own `phrases`."""
    for phrase in (*phrases, *ALLOWED_PHRASES):
        text = text.replace(phrase, " ")
    for pattern in _MATH:
        text = pattern.sub(" | ", text)
    runs, run, end = [], [], 0
    for match in _WORD.finditer(text):
        word = match.group()
        acronym = len(word) >= 2 and word.replace("-", "").isupper()  # VAE, AUROC, KL, IWAE, Fashion-MNIST
        english = (
            word.lower() not in ALLOWED_WORDS
            and word not in KEY_NAMES
            and not acronym
            and not any(
                part.lower() in ALLOWED_WORDS or part.isupper() for part in word.split("-") if len(word.split("-")) > 1
            )
            and (len(word) >= 2 or word in ("a", "A", "I"))
        )
        joined = bool(_GAP.fullmatch(text[end : match.start()]))
        if english and (joined or not run):
            run.append(word)
        else:
            if len(run) >= length:
                runs.append(" ".join(run))
            run = [word] if english else []
        end = match.end()
    if len(run) >= length:
        runs.append(" ".join(run))
    return runs


def test_the_english_checker_flags_sentences_and_allows_math_code_and_names():
    assert english_runs("The decoder maps a code to pixels.") == ["The decoder maps a code to pixels"]
    assert english_runs("디코더가 코드 z를 픽셀로 바꿉니다.") == []
    assert english_runs("q(z|x) = N(μ, σ²), `vae_tf.train --epochs 330`, vae-32d-vamp, 84.31 nats") == []
    assert english_runs("VampPrior (Tomczak & Welling 2018), Bernoulli p(x|z)") == []
    assert english_runs("$\\log p(x) \\geq \\mathbb{E}_{q}[\\log p(x|z)]$ 입니다") == []
    assert english_runs("ELBO 곡선: the gap is small") == ["the gap is small"]
    assert english_runs("AUROC, {set}: Fashion-MNIST, IWAE (k = 5000)") == []
    assert english_runs("Test digit") == []  # two words: a label the page should translate, caught below
    assert english_runs("번호를 입력하고 Enter를 누르세요") == []  # the key's name
    assert english_runs("enter the prior inputs here") == ["enter the prior inputs here"]


# --- The catalogs ------------------------------------------------------------------------


def all_messages():
    for domain in i18n.domains():
        for key, entry in i18n.catalog(domain).items():
            yield f"{domain}.{key}", entry


MESSAGES = dict(all_messages())


def test_every_key_the_code_names_is_in_a_catalog():
    """Each `t("domain.key")` and `text(lang, "domain.key")` of the pages and the site has its entry."""
    from tests.conftest import ROOT

    domains = "|".join(i18n.domains())
    call = re.compile(rf'\b(?:t|text)\((?:[^,()"]+,\s*)?"((?:{domains})\.[a-z0-9_]*[a-z0-9])"')
    files = [*ROOT.glob("pages/*.py"), *ROOT.glob("vae_site/*.py"), ROOT / "streamlit_app.py"]
    named = {key for f in files if f.name != "i18n.py" for key in call.findall(f.read_text())}  # i18n: examples
    assert {"site", "share"} <= set(i18n.domains()) and len(named) > 100  # the pattern finds the calls
    assert sorted(named - set(MESSAGES)) == []


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_both_languages_and_the_same_placeholders(key):
    entry = MESSAGES[key]
    assert isinstance(entry, dict) and {"en", "ko"} <= set(entry), f"{key}: {sorted(entry)}"
    assert i18n.placeholders(entry["en"]) == i18n.placeholders(entry["ko"]), key
    values = {name: 1 for name in i18n.placeholders(entry["en"])}
    for lang in ("en", "ko"):
        i18n.text(lang, key, **values)  # formats: the format specs fit a number


def _only_names_math_or_code(text: str) -> bool:
    """Text a Korean reader reads as it is: no English word outside math, code, numbers and names."""
    return not any(len(run.split()) >= 1 for run in english_runs(text, length=1))


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_no_korean_text_is_empty_or_the_english_left_in_place(key):
    entry = MESSAGES[key]
    assert entry["ko"].strip(), key
    if entry["ko"].strip() == entry["en"].strip():
        assert _only_names_math_or_code(entry["en"]), f"{key}: the Korean is the English: {entry['en']!r}"


PARAGRAPH_WORDS = 80  # the developers' guide: no paragraph over 80 words, in either language


def long_paragraphs(domain: str) -> list[str]:
    """Paragraphs (a catalog entry split on blank lines) over PARAGRAPH_WORDS words (Korean: 어절)."""
    fields = {"en": "meaning_en", "ko": "meaning_ko"} if domain == "glossary" else {"en": "en", "ko": "ko"}
    found = []
    for key, entry in i18n.catalog(domain).items():
        for lang, field in fields.items():
            for paragraph in re.split(r"\n\s*\n", entry.get(field, "")):
                if len(paragraph.split()) > PARAGRAPH_WORDS:
                    found.append(f"{domain}.{key} ({lang}): {len(paragraph.split())} words")
    return found


@pytest.mark.parametrize("domain", [*i18n.domains(), "glossary"])
def test_no_paragraph_is_over_80_words(domain):
    assert long_paragraphs(domain) == []


def test_the_paragraph_counter_finds_a_long_paragraph_between_short_ones(monkeypatch):
    long = " ".join(["word"] * (PARAGRAPH_WORDS + 1))
    short = " ".join(["낱말"] * PARAGRAPH_WORDS)
    monkeypatch.setattr(i18n, "catalog", lambda domain: {"k": {"en": f"a b\n\n{long}\n\nc", "ko": short}})
    assert long_paragraphs("x") == [f"x.k (en): {PARAGRAPH_WORDS + 1} words"]


def glossary():
    with open(i18n.LOCALES / "glossary.toml", "rb") as f:
        return tomllib.load(f)


def test_the_glossary_terms_are_used_wherever_the_english_uses_them():
    missing = []
    for term in glossary().values():
        if not term.get("checked"):
            continue
        english = re.compile(r"\b" + re.escape(term["en"]).replace("isation", "i[sz]ation") + r"s?\b", re.I)
        korean = term["ko"].split("(")[0].strip()  # 증거 하한(ELBO): the Korean words
        for key, entry in MESSAGES.items():
            if english.search(entry["en"]) and korean not in entry["ko"].replace(" ", " "):
                missing.append(f"{key}: '{term['en']}' without '{korean}': {entry['ko']!r}")
    assert not missing, "\n".join(missing)


# --- What every page shows in Korean ---------------------------------------------------------

_TEXT_FIELDS = {"label", "help", "body", "placeholder", "caption", "title", "options", "text", "value"}
_SKIP_ELEMENTS = {"code", "latex", "html", "json", "exception"}


def _proto_texts(message):
    """The visible strings of a protobuf element: its text fields, recursively."""
    for field, value in message.ListFields():
        values = list(value) if _repeated(field) else [value]
        if field.type == field.TYPE_MESSAGE:
            for item in values:
                yield from _proto_texts(item)
        elif field.type == field.TYPE_STRING and field.name in _TEXT_FIELDS:
            yield from values


def _repeated(field) -> bool:
    if hasattr(field, "is_repeated"):
        return field.is_repeated
    return field.label == field.LABEL_REPEATED


def _spec_titles(node):
    """Every title in a Vega-Lite spec (chart, axis, legend, tooltip), and the text of title objects."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "title" and isinstance(value, str):
                yield value
            elif key == "title" and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            elif key in ("text", "subtitle") and isinstance(value, str):
                yield value
            elif key not in ("datasets", "data"):
                yield from _spec_titles(value)
    elif isinstance(node, list):
        for item in node:
            yield from _spec_titles(item)


def _nodes(node):
    yield node
    children = getattr(node, "children", None) or {}
    for child in children.values() if isinstance(children, dict) else children:
        yield from _nodes(child)


def shown_texts(at) -> list[tuple[str, str]]:
    """(element type, text) for every string the page shows, charts and tables included."""
    found = []
    for node in _nodes(at._tree):
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if proto is None or kind in _SKIP_ELEMENTS:
            continue
        if kind == "vega_lite_chart":
            found += [(kind, text) for text in _spec_titles(json.loads(proto.spec))]
            continue
        if kind in ("dataframe", "table", "arrow_data_frame"):
            value = getattr(node, "value", None)
            found += [(kind, str(column)) for column in getattr(value, "columns", [])]
            continue
        found += [(kind, text) for text in _proto_texts(proto) if isinstance(text, str)]
    return found


def untranslated(at, phrases=()) -> list[str]:
    return sorted({f"{kind}: {run}" for kind, text in shown_texts(at) for run in english_runs(text, phrases=phrases)})


def page_phrases(page: str) -> tuple[str, ...]:
    """English a page shows on purpose in Korean: the glossary's English terms beside the Korean ones,
    and the references' titles as published."""
    if page == "pages/glossary.py":
        return tuple(term["en"] for term in glossary().values())
    if page == "pages/references.py":
        return tuple(entry["title"] for entry in i18n.catalog("references").values() if "title" in entry)
    return ()


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_in_korean_shows_no_english_sentence(page):
    at = open_page(page, lang="ko")
    assert i18n.text("ko", "share.title") in [text for _, text in shown_texts(at)]  # the checker reads it all
    phrases = page_phrases(page)
    assert untranslated(at, phrases) == [], [t for _, t in shown_texts(at) if english_runs(t, phrases=phrases)]


def _site_sidebar():
    """The sidebar the entry point draws: AppTest keeps only the page's own sidebar elements after a
    page change (it merges the two scripts' elements by position), so it is checked on its own."""
    import streamlit as st

    from tests.conftest import ROOT
    from vae_site import i18n, navigation, sidebar

    navigation.menu([st.Page(ROOT / path, title=i18n.t(key), icon=icon) for path, key, icon in navigation.PAGES])
    i18n.switch()
    sidebar.model_card()


def test_the_sidebar_in_korean_shows_no_english_sentence():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_site_sidebar, default_timeout=120)
    at.query_params[i18n.KEY] = "ko"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [text for _, text in shown_texts(at)]
    assert i18n.text("ko", "site.card_heading") in shown and i18n.text("ko", "site.nav_anomaly") in shown
    assert untranslated(at) == []


def test_the_sidebar_gives_the_nll_in_nats_and_in_bits_per_pixel():
    import math

    from streamlit.testing.v1 import AppTest

    from vae_site.resources import model_json
    from vae_tf import store

    at = AppTest.from_function(_site_sidebar, default_timeout=120)
    at.run()
    nll = store.iwae_nll(model_json("vae_main", store.METRICS))
    card = " ".join(m.value for m in at.sidebar.markdown)
    assert f"**{nll:.2f} nats**, {nll / math.log(2) / 784:.3f} bits per pixel" in card and "lower is better" in card


def test_a_missing_model_is_reported_in_korean_on_a_korean_page(tmp_path, monkeypatch):
    """The message was once built from the English exception text: now from its parts, in the page's language."""
    from vae_tf import store

    monkeypatch.setenv(store.MODELS_ENV, str(tmp_path))
    at = open_page(lang="ko")
    errors = [e.value for e in at.error]
    assert errors and all("파일이 없습니다" in e and "python -m vae_tf.train" in e for e in errors), errors
    assert not [run for e in errors for run in english_runs(e)], errors


def test_the_checker_finds_the_english_of_an_english_page():
    """The same page in English is full of English: the checker reads what the page shows."""
    assert len(untranslated(open_page("pages/sampling.py", lang="en"))) >= 5


# --- A Korean view's share link --------------------------------------------------------------


def share_link(at) -> str:
    return next(code.value for code in at.sidebar.code if "://" in code.value or "?" in code.value)


def test_the_share_link_of_a_korean_view_opens_in_korean():
    at = open_page("pages/sampling.py", lang="ko", seed="7")
    link = share_link(at)
    assert "lang=ko" in link and "seed=7" in link, link
    query = dict(part.split("=", 1) for part in link.split("?", 1)[1].split("&"))
    reopened = open_page("pages/sampling.py", **query)
    assert reopened.session_state[i18n.KEY] == "ko"
    shown = [text for _, text in shown_texts(reopened)]
    assert i18n.text("ko", "share.title") in shown
    assert reopened.number_input(key="seed").value == 7


def test_without_lang_a_korean_browser_gets_korean_and_an_english_one_english():
    """st.context.locale is the browser's preferred language (AppTest sends none: English)."""
    at = open_page()
    assert at.session_state[i18n.KEY] == "en"
    assert i18n.text("en", "share.title") in [text for _, text in shown_texts(at)]
