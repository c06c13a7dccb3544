"""`out/latest/index.html`: one row per campaign of the run with its status, products, variants and how many
variants need a look, linked to its gallery; each refused upload with its first reason, linked to its report."""

from html.parser import HTMLParser

from localrun.run_index import render


class Rows(HTMLParser):
    """The table's rows as their cells' text, and every link."""

    def __init__(self, html):
        super().__init__()
        self.rows, self.links, self.items, self._cell, self._in_item = [], [], [], None, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._cell = []
        elif tag == "li":
            self.items.append("")
            self._in_item = True
        elif tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag == "td":
            self.rows[-1].append(" ".join(self._cell))
            self._cell = None
        elif tag == "li":
            self._in_item = False

    def handle_data(self, data):
        if self._cell is not None and data.strip():
            self._cell.append(data.strip())
        elif self._in_item:
            self.items[-1] += data


def variant(name, needs_review=False):
    return {"name": name, "width": 1080, "height": 1080, "check": {"needs_review": needs_review}}


CAMPAIGNS = {
    "summer-splash-2026-1a2b3c4d": {
        "campaign_name": "Summer Splash 2026",
        "status": "complete",
        "expected_products": 2,
        "total_cost_usd": 0.0,
        "updated_at": "2026-11-25T05:00:00.000Z",
        "products": [
            {"status": "complete", "variants": [variant("a"), variant("b", True), variant("c", True)]},
            {"status": "complete", "variants": [variant("d")]},
        ],
    },
    "hmlh-lsyf-0a1b2c3d": {
        "campaign_name": "حملة الصيف",
        "status": "partial",
        "expected_products": 2,
        "total_cost_usd": 0.04,
        "updated_at": "2026-11-25T06:30:00.000Z",
        "products": [{"status": "complete", "variants": [variant("a")]}, {"status": "failed", "variants": []}],
    },
}
REJECTIONS = {
    "output/rejected/notes/20261125T050000.000Z-v1.json": {
        "brief_key": "input/campaign-briefs/notes.txt",
        "violations": [{"path": "$", "message": "the parser reads briefs named *.json"}],
    }
}


def test_each_campaign_has_its_status_products_variants_review_count_cost_and_time():
    page = Rows(render(CAMPAIGNS, REJECTIONS, "2026-11-25T07:00:00+00:00"))
    assert page.rows[1:] == [
        ["حملة الصيف hmlh-lsyf-0a1b2c3d", "partial", "1 of 2", "1", "0", "$0.040", "2026-11-25 06:30 UTC"],
        ["Summer Splash 2026 summer-splash-2026-1a2b3c4d", "complete", "2 of 2", "4", "2", "no model cost",
         "2026-11-25 05:00 UTC"],
    ]  # fmt: skip


def test_campaigns_link_to_their_galleries_and_refusals_to_their_reports():
    page = Rows(render(CAMPAIGNS, REJECTIONS, "2026-11-25T07:00:00+00:00"))
    assert page.links == [
        "hmlh-lsyf-0a1b2c3d/index.html",
        "summer-splash-2026-1a2b3c4d/index.html",
        "../rejected/notes/20261125T050000.000Z-v1.json",
        "summary.txt",
    ]
    assert page.items == ["notes.txt: the parser reads briefs named *.json (report)"]


def test_a_run_with_only_refused_uploads_says_so():
    html = render({}, REJECTIONS, "2026-11-25T07:00:00+00:00")
    assert "No campaign: every upload was refused." in html and "<table" not in html
