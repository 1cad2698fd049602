"""Decides whether a page that came back is the policy at all: challenge pages, login walls, soft 404s,
empty pages and sudden loss of most of the text are check failures, never versions.

Every verdict but the last two needs a signal and a small page. Signals are an anti-bot service's page-only
markup, a title or heading that states the problem ("Just a moment...", "Page not found", "Sign in"), a password
field, a redirect to a sign-in URL. Policies name Cloudflare, embed reCAPTCHA in their contact form, explain how
to sign in and say what happens when a page is not found; what they never are is a page of a few dozen words.
A false verdict hides a real change, so the phrases a policy may contain count only on very short pages.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from watcher.models import BlockKind, Fetched, Outcome, PolicyText

MIN_WORDS = 80  # a privacy policy is never shorter; below this the page is a stub, an error or a shell
SMALL_PAGE_WORDS = 400  # below this, a title, heading or page-only markup can say the page is not the policy
TINY_PAGE_WORDS = 150  # below this, a phrase anywhere in the text can (policies use the same phrases)
TEXT_LOSS_RATIO = 0.5  # keeping less than half of the last version's words ("most of the text is gone")
TEXT_LOSS_MIN_WORDS = 200  # ...when the last version was long enough for the ratio to mean something
CUT_OFF_RATIO = 0.8  # a page that is the start of the last version and lost a fifth of it or more was cut off
_SCAN_CHARS = 200_000  # markup markers sit in the head or near the top; a 5 MB page need not be searched whole
_SMALL_MARKUP_CHARS = 32_768  # interstitials with no text at all (Imperva, AWS WAF, DataDome) are a few KB
_CHALLENGE_STATUSES = frozenset({401, 403, 405, 429, 503})  # what anti-bot services answer with


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str
    # TEXT_LOSS only: the shorter text may be the vendor's own rewrite (seen on check after check, it is one).
    # A page that stops part-way through the last version never is: it stays a failure however long it lasts.
    may_be_rewrite: bool = False


def _patterns(*pairs: tuple[str, str]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in pairs)


# Markup that anti-bot services put only in their interstitial and block pages, never in the pages they protect
# (their always-on scripts, such as Cloudflare's /cdn-cgi/challenge-platform/scripts/jsd/, DataDome's tags.js or
# Imperva's _Incapsula_Resource script, are on every protected page, the policy included: see _SERVICES).
# Plain substrings of the lower-cased page: every fetched page is checked, and `in` is a hundred times faster
# than a case-insensitive regular expression.
_BLOCK_PAGE_MARKUP: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Cloudflare",
        (
            "_cf_chl_opt",
            "__cf_chl_",
            "cf-browser-verification",
            "/orchestrate/chl_page",
            "challenge-running",
            "challenge-error-text",
            "cf-im-under-attack",
        ),
    ),
    ("Akamai", ("errors.edgesuite.net",)),
    ("DataDome", ("captcha-delivery.com",)),
    ("PerimeterX/HUMAN", ('id="px-captcha"', "id='px-captcha'", "id=px-captcha", "_pxcaptcha")),
    ("AWS WAF", ("gokuprops", "awswafcookiedomainlist")),
)
# The same, where a plain substring cannot say it: (service, substring that must be there, then this pattern).
_BLOCK_PAGE_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "Imperva/Incapsula",
        "incapsula",
        re.compile(r"incapsula\s+incident\s+id|_incapsula_resource\?[^\"'>]*incident_id"),
    ),
    # Akamai's "Access Denied": "Reference #18.5c2e1002.1767225600.2b9f11a4", written with HTML entities.
    ("Akamai", "reference", re.compile(r"reference\s*#\s*\d+\.[0-9a-f]+\.\d+\.[0-9a-f]+")),
)

# What a challenge page says in its title (or, on a tiny page, its main heading).
_CHALLENGE_TITLE = re.compile(
    r"just a moment|attention required|access denied|checking (?:your browser|if the site connection)"
    r"|verify(?:ing)? (?:that )?you(?:'re| are) (?:a )?human|human (?:verification|check)"
    r"|are you (?:a )?(?:human|robot)|security (?:check|verification)|one more step|pardon our interruption"
    r"|access to this page has been denied|you have been blocked|request (?:unsuccessful|blocked)|access blocked"
    r"|ddos protection|ddos-guard|(?:bot|robot) (?:check|verification|detection)|please wait\.{3} \| cloudflare"
    r"|verifying your browser",
    re.IGNORECASE,
)

# What a challenge page says in its text. Policies say some of it too ("reCAPTCHA verifies that you are a human"),
# so these count on very short pages only.
_CHALLENGE_PHRASE = re.compile(
    r"(?:verify|confirm|prove)(?:ing)? (?:that )?you(?:'re| are) (?:a )?human|not a (?:robot|bot)\b"
    r"|press (?:&|and) hold|checking (?:your browser|if the site connection is secure)|verifying your browser"
    r"|enable javascript and cookies to continue|enable js and disable any ad ?blocker"
    r"|complete the (?:security check|captcha)|solve the (?:captcha|puzzle)|unusual (?:traffic|activity) from"
    r"|why have i been blocked|you have been blocked|(?:request|access) (?:was|has been|is) (?:denied|blocked)"
    r"|\bray id\b|incident id|you don't have permission to access|automated (?:requests|queries|access|traffic)"
    r"|ddos protection by|security service to protect itself",
    re.IGNORECASE,
)

# Which service a challenge page comes from, by any trace of it (scripts, cookies, widgets, its name).
# Only used to name the service once the page is known to be a challenge.
_SERVICES = _patterns(
    ("Cloudflare", r"cloudflare|cf_chl|cf-ray|cf-turnstile|/cdn-cgi/"),
    ("Akamai", r"akamai|edgesuite\.net|_abck|\bbm_sz\b"),
    ("Imperva/Incapsula", r"incapsula|imperva"),
    ("DataDome", r"datadome|captcha-delivery\.com"),
    ("PerimeterX/HUMAN", r"perimeterx|px-captcha|_pxAppId|px-cdn\.net"),
    ("AWS WAF", r"awswaf|aws-waf|gokuProps"),
    ("hCaptcha", r"hcaptcha|h-captcha"),
    ("reCAPTCHA", r"recaptcha"),
    ("Cloudflare Turnstile", r"turnstile"),
)
# A CAPTCHA widget or an anti-bot script: on a page with almost no text, enough to call it a challenge.
_WIDGET = re.compile(
    r"g-recaptcha|recaptcha/api\.js|h-captcha|hcaptcha\.com/1/api|cf-turnstile|challenges\.cloudflare\.com"
    r"|js\.datadome\.co|datadome|_pxAppId|perimeterx|awswaf|_Incapsula_Resource",
    re.IGNORECASE,
)

_LOGIN_TITLE = re.compile(
    r"^\W*(?:please\s+)?(?:sign|log)\s?(?:in|on)\b(?!\s+(?:data|history|records?|details|information)\b)"
    r"|^\W*login\b|^\W*(?:anmelden|connexion|se connecter|iniciar sesi[oó]n|accedi|inloggen|entrar)\b",
    re.IGNORECASE,
)
_LOGIN_PHRASE = re.compile(
    r"\b(?:sign|log) ?in to (?:continue|view (?:this|the) (?:page|document)|access this (?:page|document))"
    r"|\bplease (?:sign|log) ?in\b|\byou (?:must|need to) (?:be )?(?:logged|signed|sign|log) ?in\b"
    r"|\b(?:sign|log) ?in required\b",
    re.IGNORECASE,
)
_LOGIN_URL = re.compile(
    r"/(?:login|log-in|log_in|logon|signin|sign-in|sign_in|auth|authorize|oauth2?|sso|saml|session/new|"
    r"account/login|users/sign_in)\b|[?&](?:returnUrl|return_to|returnTo|redirect_uri|redirect_url|continue|next)=",
    re.IGNORECASE,
)
_PASSWORD_FIELD = re.compile(r"<input\b[^>]*\btype\s*=\s*[\"']?password\b", re.IGNORECASE)

_APOSTROPHE = "['’]"
_NOT_FOUND = re.compile(
    r"\bnot\s+(?:be\s+)?found\b|\b404\b|\bcan(?:not|" + _APOSTROPHE + r"t)\s+(?:be\s+found|find)\b"
    r"|\bcould(?:\s+not|n" + _APOSTROPHE + r"t)\s+(?:be\s+)?(?:found|find)\b|\bno longer (?:exists|available)\b"
    r"|\b(?:does\s+not|doesn" + _APOSTROPHE + r"t)\s+exist\b|\bnothing (?:was )?found\b|\bpage (?:is )?missing\b"
    r"|\bpage (?:is not|isn" + _APOSTROPHE + r"t) available\b"
    # localized: de, fr, es, it, nl, pt, sv, pl, ja, zh
    r"|nicht gefunden|existiert nicht|introuvable|non trouv[ée]e|n" + _APOSTROPHE + r"existe pas|no encontrad[ao]"
    r"|no existe|non trovat[ao]|niet gevonden|n[ãa]o encontrad[ao]|hittades inte|nie (?:zosta[łl]a )?znalezion"
    r"|見つかりません|找不到|未找到",
    re.IGNORECASE,
)
_NOT_FOUND_PHRASE = re.compile(
    r"\bpage (?:you(?:" + _APOSTROPHE + r"re| are) looking for|you requested)\b"
    r"|\b(?:page|document)\s+(?:was\s+|is\s+)?(?:not\s+found|missing)\b"
    r"|\b(?:page|document)\s+(?:cannot|can" + _APOSTROPHE + r"t|could\s+not|couldn" + _APOSTROPHE + r"t)\s+be\s+found"
    r"|\bcan(?:not|" + _APOSTROPHE + r"t) find (?:the|that|this) page\b|\bnothing was found at this location\b"
    r"|\bpage (?:is not|isn" + _APOSTROPHE + r"t|is no longer) available\b|\b404\b",
    re.IGNORECASE,
)

_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SCRIPT_TAG = re.compile(r"<script\b", re.IGNORECASE)


# --------------------------------------------------------------------------------------------- verdicts


def screen(
    fetched: Fetched, policy: PolicyText, previous_words: int | None, *, previous: PolicyText | None = None
) -> Verdict | None:
    """None when the page looks like the policy; otherwise why it is a failed check.

    `previous_words` is the last version's length; with the last version itself (`previous`), a page that stops
    part-way through it is caught even when it keeps more than half of the text.
    """
    words = policy.word_count
    if words < SMALL_PAGE_WORDS:
        verdict = _small_page(fetched, policy, words)
        if verdict is not None:
            return verdict
    if words < MIN_WORDS:
        plural = "" if words == 1 else "s"
        reason = f"the page is almost empty ({words} word{plural}; a policy has hundreds)"
        if _built_by_scripts(fetched.text[:_SCAN_CHARS]):
            reason += ": it seems to be built by JavaScript in the browser, which policy-watcher does not run"
        return Verdict(Outcome.EMPTY, reason)
    # The start of the last version and nothing after it is a cut-off page when a fifth or more is missing, or
    # when the markup itself stops short (no </body>, no </html>). A vendor who shortens a policy changes more.
    if (
        previous is not None
        and words < previous.word_count
        and _starts_like(policy, previous)
        and (words < previous.word_count * CUT_OFF_RATIO or _ends_abruptly(fetched))
    ):
        return Verdict(
            Outcome.TEXT_LOSS,
            f"the page stops part-way through the policy ({words} of its {previous.word_count} words, and"
            " nothing after them): a truncated page",
        )
    if previous_words and previous_words >= TEXT_LOSS_MIN_WORDS and words < previous_words * TEXT_LOSS_RATIO:
        return Verdict(
            Outcome.TEXT_LOSS,
            f"most of the policy text is gone ({words} words, the last version had {previous_words}):"
            " a broken or truncated page",
            may_be_rewrite=True,
        )
    return None


def _small_page(fetched: Fetched, policy: PolicyText, words: int) -> Verdict | None:
    markup = fetched.text[:_SCAN_CHARS]
    title = page_title(markup)
    headings = [b.text for b in policy.blocks if b.kind is BlockKind.HEADING and b.level <= 2][:3]
    prominent = [t for t in (title, *headings) if t]
    text = " ".join(b.text for b in policy.blocks) if words < TINY_PAGE_WORDS else ""

    service = _block_page_service(markup)
    # A policy may have a heading about bot checks; only the title speaks for the page, unless it is tiny.
    said = next((t for t in (prominent if text else [title]) if t and _CHALLENGE_TITLE.search(t)), None)
    if service is None and (said or (text and _CHALLENGE_PHRASE.search(text))):
        service = _service(markup, text) or "bot check"
    if service is None and words < MIN_WORDS and _WIDGET.search(markup):
        service = _service(markup, text)
    if service is not None:
        shown = f" ({_quote(said)})" if said else ""
        return Verdict(Outcome.CHALLENGE, f"the page is {_challenge_name(service)}{shown}, not the policy")

    login_url = bool(fetched.redirects) and bool(_LOGIN_URL.search(fetched.final_url))
    login_title = next((t for t in prominent if _LOGIN_TITLE.search(t)), None)
    password = "password" in markup.lower() and bool(_PASSWORD_FIELD.search(markup))
    if (
        login_url
        or (login_title and (password or words < TINY_PAGE_WORDS))
        or (text and (password or _LOGIN_PHRASE.search(text)))
    ):
        where = f" (redirected to {fetched.final_url})" if login_url else ""
        return Verdict(Outcome.LOGIN_WALL, f"the page asks to sign in{where}: a login wall, not the policy")

    gone = next((t for t in prominent if _NOT_FOUND.search(t)), None)
    if gone or (text and _NOT_FOUND_PHRASE.search(text)):
        shown = f" ({_quote(gone)})" if gone else ""
        return Verdict(Outcome.SOFT_404, f"the page says it is not found{shown}: HTTP 200 with a 'not found' page")
    return None


# ------------------------------------------------------------------------------ challenge responses


def challenge_response(markup: str, *, status: int, headers: Mapping[str, str]) -> str | None:
    """Why a response is an anti-bot challenge or block ("a Cloudflare challenge (cf-mitigated: challenge)"),
    judged from what fetch sees: status, headers and the raw page. None when it is not one.

    An error status that challenges use (403, 429, 503...) is a failed check anyway: any sign of a challenge names
    it. Other errors (404, 500) are what they say. A 2xx needs a header that only challenges carry, block-page
    markup on a small page, or any sign of a challenge on a page with almost no text.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    if lowered.get("cf-mitigated", "").strip().lower() == "challenge":
        return "a Cloudflare challenge (cf-mitigated: challenge)"
    waf_action = lowered.get("x-amzn-waf-action", "").strip().lower()
    if waf_action in ("challenge", "captcha", "block"):
        return f"an AWS WAF {waf_action} (x-amzn-waf-action: {waf_action})"
    markup = markup[:_SCAN_CHARS]
    if status in _CHALLENGE_STATUSES:
        if status != 503 and ("x-datadome" in lowered or "x-dd-b" in lowered):
            return f"a DataDome block (HTTP {status} with x-datadome)"
        text = visible_text(markup)
        service = _block_page_service(markup) or _lenient_service(markup, text, lowered)
        if service is None and status == 403 and "x-iinfo" in lowered:
            service = "Imperva/Incapsula"
        if service is None and status == 403 and "akamaighost" in lowered.get("server", "").lower():
            service = "Akamai"
        return _challenge_name(service) if service else None
    if 200 <= status < 300 and len(markup) <= _SMALL_MARKUP_CHARS:
        # Interstitials with no text the normalizer would keep (an iframe, a script, a <noscript>) need judging
        # here. They are small, and sparing larger pages keeps this off every fetch's bill; screen() sees the rest.
        text = visible_text(markup)
        words = _word_count(text)
        service = _block_page_service(markup) if words < SMALL_PAGE_WORDS else None
        if service is None and words < MIN_WORDS:  # a failed check anyway: only its name is at stake
            service = _lenient_service(markup, text)
        return _challenge_name(service) if service else None
    return None


