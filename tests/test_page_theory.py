"""The theory page, reached from the entry point with AppTest: its numbers against independent
computations, its words against its own charts, its widgets' behaviour, and the code it shows."""

import inspect
import json
import re
import textwrap

import numpy as np
import pytest

from tests.pages import charts, image_urls, metric, open_page
from vae_site import code, resources
from vae_tf import data, explain, figures, store
from vae_tf.figures import theory as theory_figure


def answered(at):
    """The page after both predict-then-check prompts have a guess: their chart and numbers show."""
    at.radio(key="predict_estimates").set_value("prior").run()
    at.radio(key="predict_terms").set_value("kl").run()
    assert not at.exception
    return at


@pytest.fixture(scope="module")
def page():
    """The theory page at test digit 5, in English, both prompts answered."""
    return answered(open_page(digit="5"))


def _text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_theory_shows_pixel_errors_and_the_live_elbo(page, served, bundled):
    at = page
    assert len(at.header) == 6 and at.number_input(key="digit").value == 5
    x = bundled[0][5]
    erased, shifted = explain.pixel_error(x, explain.erase(x)), explain.pixel_error(x, explain.shift(x, 1))
    text = _text(at)
    assert f"({shifted:.1f})" in text and f"({erased:.1f})" in text
    assert shifted > erased and "is **far**" in text
    binary = data.binarize(bundled[0], 0)[5]
    terms = served["vae_32d"].elbo_terms(binary[None], seed=0, draws=100)
    assert metric(at, "KL") == pytest.approx(terms["kl"][0], abs=0.051)
    assert metric(at, "−ELBO") == pytest.approx(terms["neg_elbo"][0], abs=0.051)
    assert metric(at, "Reconstruction") == pytest.approx(terms["recon"][0], abs=0.051)


def test_the_words_under_the_chart_come_from_the_chart(page):
    """The numbers and the verb ("flat since", "still climbing") are read off the plotted curve: they cannot drift."""
    (chart,) = charts(page)
    frame = chart["estimates"]
    assert frame.groupby("proposal")["samples"].max().to_dict() == {"prior": 5_000, "importance": 1_000}
    prior = frame[frame["proposal"] == "prior"]
    verb, since, change = explain.trend(prior["samples"].to_numpy(), prior["estimate"].to_numpy())
    text = _text(page)
    assert f"**{prior['estimate'].iloc[-1]:.1f}** nats" in text
    if verb == "flat":
        assert f"**flat since n ≈ {since:,}**" in text and "climbing" not in text
    else:
        assert f"**still {verb}** ({change:+.1f} nats" in text and "flat since" not in text
    importance = frame[frame["proposal"] == "importance"]["estimate"]
    assert f"**{importance.iloc[-1]:.1f}** nats after 1,000 samples" in text


@pytest.mark.parametrize("index", [5, 250])
def test_the_prior_estimate_equals_one_made_for_the_digit_alone(served, bundled, index):
    """The chart's last prior point is the mean of p(x|z) over the figure's 5,000 prior codes."""
    (chart,) = charts(answered(open_page(digit=str(index))))
    vae = served["vae_32d"]
    binary = data.binarize(bundled[0], 0)[index]
    log_px_z = vae.log_likelihood(binary[None], vae.sample_prior(5_000, seed=theory_figure.PRIOR_SEED))[:, 0]
    alone = explain.running_log_mean_exp(log_px_z, [5_000])
    prior = chart["estimates"].query("proposal == 'prior'")["estimate"]
    assert prior.iloc[-1] == pytest.approx(alone[0], abs=1e-3)


def test_the_shipped_figure_equals_a_fresh_computation(served):
    """figures.npz of the N(0, I) VAE holds what `compute` gives now (the first ten digits, to keep it fast)."""
    shipped = figures.load(store.model_dir(store.SHIPPED["vae_32d"]))[theory_figure.NAME]
    fresh = theory_figure.curves(served["vae_32d"], theory_figure.bundled_binary_digits()[:10], 0)
    for key, value in fresh.items():
        np.testing.assert_allclose(shipped[key][..., :10], value, rtol=0, atol=2e-3, err_msg=key)
    np.testing.assert_array_equal(shipped["prior_counts"], explain.sample_counts(theory_figure.SAMPLES))
    vae = served["vae_32d"]
    np.testing.assert_allclose(shipped["prior_samples"], vae.decode(vae.sample_prior(8, seed=0)), atol=1e-5)


