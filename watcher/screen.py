"""Decides whether a page that came back is the policy at all: challenge pages, login walls, soft 404s,
empty pages and sudden loss of most of the text are check failures, never versions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from watcher.models import Fetched, Outcome, PolicyText

MIN_WORDS = 80  # a privacy policy is never shorter; below this the page is a stub, an error or a shell
TEXT_LOSS_RATIO = 0.35  # keeping less than this share of the last version's words is a broken page
TEXT_LOSS_MIN_WORDS = 300  # ...when the last version was long enough for the ratio to mean something


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str


# Markers that anti-bot services and CAPTCHA providers put in their interstitial pages. They are checked
# on short pages only (or in the raw HTML's scripts), so that a policy naming "Cloudflare" as a processor
# is not mistaken for a challenge.
_CHALLENGE_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        (
            "Cloudflare",
            r"cf-browser-verification|cf_chl_|challenge-platform|cf-turnstile|"
            r"Attention Required! \| Cloudflare|Just a moment\.\.\.|checking your browser",
        ),
        ("Akamai", r"akamai bot manager|_abck|Access Denied.{0,200}Reference #\d"),
        ("Imperva/Incapsula", r"incapsula incident|_Incapsula_Resource|Request unsuccessful\. Incapsula"),
        ("DataDome", r"datadome|captcha-delivery\.com|geo\.captcha-delivery"),
        ("PerimeterX/HUMAN", r"px-captcha|_pxhd|perimeterx|press (?:&amp; |& )?hold"),
        ("reCAPTCHA", r"g-recaptcha|recaptcha/api\.js|www\.google\.com/recaptcha"),
        ("hCaptcha", r"h-captcha|hcaptcha\.com/1/api\.js"),
        ("AWS WAF", r"awswaf|aws-waf-token|challenge\.js.{0,80}awswaf"),
        (
            "bot check",
            r"verify (?:that )?you are (?:a )?human|are you a robot|unusual traffic from your"
            r"|enable javascript and cookies to continue|please complete the security check",
        ),
    )
)

_LOGIN_WALL = re.compile(
    r"\b(?:sign|log) ?in to (?:continue|view|access)|please (?:sign|log) ?in\b|you must be logged in"
    r"|session (?:has )?expired|enter your password",
    re.IGNORECASE,
)
_LOGIN_URL = re.compile(
    r"/(?:login|signin|sign-in|log-in|auth|sso|account/login)\b|[?&](?:returnUrl|redirect_uri)=", re.IGNORECASE
)
_SOFT_404 = re.compile(
    r"\b(?:page|document)\s+(?:was\s+|could\s+not\s+be\s+|cannot\s+be\s+|can't\s+be\s+)?not\s+found\b"
    r"|\b404\b.{0,40}\bnot found\b|\bnot found\b.{0,40}\b404\b"
    r"|\bpage (?:you(?:'re| are) looking for|you requested) (?:(?:does not|doesn't) exist|(?:could not|couldn't)"
    r" be found|(?:has|may have) been (?:moved|removed))|\bno longer (?:exists|available)\b|\boops!? .{0,40}wrong\b",
    re.IGNORECASE,
)


def screen(fetched: Fetched, policy: PolicyText, previous_words: int | None) -> Verdict | None:
    """None when the page looks like the policy; otherwise why it is a failed check."""
    words = policy.word_count
    head = fetched.text[:200_000]
    if words < 600:
        for name, marker in _CHALLENGE_MARKERS:
            if marker.search(head):
                return Verdict(Outcome.CHALLENGE, f"the page is a {name} challenge/anti-bot page, not the policy")
    if words < 400:
        text = " ".join(b.text for b in policy.blocks)
        redirected_to_login = fetched.redirects and _LOGIN_URL.search(fetched.final_url)
        if redirected_to_login or _LOGIN_WALL.search(text):
            return Verdict(Outcome.LOGIN_WALL, f"the page asks to sign in ({fetched.final_url})")
        if _SOFT_404.search(text) or _SOFT_404.search(policy.title):
            return Verdict(Outcome.SOFT_404, "the page says it is not found (HTTP 200 with a 'not found' page)")
    if words < MIN_WORDS:
        return Verdict(Outcome.EMPTY, f"the page has almost no text ({words} words; a policy has hundreds)")
    if previous_words and previous_words >= TEXT_LOSS_MIN_WORDS and words < previous_words * TEXT_LOSS_RATIO:
        return Verdict(
            Outcome.TEXT_LOSS,
            f"most of the policy text is gone ({words} words, the last version had {previous_words}):"
            " a broken or truncated page",
        )
    return None
