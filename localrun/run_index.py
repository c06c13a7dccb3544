"""`out/latest/index.html`: the newest local run on one page (pure). Each campaign with its status, products,
variants and the variants that need a look, linked to its gallery (through the `latest/<campaign-id>` links
beside the page); each upload the parser refused, with its first reason, linked to its report; the run's
summary.txt. Styles, badges, costs and times are the gallery's (handlers/shared/gallery.py)."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from handlers.shared.bucket_layout import OUTPUT_PREFIX
from handlers.shared.gallery import CSS, LOCAL_TIMES, badge, time_html, usd


def render(campaigns: dict[str, dict[str, Any]], rejections: dict[str, dict[str, Any]], finished_at: str) -> str:
    """`campaigns`: campaign id -> final manifest; `rejections`: report key -> report; `finished_at`: ISO time."""
    rows = "\n".join(_campaign_row(cid, manifest) for cid, manifest in sorted(campaigns.items()))
    table = (
        f"""<table class="runs">
<thead><tr><th>Campaign</th><th>Status</th><th>Products complete</th><th>Variants</th><th>Need a look</th>
<th>Image cost</th><th>Updated</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>"""
        if campaigns
        else '<p class="meta">No campaign: every upload was refused.</p>'
    )
    refused = ""
    if rejections:
        items = "\n".join(_rejection_item(key, report) for key, report in sorted(rejections.items()))
        refused = (
            f'<section class="product"><h2>Refused uploads ({len(rejections)})</h2>\n<ul>\n{items}\n</ul></section>'
        )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local run · creative-automation</title>
<style>{CSS}{INDEX_CSS}</style>
</head>
<body>
<header>
  <p class="eyebrow">Local run</p>
  <h1>{len(campaigns)} campaign(s), {len(rejections)} refused upload(s)</h1>
  <dl class="facts"><div><dt>Finished</dt><dd>{time_html(finished_at)}</dd></div></dl>
</header>
<main>
<section class="product">
{table}
</section>
{refused}
</main>
<footer><a href="summary.txt">summary.txt</a> · the run's summary as the terminal printed it</footer>
{LOCAL_TIMES}
</body>
</html>
"""


def _campaign_row(campaign_id: str, manifest: dict[str, Any]) -> str:
    products = manifest.get("products", [])
    done = sum(1 for p in products if p.get("status") == "complete")
    expected = manifest.get("expected_products", len(products))
    variants = [v for p in products for v in p.get("variants") or []]
    review = sum(1 for v in variants if (v.get("check") or {}).get("needs_review"))
    link = quote(campaign_id, safe="-_.~") + "/index.html"
    return (
        f'<tr><td><a href="{link}">{_e(manifest.get("campaign_name"))}</a>'
        f"<br><code>{_e(campaign_id)}</code></td>"
        f"<td>{badge(manifest.get('status', ''))}</td>"
        f"<td>{done} of {expected}</td><td>{len(variants)}</td>"
        f'<td class="{"needs-look" if review else "none"}">{review}</td>'
        f"<td>{usd(float(manifest.get('total_cost_usd') or 0))}</td>"
        f"<td>{time_html(manifest.get('updated_at'))}</td></tr>"
    )


def _rejection_item(key: str, report: dict[str, Any]) -> str:
    name = str(report.get("brief_key", key)).rsplit("/", 1)[-1]
    first = (report.get("violations") or [{}])[0]
    where = "" if first.get("path") in (None, "$") else f"{first['path']}: "
    link = "../" + quote(key.removeprefix(OUTPUT_PREFIX), safe="/-_.~")
    return (
        f"<li><strong>{_e(name)}</strong>: {_e(where + str(first.get('message', '')))} "
        f'(<a href="{link}">report</a>)</li>'
    )


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


INDEX_CSS = """
.runs { width:100%; border-collapse: collapse; font-size: 14px; }
.runs th { text-align:left; font-size:12px; color: var(--muted); font-weight:600; padding: 6px 10px;
           border-bottom: 1px solid var(--line); }
.runs td { padding: 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
.runs td code { font-size: 12px; color: var(--muted); }
.runs a { color: #1d4e89; font-weight: 600; }
.needs-look { color:#b7791f; font-weight:700; } .none { color: var(--muted); }
.product ul { margin: 8px 0 0; padding-left: 20px; } .product li { margin: 4px 0; }
"""
