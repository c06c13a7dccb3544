"""The campaign gallery: what a person sees, and links that work both in the bucket and in ./out."""

import re
from html.parser import HTMLParser

from handlers.shared.gallery import href, render

SIZES = {
    "instagram-square": (1080, 1080),
    "instagram-story": (1080, 1920),
    "facebook-feed": (1200, 630),
    "twitter-card": (1200, 675),
    "linkedin-post": (1200, 627),
}
CID = "summer-splash-2026-1a2b3c4d"


def variants(slug):
    return [
        {"name": name, "width": w, "height": h, "key": f"output/{CID}/variants/{slug}/{name}.jpg"}
        for name, (w, h) in SIZES.items()
    ]


MANIFEST = {
    "campaign_id": CID,
    "campaign_name": "Summer <Splash> 2026",
    "campaign_message": "Stay cool & dry",
    "brief_key": "input/campaign-briefs/summer splash.json",
    "status": "partial",
    "expected_products": 3,
    "total_cost_usd": 0.08,
    "updated_at": "2026-11-25T05:00:00.000Z",
    "products": [
        {
            "index": 0,
            "name": "Citrus",
            "image_source": "existing",
            "status": "complete",
            "cost_usd": 0.0,
            "source_key": "existing-assets/acme/citrus/product.png",
            "variants": variants("00-citrus"),
            "error": None,
        },
        {
            "index": 1,
            "name": "Berry",
            "image_source": "generated",
            "status": "complete",
            "cost_usd": 0.08,
            "source_key": f"output/{CID}/generated/01-berry.png",
            "variants": variants("01-berry"),
            "error": None,
        },
        {
            "index": 2,
            "name": "Grape",
            "image_source": "generated",
            "status": "failed",
            "cost_usd": 0.0,
            "source_key": None,
            "variants": [],
            "error": {"code": "ContentFiltered", "message": "the model's filter refused the prompt"},
        },
    ],
}