# --------------------------------------------------------------------------------------------- helpers


def page_title(markup: str) -> str:
    """The page's <title>, unescaped, on one line ("" when it has none)."""
    lowered = markup[:_SCAN_CHARS].lower()
    start = lowered.find("<title")
    if start < 0:
        return ""
    match = _TITLE.match(markup, start)
    return " ".join(html.unescape(match.group(1)).split()) if match else ""


def visible_text(markup: str) -> str:
    """The words of a page without its markup, scripts and styles: a cheap view for small pages."""
    return " ".join(html.unescape(_TAG.sub(" ", _SCRIPT_OR_STYLE.sub(" ", markup))).split())


def _word_count(text: str) -> int:
    return len(text.split())


def _block_page_service(markup: str) -> str | None:
    lowered = markup.lower()
    found = next((name for name, needles in _BLOCK_PAGE_MARKUP if any(n in lowered for n in needles)), None)
    if found is None:
        head = lowered[:20_000]
        if "&#" in head:
            head = html.unescape(head)
        found = next((name for name, gate, rx in _BLOCK_PAGE_PATTERNS if gate in head and rx.search(head)), None)
    return found


def _lenient_service(markup: str, text: str, headers: Mapping[str, str] | None = None) -> str | None:
    """The service behind a page already known not to be the policy (an error status, no text), by any sign."""
    if _CHALLENGE_TITLE.search(page_title(markup)) or _CHALLENGE_PHRASE.search(text) or _WIDGET.search(markup):
        return _service(markup, text) or _header_service(headers or {}) or "bot check"
    return None