def test_the_digit_box_shows_its_range_and_refuses_what_lies_outside():
    at = open_page()
    box = at.number_input(key="digit")
    assert "0–999" in box.label and "0" in box.help and "999" in box.help
    box.set_value(1000).run()
    assert at.number_input(key="digit").value == 999
    (warning,) = at.warning
    assert "no test digit 1000" in warning.value and "999" in warning.value
    at.number_input(key="digit").set_value(-3).run()
    assert at.number_input(key="digit").value == 0 and "no test digit -3" in at.warning[0].value
    at.number_input(key="digit").set_value(42).run()
    assert at.number_input(key="digit").value == 42 and not at.warning


def _graph_numbers(at, name: str) -> np.ndarray:
    """The numbers shown in a node of the reparameterisation graph, e.g. "z = (0.51, −1.20)"."""
    spec = at.get("graphviz_chart")[0].proto.spec
    found = re.search(name + r" = \(([^)]*)\)", spec.split("z = μ + σ ⊙ ε")[-1] if name == "z" else spec)
    return np.array([float(v.replace("−", "-")) for v in found.group(1).split(",")])


def test_the_epsilon_button_draws_a_new_z_and_decodes_it(served, bundled):
    at = open_page(digit="5")
    mu, sigma = (a[0] for a in served["vae_2d"].encode(data.binarize(bundled[0], 0)[5][None]))
    np.testing.assert_allclose(_graph_numbers(at, "μ"), mu, atol=0.006)
    np.testing.assert_allclose(_graph_numbers(at, "σ"), sigma, atol=0.006)
    z, eps, images = _graph_numbers(at, "z"), _graph_numbers(at, "ε"), image_urls(at)
    np.testing.assert_allclose(z, mu + sigma * eps, atol=0.02)
    at.button(key="new_eps").click().run()
    z2, eps2 = _graph_numbers(at, "z"), _graph_numbers(at, "ε")
    assert not np.allclose(eps2, eps) and not np.allclose(z2, z)
    np.testing.assert_allclose(z2, mu + sigma * eps2, atol=0.02)
    assert image_urls(at) != images  # the decoded digit changed with z
    spec = at.get("graphviz_chart")[0].proto.spec
    assert "eps -> z [style=dashed" in spec and "mu -> z [color=" in spec


def test_every_object_shown_as_code_exists_and_its_marked_lines_are_found():
    """A rename in vae_tf fails here (the page itself would only say the source is missing)."""
    for key, (module, qualname, marks) in code.SNIPPETS.items():
        obj = code.resolve(module, qualname)
        assert textwrap.dedent(inspect.getsource(obj)) == code.source(key)
        assert set(code.line_numbers(key)) == set(marks), (key, marks)


def test_the_page_shows_the_exact_source_with_its_line_notes(page):
    shown = [c.value.rstrip() for c in page.code]
    for key in ("decoder_net", "likelihood", "posterior_layer", "elbo_terms", "kl_exact", "iwae_mean"):
        assert code.source(key).rstrip() in shown, key
    captions = " ".join(c.value for c in page.caption)
    layer = code.line_numbers("posterior_layer")
    assert f"Line {layer['kl']}: KLDivergenceRegularizer" in captions
    assert f"Line {code.line_numbers('bernoulli_layer')['layer']}:" in captions


