"""A link can break a page: arbitrary text in any URL parameter never does.

Hypothesis throws arbitrary text and nasty values (nan, inf, -0, 1e400, huge and repeated lists,
unicode, empty values, repeated parameters) at every page's URL parameters in AppTest: the names
each page shares (read from its own share link, so the test follows the pages as they change),
`lang`, and names no page knows. After each run: no exception, and every widget in a valid state
(numbers finite and within their bounds, multiselects within max_selections and without repeats,
choices among their options), and the address bar holds only names the page knows.

Each page is opened once; each example then moves the URL under that session (as Back and
Forward do, which share.restore re-reads) and reruns: about 0.1-0.5 s a run. A few hostile links
are also opened as a fresh session's first request.
"""

import functools
import math
from urllib.parse import parse_qsl

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from tests.pages import APP, TIMEOUT, open_page, share_link
from vae_site import i18n, navigation

PAGE_FILES = [path for path, _, _ in navigation.PAGES]
EXAMPLES = 12  # per page: the file stays within ~60 s on this machine's 2 shared cores

NASTY = [
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "-0",
    "+0",
    "0",
    "-1",
    "1e400",
    "-1e400",
    "1e3",
    "0x10",
    "0b1",
    "1_000",
    "2147483648",
    "9" * 40,
    "3.5",
    "-3.0000001",
    "１２",
    "٣",
    "½",
    "☃",
    "\x00",
    "%00",
    "a=b&c=d",
    "true",
    "None",
    "null",
    "[]",
    "{}",
    "",
    " ",
    ",",
    ",,,",
    "1,1",
    "0,0,0",
    "0,1,2,3,4,5,6,7,8,9",
    ",".join(["0"] * 500),
    ",".join(map(str, range(2000))),
    "neg_elbo",
    "iwae",
    "−ELBO",
    "ko",
    "en",
    "xx",
    "KO",
    "vae_main,vae_main",
    "vae_2d,ae_2d,vae_32d,ae_32d,vae_main",
]

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers().map(str), st.integers(-3, 1100).map(str)
)
items = st.one_of(numbers, st.sampled_from(NASTY), st.text(max_size=6))
values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    numbers,
    st.lists(items, max_size=40).map(",".join),  # lists, with repeats and junk
    st.lists(st.sampled_from(NASTY[:20]) | numbers, min_size=2, max_size=4),  # ?k=a&k=b
)
unknown = st.text(st.characters(codec="utf-8", exclude_characters="&=#%"), min_size=1, max_size=10)


@functools.cache
def opened(page: str):
    """The page opened once in AppTest, and the names it shares (from its share link)."""
    at = open_page(page)
    return at, shared_names(at)


def shared_names(at) -> set[str]:
    link = share_link(at)
    return {name for name, _ in parse_qsl(link.split("?", 1)[1], keep_blank_values=True)} - {i18n.KEY}


def queries(names: set[str]):
    known = st.dictionaries(st.sampled_from(sorted(names | {i18n.KEY})), values, max_size=len(names) + 1)
    stranger = unknown.filter(lambda n: n not in names and n.lower() not in ("embed", "embed_options"))
    strangers = st.dictionaries(stranger, values, max_size=3)
    return st.tuples(known, strangers).map(lambda pair: {**pair[1], **pair[0]})


def finite_within(value, low, high) -> bool:
    values = value if isinstance(value, (tuple, list)) else [value]
    return all(math.isfinite(v) and low <= v <= high for v in values)


def invalid_widgets(at) -> list[str]:
    """Every widget whose value a visitor could not have set."""
    bad = []
    for w in at.number_input:
        low = w.proto.min if w.proto.has_min else -math.inf
        high = w.proto.max if w.proto.has_max else math.inf
        if w.value is not None and not finite_within(w.value, low, high):
            bad.append(f"number_input {w.key}={w.value!r} not in [{low}, {high}]")
    for w in at.slider:
        if not finite_within(w.value, w.min, w.max):
            bad.append(f"slider {w.key}={w.value!r} not in [{w.min}, {w.max}]")
    for w in at.multiselect:
        chosen = list(w.value)
        limit = w.proto.max_selections or len(w.options)
        known = set(w.indices) <= set(range(len(w.options)))
        if len(chosen) > limit or len(set(map(str, chosen))) != len(chosen) or not known:
            bad.append(f"multiselect {w.key}={chosen!r} (max {limit})")
    for w in list(at.radio) + list(at.selectbox):
        if w.index is not None and not 0 <= w.index < len(w.options):
            bad.append(f"{w.type} {w.key} index {w.index} of {len(w.options)}")
    return bad


def check(at, names: set[str], query: dict) -> None:
    assert not at.exception, (query, [e.value for e in at.exception])
    assert invalid_widgets(at) == [], query
    assert set(at.query_params) <= names | {i18n.KEY}, (query, dict(at.query_params))


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_reads_its_shared_names(page):
    """The discovery is not empty where a page shares settings (the fuzzing below needs names)."""
    _, names = opened(page)
    if page in ("pages/sampling.py", "pages/reconstruction.py", "pages/ae_vs_vae.py", "pages/theory.py"):
        assert names, page


@pytest.mark.parametrize("page", PAGE_FILES)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_no_url_breaks_a_page_or_its_widgets(page, data):
    at, names = opened(page)
    query = data.draw(queries(names), label="query")
    at.query_params.clear()
    at.query_params.update(query)
    at.run()
    check(at, names, query)


HOSTILE = [
    {"picks": "0,1,2,3,4,5,6,7,8,9"},
    {"temperature": "nan"},
    {"z1": "nan", "z2": "nan"},
    {"seed": "1e400", "count": "-0", "start": "inf", "end": "-1"},
    {"models": "vae_main,vae_main"},
    {"score": "☃", "term": "", "digit": "99999999999999999999", "lang": "xx", "unknown": "1"},
]


@pytest.mark.parametrize("page", PAGE_FILES)
def test_hostile_links_as_a_fresh_sessions_first_request(page):
    names = opened(page)[1]
    query = {key: value for hostile in HOSTILE for key, value in hostile.items()}
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()  # the home page first, with the same link
    check(at, opened(PAGE_FILES[0])[1], query)
    at.switch_page(page)
    at.query_params.clear()
    at.query_params.update(query)
    at.run()
    check(at, names, query)
