"""The reconstruction page, reached from the entry point with AppTest, showing what it should."""



from tests.pages import image_urls, metric, open_page, png_bytes


def test_reconstruction_of_an_upload_and_of_a_bad_file(served, bundled):
    at = open_page("pages/reconstruction.py")
    at.multiselect(key="picks").set_value([]).run()
    assert any("Upload an image" in i.value for i in at.info)
    seven = png_bytes(bundled[0][0])
    at.file_uploader(key="upload").set_value([("seven.png", seven, "image/png"),
                                              ("notes.png", b"this is not an image", "image/png")]).run()
    assert not at.exception
    assert [s.value for s in at.subheader][:1] == ["1. `seven.png`"]
    (warning,) = at.warning
    assert "notes.png" in warning.value and "not an image" in warning.value
    assert metric(at, "KL") > 0 and metric(at, "−ELBO") > metric(at, "KL")
    assert len(image_urls(at)) >= 8 + 6  # input, reconstruction, six posterior draws; preprocessing steps


def test_a_file_name_is_shown_as_plain_text(bundled):
    at = open_page("pages/reconstruction.py")
    name = "![x](http://127.0.0.1/t.png) <b>`bold`</b>.png"
    at.file_uploader(key="upload").set_value([(name, png_bytes(bundled[0][1]), "image/png")]).run()
    assert not at.exception
    assert at.subheader[0].value == "1. `![x](http://127.0.0.1/t.png) <b>'bold'</b>.png`"