class Page(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.images, self.links, self.text = [], [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        if tag == "a":
            self.links.append(attrs["href"])
        if tag in ("link", "iframe") or (tag == "script" and "src" in attrs):
            raise AssertionError(f"the gallery must be self-contained, found <{tag}> {attrs}")

    def handle_data(self, data):
        self.text.append(data)


def test_every_variant_is_shown_with_its_name_size_and_aspect_ratio():
    page = Page(render(MANIFEST))
    shown = [(img["alt"], int(img["width"]), int(img["height"])) for img in page.images if "width" in img]
    assert shown == [(name, w, h) for _ in range(2) for name, (w, h) in SIZES.items()]
    text = " ".join(page.text)
    for name, (w, h) in SIZES.items():
        assert f"{w} × {h}" in text and name in text
    html = render(MANIFEST)
    assert html.count("--w:1080;--h:1920") == 2  # the story frame keeps 9:16


def test_links_are_relative_to_the_campaign_folder_so_they_work_in_the_bucket_and_locally():
    page = Page(render(MANIFEST))
    sources = [img["src"] for img in page.images]
    assert "../../existing-assets/acme/citrus/product.png" in sources  # bucket root, from output/<id>/
    assert "generated/01-berry.png" in sources
    assert "variants/01-berry/instagram-story.jpg" in sources
    local = Page(render(MANIFEST, root=""))
    assert "existing-assets/acme/citrus/product.png" in [img["src"] for img in local.images]
    for link in page.links + sources:
        assert not re.match(r"^[a-z]+:|^/", link), link  # no scheme, no absolute path: no external resource


def test_a_link_function_names_every_image_and_the_manifest_and_its_url_is_escaped_in_the_attribute():
    def signed(key):
        return f"https://bucket.s3.amazonaws.com/{key}?X-Amz-Expires=900&X-Amz-Signature=ab"

    html = render(MANIFEST, link=signed)
    page = Page(html)
    assert sorted(img["src"] for img in page.images) == sorted(
        signed(key)
        for key in [
            "existing-assets/acme/citrus/product.png",
            f"output/{CID}/generated/01-berry.png",
            *(v["key"] for p in MANIFEST["products"] for v in p["variants"]),
        ]
    )
    assert signed(f"output/{CID}/manifest.json") in page.links
    assert "&X-Amz-Signature" not in html and "&amp;X-Amz-Signature" in html  # valid HTML: & escaped


def test_status_cost_and_errors_are_visible_and_text_is_escaped():
    html = render(MANIFEST)
    text = " ".join(Page(html).text)
    assert "Summer <Splash> 2026" in text and "<Splash>" not in html.replace("&lt;Splash&gt;", "")
    assert "Stay cool & dry" in text
    assert "partial" in text and "$0.080" in text and "2 of 3 complete" in text
    assert "Cost: no model cost · 5 variants" in text  # Citrus, an existing asset: nothing paid, said in words
    assert "$0.000" not in text
    assert "ContentFiltered" in text and "the model's filter refused the prompt" in text
    assert "no source image" in text


def test_times_are_marked_up_for_the_readers_locale_and_read_in_utc_without_scripts():
    html = render(MANIFEST | {"cancel_requested_at": "2026-11-25T04:59:30.250Z"})
    assert (
        '<time datetime="2026-11-25T05:00:00+00:00" title="2026-11-25T05:00:00.000Z">2026-11-25 05:00 UTC</time>'
    ) in html
    assert '<time datetime="2026-11-25T04:59:30.250000+00:00"' in html
    assert "2026-11-25T05:00:00.000Z</" not in html  # the raw stamp is no longer the text a person reads


def test_keys_with_spaces_and_unicode_are_url_encoded():
    assert href(f"output/{CID}/variants/00-caf/instagram story.jpg", CID) == "variants/00-caf/instagram%20story.jpg"
    assert href("existing-assets/café/p.png", CID) == "../../existing-assets/caf%C3%A9/p.png"


def test_publish_writes_the_page_next_to_the_manifest():
    from handlers.shared.gallery import publish

    class S3:
        def put_object(self, **kwargs):
            self.put = kwargs

    s3 = S3()
    assert publish(s3, "bucket", MANIFEST) == f"output/{CID}/index.html"
    assert s3.put["Key"] == f"output/{CID}/index.html" and s3.put["ContentType"].startswith("text/html")
    assert b"../../existing-assets/acme/citrus/product.png" in s3.put["Body"]  # bucket-relative links


def checked(name, locale=None, reasons=()):
    w, h = SIZES[name]
    folder = f"00-citrus/{locale}" if locale else "00-citrus"
    return {
        **({"locale": locale} if locale else {}),
        "name": name,
        "width": w,
        "height": h,
        "key": f"output/{CID}/variants/{folder}/{name}.jpg",
        "check": {
            "needs_review": bool(reasons),
            "reasons": list(reasons),
            "placement": "beside-right",
            "product_visible": True,
            "overlap_px": 0,
            "contrast": 12.3,
            "text_px": 57,
            "upscale": 0.8,
            "fonts": ["Noto Sans", "Noto Sans CJK SC"],
            "extended": True,
        },
    }


def localized_manifest():
    flagged = "source enlarged 2.6x (more than 2x): may look soft"
    product = dict(MANIFEST["products"][0])
    product["variants"] = [checked(n, "en-US") for n in SIZES] + [
        checked(n, "ja-JP", [flagged] if n == "instagram-story" else []) for n in SIZES
    ]
    return {
        **MANIFEST,
        "campaign_message": {"en-US": "Stay cool", "ja-JP": "涼しい夏を"},
        "products": [product],
        "expected_products": 1,
    }


def test_each_variant_shows_its_creative_check_and_the_product_lists_what_needs_a_look():
    html = render(localized_manifest())
    text = " ".join(Page(html).text)
    assert text.count("Checks passed") == 9 and text.count("Needs a look") == 1
    assert "1 variant(s) need a look" in text
    assert "ja-JP/instagram-story" in text and "source enlarged 2.6x (more than 2x): may look soft" in text
    for figure in ("12.3:1", "57 px", "0 px", "0.8×", "beside-right", "Noto Sans CJK SC", "whole, inside the margin"):
        assert figure in text, figure
    assert text.count("extended past the source") == 10


def test_a_generative_expand_names_the_model_and_what_it_cost():
    manifest = localized_manifest()
    variants = manifest["products"][0]["variants"]
    variants[0]["check"] |= {"expanded_by": "amazon.nova-canvas-v1:0", "expand_cost_usd": 0.08}
    variants[1]["check"] |= {"expanded_by": "amazon.nova-canvas-v1:0", "expand_cost_usd": 0.0}
    variants[2]["check"] |= {"extended": False}
    text = " ".join(Page(render(manifest)).text)
    assert "extended by amazon.nova-canvas-v1:0 ($0.080)" in text
    assert "extended by amazon.nova-canvas-v1:0 (reused, no charge)" in text
    assert text.count("cropped from the source") == 1


def test_a_localized_campaign_has_a_locale_switch_without_scripts():
    html = render(localized_manifest())
    page = Page(html)  # raises on <script>
    assert html.count('type="radio" name="locale"') == 2 and 'id="locale-0" class="locale-radio" checked' in html
    assert '<label for="locale-0">en-US</label>' in html and '<label for="locale-1">ja-JP</label>' in html
    # One block of variants per locale, each only that locale's images; CSS shows the checked one.
    assert html.count('class="variants locale-0 localized"') == 1 and html.count('class="variants locale-1 localized"')
    en, ja = html.split('class="variants locale-1 localized"')
    assert "00-citrus/en-US/" in en and "00-citrus/ja-JP/" not in en and "00-citrus/ja-JP/" in ja
    assert "#locale-1:checked ~ main .locale-1 { display:flex; }" in html
    assert "涼しい夏を" in " ".join(page.text) and '<bdi lang="ja-JP">' in html
    assert len([img for img in page.images if "width" in img]) == 10


def test_a_plain_message_keeps_one_block_of_variants_and_no_switch():
    html = render(MANIFEST)
    assert 'name="locale"' not in html and 'class="variants"' in html


def test_an_animated_source_says_which_frame_was_used():
    manifest = {**MANIFEST, "products": [{**MANIFEST["products"][0], "source_frames": 12}]}
    assert "its first of 12 frames is used" in " ".join(Page(render(manifest)).text)
    assert "frames" not in " ".join(Page(render(MANIFEST)).text)


def test_a_reason_every_variant_shares_is_said_once_for_the_product():
    """A full-bleed photo: every size says 'no product found'. The page says it once, and each variant only what
    is its own."""
    everywhere = (
        "no product found (the picture fills the whole frame (full-bleed)): cover crop, message over the picture"
    )
    own = "text is 20 px, smaller than 22 px"
    manifest = localized_manifest()
    product = manifest["products"][0]
    product["variants"] = [
        checked(name, "en-US", [everywhere] + ([own] if name == "twitter-card" else [])) for name in SIZES
    ]
    text = " ".join(Page(render(manifest)).text)
    assert text.count(everywhere) == 1 and "every variant" in text
    assert text.count(own) == 2  # in the product's list and under its variant
    assert "5 variant(s) need a look" in text and text.count("Needs a look") == 5