def test_the_page_in_korean():
    at = answered(open_page(lang="ko", digit="5"))
    assert at.title[0].value == "변분 오토인코더는 어떻게 동작하는가"
    assert len(at.header) == 6 and all(re.search("[가-힣]", h.value) for h in at.header)
    prose = [m.value for m in at.markdown if not m.value.startswith("`vae_tf.")]
    assert prose and all(re.search("[가-힣]", m) for m in prose), [m for m in prose if not re.search("[가-힣]", m)]
    latex = " ".join(x.value for x in at.latex)
    assert r"\text{(옌센 부등식: log는 오목 함수)}" in latex and r"\text{재구성}" in latex
    assert "Reconstruction" not in " ".join(m.label for m in at.metric)
    assert at.button(key="new_eps").label == "새 ε 뽑기"


def test_the_shipped_figure_is_read_without_loading_its_model(monkeypatch):
    """The page shows only the N(0, I) VAE's fixed figure: reading it from figures.npz loads no model
    (loading it made the site's first page wait for a model it does not run)."""
    monkeypatch.setattr(resources, "require", lambda role: pytest.fail(f"{role} was loaded"))
    shipped = figures.load(store.model_dir(store.SHIPPED["vae_32d"]))[theory_figure.NAME]
    read = resources.figure("vae_32d", theory_figure.NAME)
    assert read.keys() == shipped.keys() and not read["prior"].flags.writeable
    np.testing.assert_array_equal(read["prior"], shipped["prior"])


# --- The overview, true sentences for every digit, prompts, recap, alt texts ----------------------


def _latent_map(at) -> dict:
    (element,) = [e for e in at.get("bidi_component") if e.proto.component_name == "vae_latent_map"]
    return json.loads(element.proto.json)


def test_the_overview_draws_the_digits_posterior_on_the_map_and_decodes_its_centre(page, served, bundled):
    """The first thing on the page: the chosen digit's q(z|x) as an ellipse on the 2-D map, its decoding."""
    mu, sigma = (a[0] for a in served["vae_2d"].encode(data.binarize(bundled[0], 0)[5][None]))
    (posterior,) = _latent_map(page)["posteriors"]
    assert posterior["label"] == str(int(bundled[1][5]))
    np.testing.assert_allclose(posterior["mean"], mu, atol=1e-3)
    np.testing.assert_allclose(posterior["std"], sigma, atol=1e-3)
    first = page.get("image")[0].proto.imgs
    assert "test digit 5" in first[0].caption and "decoded at the centre" in first[1].caption
    assert "Test digit number 5" in first[0].alt and "q(z|x)" in first[1].alt
    assert page.main.children[0].type != "header"  # the overview comes before the first section


def test_the_kind_picker_shows_the_first_test_digit_of_that_kind(bundled):
    at = open_page(digit="0")
    assert at.get("pills")[0].value == int(bundled[1][0])  # the picker shows the kind of the digit shown
    at.get("pills")[0].set_value(7).run()
    first_seven = int(np.flatnonzero(bundled[1] == 7)[0])
    assert at.number_input(key="digit").value == first_seven and not at.exception
    assert _latent_map(at)["posteriors"][0]["label"] == "7"


def test_every_image_has_a_text_alternative(page):
    imgs = [img for element in page.get("image") for img in element.proto.imgs]
    assert imgs and all(img.HasField("alt") for img in imgs)
    assert all(img.alt for img in imgs[:2])  # the overview's pictures say what they show