def _header_service(headers: Mapping[str, str]) -> str | None:
    """The anti-bot or CDN service in front of a site, from response headers (names in lower case)."""
    server = headers.get("server", "").lower()
    if "cloudflare" in server or "cf-ray" in headers:
        return "Cloudflare"
    if "akamaighost" in server:
        return "Akamai"
    if "x-iinfo" in headers or "imperva" in headers.get("x-cdn", "").lower():
        return "Imperva/Incapsula"
    if "x-datadome" in headers or "x-dd-b" in headers:
        return "DataDome"
    return None


def _service(markup: str, text: str) -> str | None:
    return next((name for name, marker in _SERVICES if marker.search(markup) or marker.search(text)), None)


def _challenge_name(service: str) -> str:
    if service == "bot check":
        return "an anti-bot check or CAPTCHA page"
    article = "an" if service[0] in "AEIOUh" else "a"  # an Akamai, an hCaptcha
    return f"{article} {service} anti-bot challenge or block page"


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f"“{text[:80]}…”" if len(text) > 80 else f"“{text}”"


def _starts_like(policy: PolicyText, previous: PolicyText) -> bool:
    """Whether the page's blocks are the last version's first blocks, the final one possibly cut mid-way."""
    new, old = [b.text for b in policy.blocks], [b.text for b in previous.blocks]
    if not 3 <= len(new) <= len(old):
        return False
    whole, last = new[:-1], new[-1]
    return whole == old[: len(whole)] and old[len(whole)].startswith(last.rstrip(" .…"))


def _ends_abruptly(fetched: Fetched) -> bool:
    """An HTML page whose markup stops before </body> and </html>: the transfer or the rendering was cut."""
    if fetched.content_type not in ("text/html", "application/xhtml+xml"):
        return False
    tail = fetched.text[-4096:].lower()
    return "</body" not in tail and "</html" not in tail


def _built_by_scripts(markup: str) -> bool:
    lowered = markup.lower()
    return len(_SCRIPT_TAG.findall(markup)) >= 2 or ("<noscript" in lowered and "javascript" in lowered)
