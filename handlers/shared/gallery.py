"""The campaign gallery (`output/<campaign-id>/index.html`): the manifest rendered as one HTML page (pure).

Self-contained: inline CSS, no external resources; one small inline script shows times in the reader's locale
and time zone (without it they read in UTC). By default links are relative to the page, so the
same file works in the bucket (next to manifest.json) and in the local run's `./out/<campaign-id>/`. Files inside
the campaign folder are linked by their path inside it; a source outside it (an existing asset) through
`root`, the path from the campaign folder to the bucket root ("../../" in the bucket). A `link(key) -> url`
replaces them all (the campaign API's page for a browser: every image and the manifest by presigned URL).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote

from handlers.shared.bucket_layout import campaign_folder, gallery_key, manifest_key

STATUS_COLORS = {
    "complete": "#1f8a4c",
    "partial": "#b7791f",
    "failed": "#c53030",
    "processing": "#2b6cb0",
    "pending": "#718096",
    "generating": "#6b46c1",
    "rendering": "#2b6cb0",
    "cancelled": "#4a5568",
}


def href(key: str | None, campaign_id: str, root: str = "../../") -> str:
    """A relative link from the campaign's index.html to a bucket key."""
    if not key:
        return ""
    folder = campaign_folder(campaign_id)
    path = key[len(folder) :] if key.startswith(folder) else root + key
    return quote(path, safe="/.-_~")


Link = Callable[[str], str]  # a bucket key -> the URL the page links it by


def render(manifest: dict[str, Any], root: str = "../../", link: Link | None = None) -> str:
    campaign_id = manifest["campaign_id"]
    to = link or (lambda key: href(key, campaign_id, root))
    locales = _locales(manifest)
    products = "\n".join(_product(p, to, locales) for p in manifest.get("products", []))
    switch, locale_css = _locale_switch(locales)
    cost = float(manifest.get("total_cost_usd") or 0)
    done = sum(1 for p in manifest.get("products", []) if p.get("status") == "complete")
    expected = manifest.get("expected_products", len(manifest.get("products", [])))
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(manifest.get("campaign_name"))} · creative-automation</title>
<style>{CSS}{locale_css}</style>
</head>
<body>
<header>
  <p class="eyebrow">Campaign <code>{_e(campaign_id)}</code></p>
  <h1>{_e(manifest.get("campaign_name"))}</h1>
{_messages(manifest.get("campaign_message"))}
  <dl class="facts">
    <div><dt>Status</dt><dd>{badge(manifest.get("status", ""))}</dd></div>
    <div><dt>Products</dt><dd>{done} of {expected} complete</dd></div>
    <div><dt>Image cost</dt><dd>{usd(cost)}</dd></div>
    <div><dt>Brief</dt><dd><code>{_e(manifest.get("brief_key"))}</code></dd></div>
    <div><dt>Updated</dt><dd>{time_html(manifest.get("updated_at"))}</dd></div>
  </dl>
{_cancel_note(manifest)}
</header>
{switch}<main>
{products}
</main>
<footer><a href="{_e(to(manifest_key(campaign_id)))}">manifest.json</a></footer>
{LOCAL_TIMES}
</body>
</html>
"""


def _cancel_note(manifest: dict[str, Any]) -> str:
    """Whether someone asked for the campaign to stop, in words, and what that means for its products."""
    asked = manifest.get("cancel_requested_at")
    if not asked:
        return ""
    products = manifest.get("products", [])
    cancelled = sum(1 for p in products if p.get("status") == "cancelled")
    done = sum(1 for p in products if p.get("status") == "complete")
    if manifest.get("status") == "cancelled":
        state = f"Cancelled: {cancelled} of {len(products)} product(s) were not rendered"
    else:
        state = "Cancel requested: products already being made finish, the others are skipped"
    kept = f"; finished before the cancel and kept below: {done}" if done else ""
    return f'  <p class="cancel-note">{_e(state)}{_e(kept)} (asked for at {time_html(asked)}).</p>'


def _locales(manifest: dict[str, Any]) -> list[str]:
    message = manifest.get("campaign_message")
    return list(message) if isinstance(message, dict) else []


def _messages(message: Any) -> str:
    if isinstance(message, dict):
        return "\n".join(
            f'  <p class="message"><span class="locale-tag">{_e(locale)}</span> '
            f'“<bdi lang="{_e(locale)}">{_e(text)}</bdi>”</p>'
            for locale, text in message.items()
        )
    return f'  <p class="message">“<bdi>{_e(message)}</bdi>”</p>'


def _locale_switch(locales: list[str]) -> tuple[str, str]:
    """A locale switch without scripts: one radio button per locale; CSS shows the checked locale's variants."""
    if not locales:
        return "", ""
    inputs = "".join(
        f'<input type="radio" name="locale" id="locale-{i}" class="locale-radio"{" checked" if i == 0 else ""}>'
        for i in range(len(locales))
    )
    labels = "".join(f'<label for="locale-{i}">{_e(locale)}</label>' for i, locale in enumerate(locales))
    css = "".join(f"\n#locale-{i}:checked ~ main .locale-{i} {{ display:flex; }}" for i in range(len(locales)))
    css += "".join(
        f"\n#locale-{i}:checked ~ nav label[for=locale-{i}] {{ background:#1d4e89; color:#fff; }}"
        for i in range(len(locales))
    )
    return f'{inputs}\n<nav class="locales">Locale: {labels}</nav>\n', css