def _ratio(text: str) -> float:
    """The number in "about 150,000 times" or "about 10²⁹ times"."""
    found = re.search(r"about ([\d,.]+|10[⁰¹²³⁴⁵⁶⁷⁸⁹]+) times", text).group(1)
    if found.startswith("10") and not found[2:3].isascii():
        return 10.0 ** int(found[2:].translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")))
    return float(found.replace(",", ""))


@pytest.mark.parametrize("index", [5, 239, 314, 511, 330])
def test_the_comparison_of_the_two_estimates_is_true_for_every_digit(index):
    """Digits #239, #314, #511 have q's estimate *below* the prior's; the page once said
    "−0.8 nats above" and "e^0 times larger" (with a literal caret)."""
    at = answered(open_page(digit=str(index)))
    (chart,) = charts(at)
    frame = chart["estimates"]
    prior = frame[frame["proposal"] == "prior"]["estimate"].iloc[-1]
    importance = frame[frame["proposal"] == "importance"]["estimate"].iloc[-1]
    gap = importance - prior
    text = _text(at)
    assert "^" not in text and "e^" not in text
    if gap >= 0.05:
        assert f"{gap:.1f} nats above the prior's estimate" in text and "*below*" not in text
        ratio = _ratio(text)
        if gap < np.log(1e6):
            assert ratio == pytest.approx(np.exp(gap), rel=0.06)
        else:
            assert np.log10(ratio) == int(gap / np.log(10))
    elif gap > -0.05:
        assert "to within 0.05 nats" in text
    else:
        assert f"{-gap:.1f} nats *below* the prior's estimate" in text and "above the prior" not in text
        assert "times larger" not in text


def test_the_negative_gap_digits_of_the_issue_are_below(bundled):
    shipped = figures.load(store.model_dir(store.SHIPPED["vae_32d"]))[theory_figure.NAME]
    gap = shipped["importance"][-1] - shipped["prior"][-1]
    assert all(gap[i] < -0.05 for i in (239, 314, 511))  # the cases the test above must cover


def test_the_near_case_says_what_is_measured_and_how_rare_it_is(bundled):
    x = bundled[0]
    shifted = np.array([explain.pixel_error(d, explain.shift(d, 1)) for d in x])
    erased = np.array([explain.pixel_error(d, explain.erase(d)) for d in x])
    near = int(np.flatnonzero(shifted <= erased)[0])
    text = _text(open_page(digit=str(near)))
    assert f"nearer ({shifted[near]:.1f})" in text and f"({erased[near]:.1f})" in text
    assert f"for {100 * np.mean(shifted > erased):.0f}% of the 1,000 test digits, (c) is the farther" in text
    assert "thicker digit" not in text


def test_the_yardstick_is_the_median_test_digit(page):
    shipped = figures.load(store.model_dir(store.SHIPPED["vae_32d"]))[theory_figure.NAME]
    typical = float(np.median(shipped["importance"][-1]))
    text = _text(page)
    assert f"log p(x) ≈ {typical:.0f} nats" in text and f"about {-typical:.0f} nats" in text
    assert "1 nat ≈ 1.44 bits" in text


def test_the_predictions_reveal_answers_from_the_data(bundled):
    at = open_page(digit="239")
    assert not charts(at) and not at.metric  # before a guess, the answers are not on the page
    shipped = figures.load(store.model_dir(store.SHIPPED["vae_32d"]))[theory_figure.NAME]
    higher = "importance" if shipped["importance"][-1, 239] >= shipped["prior"][-1, 239] else "prior"
    assert higher == "prior"  # digit 239: the prior's lucky code (see the comparison test)
    at.radio(key="predict_estimates").set_value(higher).run()
    (chart,) = charts(at)
    frame = chart["estimates"].groupby("proposal")["estimate"].last()
    assert frame.idxmax() == higher
    assert any(s.value.startswith("Right.") for s in at.success)
    assert f"{frame['importance']:.1f} nats" in at.success[0].value
    recon, kl = shipped["terms"][0, 239], shipped["terms"][1, 239]
    wrong = "kl" if recon >= kl else "recon"
    at.radio(key="predict_terms").set_value(wrong).run()
    assert any(f"Reconstruction {recon:.1f} nats, KL {kl:.1f} nats" in i.value for i in at.info)
    assert metric(at, "KL") == pytest.approx(kl, abs=0.051)  # the numbers show once guessed


def test_the_page_ends_with_a_three_line_recap(page):
    recap = [m.value for m in page.markdown if m.value.startswith("- ")][-1]
    assert recap.count("\n- ") == 2 and "ELBO" in recap


def test_the_overview_can_open_the_drawing_pad_with_its_map():
    at = open_page(digit="5")
    assert not [e for e in at.get("bidi_component") if e.proto.component_name == "vae_drawing_pad"]
    at.toggle(key="theory_draw").set_value(True).run()
    (pad,) = [e for e in at.get("bidi_component") if e.proto.component_name == "vae_drawing_pad"]
    assert json.loads(pad.proto.json)["map"] is not None and not at.exception
