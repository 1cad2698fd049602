"""Realistic site chrome around a policy body: navigation, a cookie banner with a nonce, a CSRF token, a
tracking script, a promo and a footer date, all different on every tick, as real vendor sites are."""

from __future__ import annotations

import hashlib
import html
from datetime import UTC, datetime, timedelta

_PROMOS = (
    "Spring sale: 20% off annual plans",
    "New: connect your CRM in two clicks",
    "Webinar on Thursday: privacy by design",
    "Join 40,000 teams who switched this year",
)


def render_page(vendor: str, body: str, tick: int, *, base_time: datetime | None = None) -> str:
    """The policy `body` (HTML) wrapped in a page whose chrome changes with `tick`."""
    seed = hashlib.sha256(f"{vendor}:{tick}".encode()).hexdigest()
    nonce, csrf, session = seed[:22], seed[22:54], seed[54:64]
    moment = (base_time or datetime(2026, 1, 1, tzinfo=UTC)) + timedelta(days=tick, minutes=tick * 7 % 60)
    name = html.escape(vendor)
    promo = html.escape(_PROMOS[tick % len(_PROMOS)])
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8"><title>Privacy | {name}</title>
<meta name="csrf-token" content="{csrf}">
<link rel="stylesheet" href="/static/site.css?v={tick}">
<script nonce="{nonce}">window.__session="{session}";window.dataLayer=[{{"ts":"{moment.isoformat()}"}}];</script>
<script async src="/static/analytics.js?cb={seed[:8]}"></script>
</head><body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header"><a class="logo" href="/">{name}</a>
<nav class="main-nav"><ul><li><a href="/product">Product</a></li><li><a href="/pricing">Pricing</a></li>
<li><a href="/customers">Customers</a></li><li><a href="/blog?page={tick % 3}">Blog</a></li>
<li><a href="/login">Sign in</a></li></ul></nav></header>
<div class="promo-banner">{promo} <a href="/offer?utm_source=banner&amp;t={tick}">Learn more</a></div>
<main id="main"><div class="container">
{body}
</div></main>
<aside class="sidebar"><h3>Related</h3><ul><li><a href="/terms">Terms of service</a></li>
<li><a href="/security">Security</a></li><li><a href="/dpa">Data processing agreement</a></li></ul></aside>
<footer class="site-footer"><p>&copy; {moment.year} {name}. All rights reserved.</p>
<p>Page generated {moment:%Y-%m-%d %H:%M:%S} UTC in {17 + tick % 40} ms &middot; build {seed[:7]}</p>
<ul><li><a href="/privacy">Privacy</a></li><li><a href="/cookies">Cookie settings</a></li></ul></footer>
<div id="cookie-banner" class="cookie-consent" role="dialog" aria-label="Cookie consent">
<p>We use cookies to improve your experience. <a href="/cookies">Manage preferences</a></p>
<button data-nonce="{nonce}">Accept all</button><button>Reject</button></div>
</body></html>
"""