def _frames(product: dict[str, Any]) -> str:
    frames = int(product.get("source_frames") or 1)
    return f" · animated source: its first of {frames} frames is used" if frames > 1 else ""


def shared_reasons(variants: list[dict[str, Any]]) -> list[str]:
    """The reasons for a look that every variant of a product has (the same source, the same finding): said once
    for the product, not once per variant."""
    if len(variants) < 2:
        return []
    reasons = [(v.get("check") or {}).get("reasons") or [] for v in variants]
    return [reason for reason in reasons[0] if all(reason in others for others in reasons[1:])]


def _review(product: dict[str, Any], shared: list[str]) -> str:
    flagged = [v for v in product.get("variants") or [] if (v.get("check") or {}).get("needs_review")]
    if not flagged:
        return ""
    own = [(v, [r for r in v["check"]["reasons"] if r not in shared]) for v in flagged]
    items = (f"<li><strong>every variant</strong>: {_e('; '.join(shared))}</li>" if shared else "") + "".join(
        f"<li><strong>{_e(_label(v))}</strong>: {_e('; '.join(reasons))}</li>" for v, reasons in own if reasons
    )
    return f'<div class="review"><strong>{len(flagged)} variant(s) need a look</strong><ul>{items}</ul></div>'


def _label(variant: dict[str, Any]) -> str:
    return f"{variant['locale']}/{variant['name']}" if variant.get("locale") else str(variant.get("name"))


def _product(product: dict[str, Any], to: Link, locales: list[str] | None = None) -> str:
    source = product.get("source_key")
    cost = float(product.get("cost_usd") or 0)
    source_html = (
        f'<a href="{_e(to(source))}"><img class="source" alt="source image of '
        f'{_e(product.get("name"))}" src="{_e(to(source))}"></a>'
        if source
        else '<div class="source empty">no source image</div>'
    )
    origin = "generated by the image model" if product.get("image_source") == "generated" else "existing asset"
    if product.get("image_source") == "existing" and not source and product.get("existing_assets"):
        origin = f"existing asset <code>{_e(product['existing_assets'])}</code>, not found"
    substitution = product.get("asset_substitution")
    if substitution:  # the brief asked for an existing asset that was missing, and allowed a generated one
        origin = (
            f'<strong class="substituted">generated instead of the missing existing asset '
            f"<code>{_e(substitution.get('requested'))}</code></strong>"
        )
    error = product.get("error")
    error_html = (
        f'<p class="error"><strong>{_e(error.get("code"))}</strong> {_e(error.get("message"))}</p>' if error else ""
    )
    if product.get("status") == "cancelled":  # not a fault: someone stopped the campaign
        reason = (error or {}).get("message", "the campaign was cancelled")
        error_html = f'<p class="cancelled">Not rendered: {_e(reason)}</p>'
    every = product.get("variants") or []
    shared = shared_reasons(every)
    if locales:
        variants = "\n".join(
            f'  <div class="variants locale-{i} localized">\n'
            + "\n".join(_variant(v, to, shared) for v in every if v.get("locale") == locale)
            + "\n  </div>"
            for i, locale in enumerate(locales)
        )
    else:
        variants = '  <div class="variants">\n' + "\n".join(_variant(v, to, shared) for v in every) + "\n  </div>"
    return f"""<section class="product">
  <div class="product-head">
    {source_html}
    <div>
      <h2>{_e(product.get("name"))} {badge(product.get("status", ""))}</h2>
      <p class="meta">Source: {origin}{f" · <code>{_e(source)}</code>" if source else ""}</p>
      <p class="meta">Cost: {usd(cost)} · {len(product.get("variants") or [])} variants{_frames(product)}</p>
      {error_html}
      {_review(product, shared)}
    </div>
  </div>
{variants}
</section>"""


def _variant(variant: dict[str, Any], to: Link, shared: list[str]) -> str:
    width, height = int(variant["width"]), int(variant["height"])
    link = _e(to(variant["key"])) if variant.get("key") else ""
    # The frame keeps the variant's aspect ratio and a height proportional to it, so sizes compare at a glance.
    return f"""    <figure class="variant" style="--w:{width};--h:{height}">
      <a href="{link}"><img src="{link}" width="{width}" height="{height}" alt="{_e(variant.get("name"))}"></a>
      <figcaption><span>{_e(variant.get("name"))}</span><span class="size">{width} × {height}</span></figcaption>
      {_check(variant.get("check"), shared)}
    </figure>"""


def _canvas(check: dict[str, Any]) -> str:
    """How the frame was filled: a crop of the source, or the source extended (and by whom, at what cost)."""
    if not check.get("extended"):
        return (
            "cropped beside a solid panel (split layout)"
            if "split layout" in " ".join(check.get("reasons") or [])
            else "cropped from the source"
        )
    by = check.get("expanded_by")
    if not by:
        return "extended past the source"
    cost = float(check.get("expand_cost_usd") or 0)
    return f"extended by {by} (${cost:.3f})" if cost else f"extended by {by} (reused, no charge)"


def _check(check: dict[str, Any] | None, shared: list[str]) -> str:
    """The creative check under a variant: a verdict (the reasons every variant shares are said once, above),
    then the figures measured."""
    if not check:
        return ""
    own = [reason for reason in check.get("reasons") or [] if reason not in shared]
    said = "; ".join(own + (["what every variant shares, above"] if len(own) < len(check.get("reasons") or []) else []))
    verdict = (
        f'<p class="verdict review-needed">Needs a look: {_e(said)}</p>'
        if check.get("needs_review")
        else '<p class="verdict ok">Checks passed</p>'
    )
    overlap = check.get("overlap_px")
    facts = [
        (
            "product",
            {True: "whole, inside the margin", False: "reaches the margin", None: "not found"}[
                check.get("product_visible")
            ],
        ),
        ("message", str(check.get("placement"))),
        ("over product", "n/a" if overlap is None else f"{overlap} px"),
        ("contrast", f"{check.get('contrast')}:1"),
        ("text", f"{check.get('text_px')} px"),
        ("upscale", f"{check.get('upscale')}×"),
        ("fonts", ", ".join(check.get("fonts") or [])),
        ("canvas", _canvas(check)),
    ] + ([("logo", str(check["logo"]))] if check.get("logo") else [])
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    return f'{verdict}<dl class="check">{rows}</dl>'


def usd(cost: float) -> str:
    """A cost as a person reads it: nothing paid is "no model cost", not "$0.000"."""
    return f"${cost:.3f}" if cost > 0 else "no model cost"


def time_html(stamp: Any) -> str:
    """An ISO 8601 UTC time as `<time>`: "2026-11-25 05:00 UTC" in the page, which LOCAL_TIMES rewrites in the
    reader's locale and time zone; the exact stamp in its tooltip."""
    if not stamp:
        return ""
    text = str(stamp)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return _e(text)  # not a time we wrote: shown as it is
    shown = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f'<time datetime="{_e(moment.isoformat())}" title="{_e(text)}">{shown}</time>'


# Rewrites every <time datetime> in the reader's locale and time zone (the page's text stays UTC without scripts).
LOCAL_TIMES = """<script>
for (const t of document.querySelectorAll("time[datetime]")) {
  const when = new Date(t.dateTime);
  if (!isNaN(when)) t.textContent = when.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "short"});
}
</script>"""


def badge(status: str) -> str:
    color = STATUS_COLORS.get(status, "#4a5568")
    return f'<span class="badge" style="background:{color}">{_e(status)}</span>'


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


CSS = """
:root { color-scheme: light; --ink:#1a202c; --muted:#5a6474; --line:#e2e8f0; --card:#fff; --bg:#f4f6fa; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink);
       background:var(--bg); }
header { padding: 32px 40px 24px; background: linear-gradient(120deg, #0f2540, #1d4e89); color:#fff; }
header h1 { margin: 4px 0; font-size: 30px; }
.eyebrow { margin:0; opacity:.75; font-size: 13px; text-transform: uppercase; letter-spacing: .06em; }
.eyebrow code { text-transform: none; letter-spacing: normal; }
.message { margin: 4px 0 16px; font-size: 19px; opacity: .92; }
.facts { display:flex; flex-wrap:wrap; gap: 12px 32px; margin:0; }
.facts div { min-width: 120px; } .facts dt { font-size: 12px; opacity:.7; } .facts dd { margin:0; }
header code { background: rgba(255,255,255,.12); padding: 1px 6px; border-radius: 4px; }
main { padding: 24px 40px 40px; display:grid; gap: 24px; }
.product { background:var(--card); border:1px solid var(--line); border-radius:14px; padding: 20px 24px;
           box-shadow: 0 1px 3px rgba(16,24,40,.06); }
.product-head { display:flex; gap: 20px; align-items:center; margin-bottom: 16px; }
.product h2 { margin: 0 0 4px; font-size: 20px; display:flex; gap:10px; align-items:center; }
.source { width: 120px; height: 120px; object-fit: cover; border-radius: 10px; border:1px solid var(--line);
          display:block; background:#edf2f7; }
.source.empty { display:flex; align-items:center; justify-content:center; color:var(--muted); font-size:12px; }
.meta { margin: 2px 0; color: var(--muted); font-size: 14px; }
.meta code { font-size: 12px; }
.substituted { color:#975a16; }
.error { margin: 8px 0 0; color:#9b2c2c; background:#fff5f5; border:1px solid #fed7d7; padding:6px 10px;
         border-radius:8px; }
.cancelled { margin: 8px 0 0; color:#2d3748; background:#f7fafc; border:1px solid #cbd5e0; padding:6px 10px;
             border-radius:8px; }
.cancel-note { margin: 14px 0 0; padding: 6px 12px; background: rgba(255,255,255,.14); border-radius: 8px; }
.badge { color:#fff; font-size: 12px; font-weight:600; padding: 2px 9px; border-radius: 999px;
         text-transform: uppercase; letter-spacing:.04em; }
.variants { display:flex; flex-wrap:wrap; gap: 18px; align-items:flex-end; }
.variant { margin:0; display:flex; flex-direction:column; }
.variant a { display:block; }
.variant img { height: calc(var(--h) / 1920 * 340px); width:auto; aspect-ratio: var(--w) / var(--h);
               display:block; border-radius:8px; background:#edf2f7; box-shadow: 0 2px 8px rgba(16,24,40,.12); }
.variant figcaption { display:flex; justify-content:space-between; gap:8px; font-size:12px; padding-top:6px;
                      color: var(--muted); white-space: nowrap; }
.variant figcaption span:first-child { color: var(--ink); font-weight:600; }
.review { margin: 8px 0 0; color:#744210; background:#fffaf0; border:1px solid #fbd38d; padding:6px 10px;
          border-radius:8px; font-size: 14px; } .review ul { margin: 4px 0 0; padding-left: 18px; }
.verdict { margin: 4px 0 0; font-size: 12px; font-weight: 600; max-width: 260px; }
.verdict.ok { color:#1f8a4c; } .verdict.review-needed { color:#b7791f; }
.check { display:grid; grid-template-columns: auto 1fr; gap: 0 8px; margin: 2px 0 0; font-size: 11px;
         color: var(--muted); max-width: 260px; } .check dd { margin: 0; }
.locale-radio { position:absolute; opacity:0; }
.locales { padding: 12px 40px 0; display:flex; gap: 8px; align-items:center; color: var(--muted); }
.locales label { border:1px solid var(--line); border-radius: 999px; padding: 2px 12px; cursor:pointer;
                 background:#fff; color: var(--ink); }
.variants.localized { display:none; }
.locale-tag { font-size: 12px; opacity:.7; margin-right: 6px; }
footer { padding: 0 40px 32px; color: var(--muted); font-size: 13px; }
footer a { color: inherit; }
"""


def publish(s3: Any, bucket: str, manifest: dict[str, Any], key: str | None = None, link: Link | None = None) -> str:
    """Write the campaign's gallery next to its manifest (`output/<campaign-id>/index.html`), or at `key` with
    `link`'s URLs; returns the key.

    Meant for the writer that settles a campaign (`ManifestStore(on_settled=...)`), so the page shows the
    final state. Pages are immutable per campaign once settled; writing it again is harmless."""
    key = key or gallery_key(manifest["campaign_id"])
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=render(manifest, link=link).encode("utf-8"),
        ContentType="text/html; charset=utf-8",
        CacheControl="no-cache",
    )
    return key
