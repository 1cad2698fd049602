"""Turn a fetched page (HTML, Markdown or plain text) into a PolicyText: the policy's own blocks, without the
site around it or tokens that change on every request, and the canonical text that is stored, hashed and diffed.
"""

from __future__ import annotations

import functools
import html as html_lib
import itertools
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from lxml import etree

from watcher.models import Block, BlockKind, PolicyText

__all__ = [
    "EXTRACTOR_VERSION",
    "ExtractionError",
    "clean_text",
    "detect_format",
    "normalize",
    "normalize_html",
    "normalize_markdown",
    "normalize_plain",
    "parse",
    "read_policy_file",
    "render",
    "scrub_volatile",
]

# Bump whenever the same input may give different text: the pipeline then re-reads the last raw snapshot, so
# that a change of extraction is never reported as the vendor's change.
EXTRACTOR_VERSION = "2"

HEADING = BlockKind.HEADING
PARAGRAPH = BlockKind.PARAGRAPH
ITEM = BlockKind.ITEM
ROW = BlockKind.ROW


class ExtractionError(Exception):
    """The page has no usable policy text (message says why)."""


# ==================================================================================================== text


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _build_translation() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for quote in "\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\uff07":
        table[ord(quote)] = "'"
    for quote in "\u201c\u201d\u201e\u201f\u2033\u2036\uff02":
        table[ord(quote)] = '"'
    for dash in "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d":
        table[ord(dash)] = "-"
    for invisible in "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u2061\u2062\u2063\u2064":
        table[ord(invisible)] = None
    for space in "\u00a0\u2007\u202f\u205f\u3000":
        table[ord(space)] = " "
    # Control characters other than whitespace never carry meaning in a policy.
    for code in (*range(0x00, 0x09), *range(0x0E, 0x1C), 0x7F, *range(0x80, 0x85), *range(0x86, 0xA0)):
        table[code] = None
    return table


_TRANSLATION = _build_translation()
# Finding the rare characters to translate is much faster than translating every string.
_TRANSLATABLE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_TRANSLATION)) + "]")


def clean_text(s: str) -> str:
    """Unicode-normalize one block's text: NFKC, straight quotes, "-" for every dash, no NBSP or zero-width
    characters, whitespace collapsed to single spaces. Idempotent."""
    if not s:
        return ""
    if not s.isascii() and not unicodedata.is_normalized("NFKC", s):
        s = unicodedata.normalize("NFKC", s)
    if _TRANSLATABLE.search(s):
        s = s.translate(_TRANSLATION)
    return " ".join(s.split())


_TZ = r"(?:Z|UTC|GMT|CET|CEST|EET|EEST|WET|BST|IST|JST|KST|AEST|AEDT|[ECMP][SD]T|[+-]\d{2}:?\d{2})"
_TIME = rf"\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:[.,]\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*{_TZ})?"
_MONTH = r"(?i:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)\.?"
_DATE = (
    rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}})"
)
_STAMP = rf"(?:(?:[A-Z][a-z]{{2,8}},?\s+)?{_DATE}(?:(?:T|\s+|,\s*|\s+at\s+){_TIME})?|{_TIME})"
_GENERATED_AT = re.compile(
    rf"(?i:\b(?:page\s+)?(?:generated|rendered|served|cached|built|compiled)\s+(?:at|on)\b\s*:?\s*){_STAMP}\.?"
)
_RENDERED_IN = re.compile(
    r"(?i:\b(?:page\s+)?(?:rendered|generated|served|built|processed|loaded|created)\s+in\s+)"
    r"\d+(?:[.,]\d+)?\s*(?i:ms|msecs?|milliseconds?|s|secs?|seconds?)\b\.?"
)
_ISO_STAMP = re.compile(rf"\b\d{{4}}-\d{{2}}-\d{{2}}[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:[.,]\d+)?)?(?:\s?{_TZ})?\b")
# A timestamp right after these words is the policy's own date: a change of it must stay visible.
_POLICY_DATE_WORDS = re.compile(
    r"(?i)\b(?:updated|effective|revised|modified|amended|dated|as of|published|version|changed|last)\b"
)
_UUID = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}(?![0-9A-Za-z])")
_HEX_RUN = re.compile(r"(?<![0-9A-Za-z])(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{16,}(?![0-9A-Za-z])")
_WORDISH_RUN = re.compile(r"(?<![\w-])[A-Za-z0-9][A-Za-z0-9_-]{14,}[A-Za-z0-9]={0,2}(?![\w-])")
_URL_WITH_QUERY = re.compile(r"(?<![\w])((?:https?://|www\.|/)[^\s?#<>\"'|]*)\?([^\s#<>\"'|]*)")
_JSESSIONID = re.compile(r"(?i);jsessionid=[\w.-]+")
_VOLATILE_PARAMS = _words(
    "v ver version _ t ts timestamp time cb cachebust cachebuster cache nocache rand rnd r nonce sid session "
    "sessionid session_id phpsessid jsessionid token csrf csrf_token _token authenticity_token fbclid gclid "
    "msclkid dclid mc_cid mc_eid _ga _gl _hsenc _hsmi hsctatrack"
)
_MAYBE_VOLATILE = re.compile(r"[0-9?]")  # every pattern above needs a digit or a query string
_STAMP_VERBS = ("rendered", "generated", "served", "cached", "built", "compiled", "processed", "loaded", "created")
TOKEN_PLACEHOLDER = "[token]"


def _char_class(c: str) -> int:
    return 0 if c.isdigit() else 1 if c.islower() else 2


def _looks_random(token: str) -> bool:
    """Session ids and nonces switch between digits and upper/lower case far more often than words do."""
    core = token.rstrip("=").replace("-", "").replace("_", "")
    digits = sum(c.isdigit() for c in core)
    if len(core) < 16 or digits < 2 or digits == len(core):
        return False
    changes = sum(_char_class(a) != _char_class(b) for a, b in itertools.pairwise(core))
    return changes >= 0.3 * len(core)


def _random_token(match: re.Match[str]) -> str:
    return TOKEN_PLACEHOLDER if _looks_random(match.group()) else match.group()


def _iso_stamp(match: re.Match[str]) -> str:
    before = match.string[max(0, match.start() - 40) : match.start()]
    return match.group() if _POLICY_DATE_WORDS.search(before) else ""


def _query(match: re.Match[str]) -> str:
    base, query = match.group(1), match.group(2)
    trailing = ""
    while query and query[-1] in ".,;:!?)":  # sentence punctuation after a URL is not part of it
        trailing = query[-1] + trailing
        query = query[:-1]
    kept = [
        param
        for param in query.split("&")
        if param and (name := param.split("=", 1)[0].lower()) not in _VOLATILE_PARAMS and not name.startswith("utm_")
    ]
    return base + ("?" + "&".join(kept) if kept else "") + trailing


_UPDATE_VERB = r"((?:updated|modified|edited|revised|posted|published|changed)\s+)"
_RELATIVE_AGO = re.compile(
    # only right after an update verb: "data collected two years ago" is policy text, not a page stamp
    _UPDATE_VERB + r"(?:(?:over|about|almost|nearly|more than|less than|around)\s+)?"
    r"(?:an?|\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|several)\s+"
    r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\s+ago\b",
    re.IGNORECASE,
)
_RELATIVE_DAY = re.compile(
    _UPDATE_VERB + r"(?:today|yesterday|this (?:week|month|year)|last (?:week|month|year))\b",
    re.IGNORECASE,
)
RECENTLY = "[recently]"


def scrub_relative_dates(s: str) -> str:
    """ "Updated 3 days ago", "updated yesterday": true today, false tomorrow, so never part of a version."""
    lower = s.lower()
    if " ago" in lower:
        s = _RELATIVE_AGO.sub(lambda m: m.group(1) + RECENTLY, s)
    if any(word in lower for word in ("today", "yesterday", "this ", "last ")):
        s = _RELATIVE_DAY.sub(lambda m: m.group(1) + RECENTLY, s)
    return s


def scrub_volatile(s: str) -> str:
    """Remove what changes between two fetches of an unchanged policy: render timings, "generated at" stamps,
    free-standing ISO timestamps (not a policy's own "updated" date), session ids, CSRF tokens and nonces
    (replaced by a placeholder), cache-busting and tracking query parameters in URLs."""
    s = scrub_relative_dates(s)
    if not _MAYBE_VOLATILE.search(s):
        return s
    # Cheap tests first: this runs on every block of every page, and most blocks hold nothing volatile.
    out = s
    lower = s.lower()
    if any(verb in lower for verb in _STAMP_VERBS):
        out = _RENDERED_IN.sub("", out)
        out = _GENERATED_AT.sub("", out)
    if ":" in out and "-" in out:
        out = _ISO_STAMP.sub(_iso_stamp, out)
    if "?" in out:
        out = _URL_WITH_QUERY.sub(_query, out)
    if ";" in out:
        out = _JSESSIONID.sub("", out)
    if max(map(len, out.split()), default=0) >= 16:
        out = _UUID.sub(TOKEN_PLACEHOLDER, out)
        out = _HEX_RUN.sub(TOKEN_PLACEHOLDER, out)
        out = _WORDISH_RUN.sub(_random_token, out)
    return out if out == s else " ".join(out.split())


def _finish(raw: str) -> str:
    """clean_text, then scrub_volatile: what every block's text goes through."""
    text = clean_text(raw)
    return scrub_volatile(text) if text and _MAYBE_VOLATILE.search(text) else text


# ============================================================================================ canonical text


def _render_block(block: Block) -> str:
    text, kind, level = block.text, block.kind, block.level
    if not text or text != text.strip() or "\n" in text or "\r" in text:
        raise ValueError(f"cannot render {block!r}: text must be one non-empty line without surrounding spaces")
    if kind is HEADING:
        if not 1 <= level <= 6:
            raise ValueError(f"cannot render {block!r}: heading level must be 1-6")
        return "#" * level + " " + text
    if kind is ITEM:
        if level < 0:
            raise ValueError(f"cannot render {block!r}: list depth must be >= 0")
        return "  " * level + "- " + text
    if level != 0:
        raise ValueError(f"cannot render {block!r}: only headings and list items have a level")
    if kind is ROW:
        return "| " + text + " |"
    if text.startswith(("#", "- ", "| ", "\\")):
        return "\\" + text
    return text


def render(policy: PolicyText) -> str:
    """The canonical text of a policy: one block per line, a blank line between blocks except between
    consecutive list items or table rows, a final newline. Raises ValueError for a block it cannot represent."""
    out: list[str] = []
    previous: BlockKind | None = None
    for block in policy.blocks:
        if previous is not None:
            out.append("\n" if block.kind is previous and previous in (ITEM, ROW) else "\n\n")
        out.append(_render_block(block))
        previous = block.kind
    if out:
        out.append("\n")
    return "".join(out)


_PARSE_HEADING = re.compile(r"(#{1,6}) (\S.*)")
_PARSE_ITEM = re.compile(r"((?:  )*)- (\S.*)")


def count_words(text: str) -> int:
    """Words of a rendered policy text, without the "#", "-" and "|" that mark its structure."""
    return sum(1 for word in text.split() if word.strip("#-|\\"))


def parse(text: str) -> PolicyText:
    """The inverse of render: parse(render(p)) == p for every PolicyText whose title is its first heading
    (which is what every normalize function makes)."""
    blocks: list[Block] = []
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith("\\"):
            blocks.append(Block(PARAGRAPH, line[1:]))
        elif line.startswith("#") and (m := _PARSE_HEADING.fullmatch(line)):
            blocks.append(Block(HEADING, m.group(2), len(m.group(1))))
        elif line.startswith("| ") and line.endswith(" |") and len(line) >= 5:
            blocks.append(Block(ROW, line[2:-2]))
        elif (line.startswith("- ") or line.startswith("  ")) and (m := _PARSE_ITEM.fullmatch(line)):
            blocks.append(Block(ITEM, m.group(2), len(m.group(1)) // 2))
        else:
            blocks.append(Block(PARAGRAPH, line.strip()))
    return _policy(blocks)


def _policy(blocks: Iterable[Block]) -> PolicyText:
    """The title is derived from the blocks, so the canonical text need not carry it."""
    blocks = tuple(blocks)
    title = next((b.text for b in blocks if b.kind is HEADING), "")
    return PolicyText(blocks=blocks, title=title)


def _item_blocks(inner: list[Block]) -> list[Block]:
    """Blocks of one list item (HTML <li> or Markdown item) as seen from the list: its paragraphs become items,
    nested items go one level deeper. An item holding a heading is a section in disguise (accordions), so its
    blocks stay as they are."""
    if any(b.kind is HEADING for b in inner):
        return inner
    return [
        Block(ITEM, b.text, 0) if b.kind is PARAGRAPH else Block(ITEM, b.text, b.level + 1) if b.kind is ITEM else b
        for b in inner
    ]


# ================================================================================================ dispatch

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html"})
_MARKDOWN_TYPES = frozenset({"text/markdown", "text/x-markdown", "markdown"})


def normalize(
    body: str, *, content_type: str = "text/html", select: Sequence[str] = (), remove: Sequence[str] = ()
) -> PolicyText:
    """Normalize a fetched document by its media type (parameters ignored; detect_format's names "html",
    "markdown" and "text" work too). text/plain and unknown types are sniffed, because servers label HTML and
    raw Markdown files as text/plain. `select` and `remove` need HTML."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/pdf":
        raise ExtractionError("PDF documents are not supported yet (content type application/pdf)")
    if media in _HTML_TYPES:
        kind = "html"
    elif media in _MARKDOWN_TYPES:
        kind = "markdown"
    else:
        kind = detect_format(body)
    if kind == "html":
        return normalize_html(body, select=select, remove=remove)
    if select or remove:
        raise ExtractionError(f"CSS selectors need an HTML page, but this document is {kind} ({content_type!r})")
    return normalize_markdown(body) if kind == "markdown" else normalize_plain(body)


_EXTENSIONS = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".txt": "text",
    ".text": "text",
}
_HTML_START = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
_HTML_TAG = re.compile(r"</?(?:p|div|span|a|h[1-6]|ul|ol|li|table|tr|td|br|section|article|main|b|strong|em)\b", re.I)
_MD_SIGNALS = (
    re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.M),
    re.compile(r"^[^\n]*\S[^\n]*\n {0,3}(?:=+|-{2,})[ \t]*$", re.M),
    re.compile(r"!?\[[^\]\n]+\]\([^)\s]+\)"),
    re.compile(r"\*\*\S[^*\n]*\*\*|__\S[^_\n]*__"),
    re.compile(r"^ *\|? *:?-{3,}:? *\|", re.M),
)


def detect_format(text: str, filename: str = "") -> str:
    """ "html", "markdown" or "text": from the file name's extension, else from the content."""
    dot = filename.rfind(".")
    if dot >= 0 and (kind := _EXTENSIONS.get(filename[dot:].lower())):
        return kind
    head = text[:50_000]
    if _HTML_START.match(head) or (head.lstrip().startswith("<") and len(_HTML_TAG.findall(head)) >= 3):
        return "html"
    signals = sum(1 for signal in _MD_SIGNALS if signal.search(head))
    if signals >= 2 or len(_MD_SIGNALS[0].findall(head)) >= 2:
        return "markdown"
    return "text"


def read_policy_file(path: str | Path) -> PolicyText:
    """Normalize a policy saved as a file (HTML, Markdown or plain text, detected from name and content).
    Raises OSError when it cannot be read, ExtractionError when it holds no text."""
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        import charset_normalizer

        best = charset_normalizer.from_bytes(data).best()
        text = str(best) if best is not None else data.decode("latin-1")
    kind = detect_format(text, path.name)
    return normalize(text, content_type=kind)


# ==================================================================================================== HTML

_PARSERS = threading.local()  # lxml parsers must not be shared between threads


def _parser() -> etree.HTMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    return parser


_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_INLINE = _words(
    "a abbr acronym b bdi bdo big cite code data del dfn em font i ins kbd mark nobr q s samp small span strike "
    "strong sub sup time tt u var wbr"
)
_BLOCK = _words(
    "address article aside blockquote body center dd details dialog dir div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main menu nav ol p pre section summary table tbody "
    "td tfoot th thead tr ul caption legend noframes search"
)
_CONTROL_TAGS = frozenset({"button", "input", "select", "textarea"})
_DROP_TAGS = _words(
    "script style noscript template svg math iframe frame frameset object embed canvas video audio map "
    "button input select textarea option optgroup datalist output progress meter label nav aside dialog "
    "head title meta link base"
)
# Dropping these leaves no gap in the text around them (they are inline or invisible anyway).
_NO_GAP = _INLINE | _words(
    "script style noscript template svg math iframe object embed canvas video audio map button input select "
    "textarea option optgroup datalist output progress meter label img picture"
)
_SECTIONING = frozenset({"article", "main", "section"})

# Third-party consent and widget containers: unmistakable, whatever their size.
_VENDOR_CHROME = re.compile(
    r"onetrust|optanon|cookiebot|cybotcookiebot|didomi|usercentrics|trustarc|truste[-_]|qc-cmp|quantcast|"
    r"cookieyes|\bcky-|cmplz|complianz|osano|iubenda-cs|klaro|cookie-law-info|cookielawinfo|moove[-_]gdpr|"
    r"borlabs|termly-|cookiefirst|consentmanager|cmpbox|sp_message|truendo|axeptio|tarteaucitron|"
    r"\bcc-(?:window|banner|revoke|grower)\b|cookieconsent|\bcmp-|\bcmp\b|hs-banner|intercom-|drift-widget"
)
# Banners of the site's own making: dropped only when small and they carry buttons or are dialogs,
# because a policy's own section can be called "cookie-notice" too.
_COOKIE_CHROME = re.compile(
    r"(?:cookies?|consent|gdpr|ccpa|cc)[-_]?(?:banner|bar|notice|notification|popup|pop-up|modal|overlay|"
    r"consent|message|alert|wall|dialog|prompt|law|disclaimer)"
)
_CHROME_TOKENS = _words(
    """
    nav navbar navigation nav-bar site-nav site-navigation main-nav main-navigation primary-nav
    primary-navigation global-nav top-nav topnav mobile-nav mobile-menu menu main-menu primary-menu mega-menu
    megamenu menu-bar menubar nav-menu dropdown-menu off-canvas offcanvas hamburger subnav sub-nav local-nav
    skip-link skip-links skiplink skip-to-content skip-nav breadcrumb breadcrumbs breadcrumb-nav pagination
    pager back-to-top to-top scroll-top header site-header global-header page-top masthead top-bar topbar
    utility-bar header-wrapper header-container colophon copyright sidebar side-bar site-sidebar sidebar-left
    sidebar-right left-sidebar right-sidebar widget-area widgets widget secondary promo promos promo-box
    promo-banner promotion-banner newsletter newsletter-signup newsletter-form subscribe subscribe-box
    subscription-form signup-form cta cta-banner call-to-action popup pop-up modal modal-dialog lightbox
    overlay announcement announcement-bar alert-bar notification-bar banner-ad ad ads advert advertisement
    sponsored share shares share-buttons share-bar social social-share social-links social-icons social-media
    sharedaddy addthis addtoany a2a_kit related related-posts related-articles comments comment-respond
    comments-area feedback page-feedback was-this-helpful helpful rating search search-form searchform
    site-search language-selector language-switcher lang-switcher locale-selector country-selector print
    print-button toc table-of-contents on-this-page chat chat-widget screen-reader-text sr-only visually-hidden
    """
)
# Ids name a policy's own sections too ("newsletter", "social", "search"): only layout ids count as chrome.
_CHROME_IDS = _words(
    "header site-header masthead nav navigation site-navigation menu main-menu primary-menu sidebar secondary "
    "breadcrumbs breadcrumb skip-link footer site-footer colophon"
)
# Like the <header> and <footer> tags, these are chrome at page level but a title or date inside an article.
_PAGE_LEVEL_TOKENS = frozenset({"header", "site-header", "masthead", "footer", "site-footer", "colophon"})
_FOOTER_TOKEN = re.compile(r"(?:site|global|page|main|sub)?[-_]?footer(?:[-_].*)?")
_CHROME_ROLES = _words(
    "navigation banner contentinfo complementary search menu menubar toolbar tooltip dialog alertdialog"
)
_DIALOG_ROLES = frozenset({"dialog", "alertdialog"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")
_BUTTONISH = re.compile(r"btn|button|accept|agree|dismiss|close|reject|decline")
_SMALL_CHROME = 4000  # non-link characters; a site's chrome is smaller, a policy section that looks like it isn't

_NOT_CHROME, _CHROME_IF_SMALL, _COOKIE_IF_SMALL = 0, 1, 2
_MARKER_ATTRIBUTES = frozenset({"id", "class", "role", "style", "hidden", "aria-hidden", "aria-modal"})

Stats = tuple[int, int, int]  # (text length, link text length, headings) of an element, chrome removed


def _drop(el: etree._Element) -> None:
    """Remove an element but keep the text that follows it; a block leaves a gap so text never runs together."""
    parent = el.getparent()
    if parent is None:
        return
    if isinstance(el.tag, str) and el.tag not in _NO_GAP:
        gap = etree.Element("div")
        gap.tail, el.tail = el.tail, None
        parent.replace(el, gap)
        return
    tail = el.tail
    if tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


class _Pruner:
    """One post-order pass that drops scripts, site chrome and hidden parts and measures what is left."""

    __slots__ = ("hidden_text", "keep_hidden", "landmarks", "stats")

    def __init__(self, keep_hidden: bool) -> None:
        self.keep_hidden = keep_hidden
        self.stats: dict[etree._Element, Stats] = {}
        self.landmarks: list[tuple[int, etree._Element]] = []  # (0 main / 1 article, element)
        self.hidden_text = 0

    def prune(self, el: etree._Element, in_section: bool) -> tuple[int, int, int, int]:
        """Returns (text, link text, headings, controls) of el after pruning its descendants."""
        own = el.text  # lxml builds a new str on every .text/.tail access: read each once
        text = len(own.strip()) if own else 0
        link = headings = controls = 0
        stats = self.stats
        for child in list(el):
            tag = child.tag
            tail_text = child.tail
            tail = len(tail_text.strip()) if tail_text else 0
            if not isinstance(tag, str) or tag in _DROP_TAGS or (tag in ("header", "footer") and not in_section):
                if tag in _CONTROL_TAGS:
                    controls += 1
                _drop(child)
                text += tail
                continue
            keys = child.keys()
            if not len(child) and (not keys or _MARKER_ATTRIBUTES.isdisjoint(keys)):
                # A leaf without class, id, role or style: most of a policy's elements (p, li, a, strong).
                leaf_text = child.text
                leaf = len(leaf_text.strip()) if leaf_text else 0
                stats[child] = (leaf, leaf if tag == "a" else 0, 1 if tag in _HEADINGS else 0)
                text += leaf + tail
                if tag == "a":
                    link += leaf
                elif tag in _HEADINGS:
                    headings += 1
                continue
            verdict = _NOT_CHROME
            hidden = False
            role = ""
            if keys:
                ident = (child.get("id") or "").lower()
                classes = (child.get("class") or "").lower()
                marker = f"{ident} {classes}"
                if len(marker) > 1:
                    if _VENDOR_CHROME.search(marker):
                        _drop(child)
                        text += tail
                        continue
                    tokens = classes.split()
                    if ident in _CHROME_IDS:
                        tokens.append(ident)
                    if any(
                        (t in _CHROME_TOKENS or _FOOTER_TOKEN.fullmatch(t))
                        and not (in_section and (t in _PAGE_LEVEL_TOKENS or _FOOTER_TOKEN.fullmatch(t)))
                        for t in tokens
                    ):
                        verdict = _CHROME_IF_SMALL
                    elif _COOKIE_CHROME.search(marker):
                        verdict = _COOKIE_IF_SMALL
                    if tag == "a" and _BUTTONISH.search(marker):
                        controls += 1
                role = (child.get("role") or "").strip().lower()
                if role:
                    if role in _CHROME_ROLES:
                        verdict = _CHROME_IF_SMALL
                    elif role == "button":
                        controls += 1
                if child.get("aria-modal") == "true":
                    verdict = _CHROME_IF_SMALL
                style = child.get("style")
                hidden = (
                    child.get("hidden") is not None
                    or child.get("aria-hidden") == "true"
                    or (style is not None and _HIDDEN_STYLE.search(style.lower()) is not None)
                )
            c_text, c_link, c_headings, c_controls = self.prune(child, in_section or tag in _SECTIONING)
            nonlink = c_text - c_link
            if (
                (verdict == _CHROME_IF_SMALL and nonlink < _SMALL_CHROME)
                or (
                    # Banners sit outside the content; inside an article only a dialog is one.
                    verdict == _COOKIE_IF_SMALL
                    and nonlink < _SMALL_CHROME
                    and (role in _DIALOG_ROLES or (c_controls and not in_section))
                )
                or (hidden and not self.keep_hidden)
            ):
                if hidden and verdict == _NOT_CHROME:
                    self.hidden_text += nonlink
                _drop(child)
                text += tail
                continue
            stats[child] = (c_text, c_link, c_headings)
            text += c_text + tail
            link += c_link
            headings += c_headings
            controls += c_controls
            if tag == "main" or role == "main":
                self.landmarks.append((0, child))
            elif tag == "article":
                self.landmarks.append((1, child))
        if el.tag == "a":
            link = text
        elif el.tag in _HEADINGS:
            headings += 1
        return text, link, headings, controls


# Elements that hold text themselves: the element holding them is the content, never one of them.
_TEXT_BLOCKS = _HEADINGS | {"p", "ul", "ol", "dl", "pre", "blockquote", "li", "dd", "dt", "address", "figcaption"}
_COPYRIGHT = re.compile(r"(?i)©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved")
_COPYRIGHT_LINE = re.compile(r"(?i)\W*(?:©|\(c\)\s*\d{4}|copyright\b)")


def _text_of(el: etree._Element) -> str:
    return " ".join("".join(map(str, el.itertext())).split())


def _is_content(el: etree._Element, stats: Stats) -> bool:
    """Whether a sibling of the main text is part of the policy (a title, an intro, a "last updated" line)
    rather than leftover chrome (link lists, share bars, copyright lines)."""
    text, link, headings = stats
    nonlink = text - link
    if nonlink <= 0 or link * 2 > text:
        return False
    short = _text_of(el) if nonlink < 300 else ""
    if short and _COPYRIGHT.search(short):
        return False
    return el.tag in _TEXT_BLOCKS or bool(headings) or nonlink >= 80 or bool(short and _POLICY_DATE_WORDS.search(short))


def _pick_container(body: etree._Element, pruner: _Pruner) -> etree._Element:
    """The element that holds the policy: a <main>/<article> landmark holding at least half of the text, else
    the body; then down through wrappers while one child holds most of the text and its siblings are chrome."""
    stats = pruner.stats

    def nonlink(el: etree._Element) -> int:
        text, link, _ = stats.get(el, (0, 0, 0))
        return text - link

    total = nonlink(body)
    node = body
    for rank in (0, 1):
        candidates = [el for r, el in pruner.landmarks if r == rank and any(a is body for a in el.iterancestors())]
        if candidates:
            best = max(candidates, key=nonlink)
            if nonlink(best) * 2 >= total:
                node = best
                break
    while True:
        kids = [c for c in node if c in stats]
        if not kids:
            return node
        best = max(kids, key=nonlink)
        own = nonlink(node)
        if best.tag in _TEXT_BLOCKS or nonlink(best) < 0.6 * own or own - sum(nonlink(k) for k in kids) > 20:
            return node
        if any(k is not best and _is_content(k, stats[k]) for k in kids):
            return node
        node = best


def _trim(container: etree._Element, stats: dict[etree._Element, Stats]) -> None:
    """Drop the link bars and copyright lines that sit beside the policy inside its container. Paragraphs, lists
    and tables stay even when they are mostly links: they are the policy's own."""
    for child in list(container):
        if child not in stats or child.tag in _TEXT_BLOCKS or child.tag == "table":
            continue
        text, link, headings = stats[child]
        if headings or text >= 300:
            continue
        if link * 2 > text or _COPYRIGHT_LINE.match(_text_of(child)):
            _drop(child)


_BR = "\x00"  # marks a <br> in an extractor's buffer; two in a row end a paragraph, like in Markdown
_BR_BREAK = re.compile(r"\x00\s*\x00[\s\x00]*")


def _gather(el: etree._Element, parts: list[str]) -> None:
    text = el.text
    if text:
        parts.append(text)
    for child in el:
        if child.tag in _INLINE:
            _gather(child, parts)
        else:
            parts.append(" ")
            _gather(child, parts)
            parts.append(" ")
        tail = child.tail
        if tail:
            parts.append(tail)


def _flatten(el: etree._Element) -> str:
    """All text of an element on one line, with a space wherever a block or line break was."""
    parts: list[str] = []
    _gather(el, parts)
    return _finish("".join(parts))


class _Extractor:
    """Walks pruned HTML and emits blocks; inline text is buffered so that spacing is the page's own."""

    __slots__ = ("blocks", "buf")

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.buf: list[str] = []

    def flush(self) -> None:
        if not self.buf:
            return
        raw = "".join(self.buf)
        self.buf.clear()
        if raw.isspace():  # the indentation between blocks: most flushes
            return
        parts = _BR_BREAK.split(raw) if _BR in raw else (raw,)
        for part in parts:
            text = _finish(part.replace(_BR, " "))
            if text:
                self.blocks.append(Block(PARAGRAPH, text))

    def walk(self, el: etree._Element) -> None:
        """The content of el (not el's tail)."""
        buf = self.buf
        text = el.text
        if text:
            buf.append(text)
        for child in el:
            self.child(child)
            tail = child.tail
            if tail:
                buf.append(tail)

    def child(self, el: etree._Element) -> None:
        tag = el.tag
        if tag in _INLINE:
            self.walk(el)
        elif tag == "br":
            self.buf.append(_BR)
        elif (handler := _HANDLERS.get(tag)) is not None:
            self.flush()
            handler(self, el)
        elif tag in _BLOCK or (isinstance(tag, str) and "-" in tag):  # custom elements are blocks in practice
            self.flush()
            if len(el):
                self.walk(el)
                self.flush()
            elif (raw := el.text) and (text := _finish(raw)):  # a plain <p>: most blocks
                self.blocks.append(Block(PARAGRAPH, text))
        elif isinstance(tag, str):
            self.walk(el)

    def result(self) -> list[Block]:
        self.flush()
        return self.blocks


def _heading(ex: _Extractor, el: etree._Element) -> None:
    text = _flatten(el)
    if text:
        ex.blocks.append(Block(HEADING, text, int(el.tag[1])))


def _list_item(ex: _Extractor, el: etree._Element, is_li: bool = True) -> None:
    if is_li and not len(el):  # text only: most items
        raw = el.text
        if raw and (text := _finish(raw)):
            ex.blocks.append(Block(ITEM, text, 0))
        return
    sub = _Extractor()
    if is_li:
        sub.walk(el)
    else:
        sub.child(el)
    ex.blocks.extend(_item_blocks(sub.result()))


def _list(ex: _Extractor, el: etree._Element) -> None:
    _loose_item(ex, el.text)
    for child in el:
        _list_item(ex, child, child.tag == "li")
        tail = child.tail
        if tail and not tail.isspace():
            _loose_item(ex, tail)


def _loose_item(ex: _Extractor, text: str | None) -> None:
    """Text written straight into a <ul>, outside any <li>."""
    if text and not text.isspace() and (text := _finish(text)):
        ex.blocks.append(Block(ITEM, text, 0))


def _table(ex: _Extractor, el: etree._Element) -> None:
    role = (el.get("role") or "").lower()
    nested = next(el.iterdescendants("table", *_HEADINGS), None)
    rows = [[c for c in tr if c.tag in ("td", "th")] for tr in el.iter("tr")]
    if role in ("presentation", "none") or nested is not None or max(map(len, rows), default=0) <= 1:
        # A table used for layout: its cells are containers, not data.
        ex.walk(el)
        ex.flush()
        return
    caption = el.find("caption")
    if caption is not None and (text := _flatten(caption)):
        ex.blocks.append(Block(PARAGRAPH, text))
    for cells in rows:
        texts = [_flatten(c) for c in cells]
        if any(texts):
            ex.blocks.append(Block(ROW, " | ".join(texts).strip()))


def _definitions(ex: _Extractor, el: etree._Element) -> None:
    term = ""
    used = True

    def visit(container: etree._Element) -> None:
        nonlocal term, used
        for child in container:
            if child.tag == "dt":
                if not used:
                    ex.blocks.append(Block(PARAGRAPH, term))
                term = _flatten(child)
                used = not term
            elif child.tag == "dd":
                definition = _flatten(child)
                if definition:
                    joined = f"{term} {definition}" if term.endswith(":") else f"{term}: {definition}"
                    ex.blocks.append(Block(PARAGRAPH, joined if term else definition))
                used = True
            elif isinstance(child.tag, str):
                visit(child)

    visit(el)
    if not used:
        ex.blocks.append(Block(PARAGRAPH, term))


def _preformatted(ex: _Extractor, el: etree._Element) -> None:
    for part in re.split(r"\n\s*\n", "".join(map(str, el.itertext()))):
        if text := _finish(part):
            ex.blocks.append(Block(PARAGRAPH, text))


def _nothing(ex: _Extractor, el: etree._Element) -> None:
    """hr, img: a boundary without text."""


_HANDLERS: dict[str, Callable[[_Extractor, etree._Element], None]] = {
    **dict.fromkeys(_HEADINGS, _heading),
    **dict.fromkeys(("ul", "ol", "menu", "dir"), _list),
    "li": _list_item,
    "table": _table,
    "dl": _definitions,
    "pre": _preformatted,
    "hr": _nothing,
    "img": _nothing,
}


def _decode_cfemail(hexstr: str) -> str | None:
    """Cloudflare's e-mail obfuscation: the first byte is an XOR key for the rest."""
    try:
        data = bytes.fromhex(hexstr)
        return bytes(b ^ data[0] for b in data[1:]).decode("utf-8") or None
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


_CF_ELEMENTS = etree.XPath("//*[@data-cfemail] | //a[contains(@href, '/cdn-cgi/l/email-protection#')]")


def _elements(result: object) -> list[etree._Element]:
    """The elements of an XPath result (typed: XPath may also return strings or numbers)."""
    return [el for el in result if isinstance(el, etree._Element)] if isinstance(result, list) else []


def _reveal_emails(root: etree._Element) -> None:
    for el in _elements(_CF_ELEMENTS(root)):
        encoded = el.get("data-cfemail") or (el.get("href") or "").rpartition("#")[2]
        email = _decode_cfemail(encoded)
        if email:
            for child in list(el):
                el.remove(child)  # removes the child's tail too: it is inside el
            el.text = email


try:  # cssselect is the fast path; bs4's soupsieve does the job when it is not installed
    from cssselect import SelectorError as _SelectorError
    from lxml.cssselect import CSSSelector as _CSSSelector

    _HAVE_CSSSELECT = True
except ImportError:  # pragma: no cover - depends on the environment
    _HAVE_CSSSELECT = False


@functools.lru_cache(maxsize=1024)
def _compiled(selector: str) -> Callable[[etree._Element], object]:
    try:
        return _CSSSelector(selector, translator="html")
    except _SelectorError as error:
        raise _invalid_selector(selector, error) from None


def _invalid_selector(selector: str, error: Exception) -> ExtractionError:
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return ExtractionError(f"invalid CSS selector {selector!r}: {reason}")


def _outermost(elements: Iterable[etree._Element]) -> list[etree._Element]:
    """Elements in the order given, without those inside an earlier one."""
    chosen: list[etree._Element] = []
    seen: set[etree._Element] = set()
    for el in elements:
        if el not in seen and not any(a in seen for a in el.iterancestors()):
            chosen.append(el)
        seen.add(el)
    return chosen


def _css_matches(root: etree._Element, selectors: tuple[str, ...]) -> list[etree._Element]:
    """Elements matching any of the selectors, in page order (one union query keeps the order)."""
    if not selectors:
        return []
    for selector in selectors:
        _compiled(selector)  # an invalid selector is named on its own
    return _elements(_compiled(", ".join(selectors))(root))


_MARK = "data-watcher-selected"
_MARKED = etree.XPath(f"//*[@{_MARK}]")


def _marked_matches(root: etree._Element, selectors: tuple[str, ...]) -> list[etree._Element]:
    return _elements(_MARKED(root)) if selectors else []


def _mark_with_soupsieve(html: str, select: tuple[str, ...], remove: tuple[str, ...]) -> str:
    """Without cssselect: apply `remove` and mark the `select` matches with bs4 (slower, same result)."""
    from bs4 import BeautifulSoup
    from soupsieve import SelectorSyntaxError

    soup = BeautifulSoup(html, "lxml")
    for selector in (*remove, *select):
        try:
            soup.select_one(selector)
        except SelectorSyntaxError as error:
            raise _invalid_selector(selector, error) from None
    for selector in remove:
        for el in soup.select(selector):
            el.decompose()
    for el in soup.select(", ".join(select)) if select else ():
        el[_MARK] = ""
    return str(soup)


def _nothing_matched(select: Sequence[str]) -> ExtractionError:
    names = ", ".join(repr(s) for s in select)
    noun = "selector" if len(select) == 1 else "selectors"
    return ExtractionError(f"{noun} {names} matched nothing on the page")


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")


def _parse_html(html: str) -> etree._Element:
    # lxml refuses str input with an encoding declaration, and NUL would end the document early.
    if html.lstrip()[:5] == "<?xml":
        html = _XML_DECLARATION.sub("", html, count=1)
    if "\x00" in html:
        html = html.replace("\x00", "")
    parser = _parser()
    root = etree.fromstring(html, parser) if html.strip() else None
    if root is None:
        raise ExtractionError("the page is empty")
    if any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log):
        # libxml2 stops reading at 256 levels of nesting: better no text than a silently truncated policy.
        raise ExtractionError("the page nests its elements more than 256 levels deep and cannot be read whole")
    return root


Matcher = Callable[[etree._Element, tuple[str, ...]], list[etree._Element]]


def _extract(
    html: str, select: tuple[str, ...], remove: tuple[str, ...], matches: Matcher, keep_hidden: bool
) -> tuple[list[Block], int, int]:
    """The page's blocks, with its visible and hidden non-link text (the caller decides whether to retry)."""
    root = _parse_html(html)
    if "cfemail" in html or "email-protection#" in html:
        _reveal_emails(root)
    for el in matches(root, remove):
        _drop(el)
    pruner = _Pruner(keep_hidden)
    ex = _Extractor()
    if select:
        roots = _outermost(matches(root, select))
        if not roots:
            raise _nothing_matched(select)
        visible = 0
        for el in roots:
            # The selected elements are the user's explicit choice: they stay even if they look hidden or
            # like chrome; only what is inside them is pruned.
            in_section = any(a.tag in _SECTIONING for a in el.iterancestors()) or el.tag in _SECTIONING
            text, link, _, _ = pruner.prune(el, in_section)
            visible += text - link
            ex.child(el)
            ex.flush()
        return ex.result(), visible, pruner.hidden_text
    body = root.find("body")
    if body is None:
        body = root
    text, link, headings, _ = pruner.prune(body, False)
    pruner.stats[body] = (text, link, headings)
    container = _pick_container(body, pruner)
    _trim(container, pruner.stats)
    if container.tag in _HANDLERS:
        ex.child(container)
    else:
        ex.walk(container)
    return ex.result(), text - link, pruner.hidden_text


def normalize_html(html: str, *, select: Sequence[str] = (), remove: Sequence[str] = ()) -> PolicyText:
    """Extract the policy from an HTML page. Elements matching the CSS `remove` selectors are dropped first;
    `select` names the policy's elements (taken in page order), otherwise the main content is found."""
    select = (select,) if isinstance(select, str) else tuple(select)
    remove = (remove,) if isinstance(remove, str) else tuple(remove)
    matches: Matcher = _css_matches
    if (select or remove) and not _HAVE_CSSSELECT:
        html = _mark_with_soupsieve(html, select, remove)
        matches, remove = _marked_matches, ()
    blocks, visible, hidden = _extract(html, select, remove, matches, keep_hidden=False)
    if hidden > visible:
        # Most of the text is hidden: an anti-flicker wrapper, a page under a modal, or collapsed accordions.
        # Dropping it would drop the policy, so this time the hidden parts stay.
        blocks, visible, hidden = _extract(html, select, remove, matches, keep_hidden=True)
    if not blocks:
        if select:
            names = ", ".join(repr(s) for s in select)
            raise ExtractionError(f"the elements matched by {names} have no text")
        raise ExtractionError(
            "the page has no text once scripts, navigation, banners and hidden parts are removed"
            " (a page built by JavaScript in the browser looks like this)"
        )
    return _policy(blocks)


# ================================================================================================ Markdown

_MD_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_MD_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*")
_MD_HR = re.compile(r" {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})")
_MD_ITEM = re.compile(r"( *)([-*+]|\d{1,9}[.)])(?:( +)(.*))?")
_MD_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_MD_QUOTE = re.compile(r" {0,3}> ?(.*)")
_MD_TABLE_SEPARATOR = re.compile(r" *\|? *:?-+:? *(?:\| *:?-+:? *)*\|? *")
_MD_REFERENCE = re.compile(r" {0,3}\[[^\]]+\]:\s+\S.*")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_PROTECT_BASE = 0xE000  # escaped punctuation hides in the Private Use Area while markup is stripped
_PROTECTED = re.compile("[\ue021-\ue07e]")
_URL_PART = r"(?:[^()\s]|\([^()\s]*\))*"
_MD_IMAGE = re.compile(rf"!\[[^\]]*\]\(\s*<?{_URL_PART}>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)|!\[[^\]]*\]\[[^\]]*\]")
_MD_LINK = re.compile(
    rf"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?({_URL_PART})>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_MD_REF_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])+)\]\[[^\]]*\]")
_MD_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+|[^>\s@]+@[^>\s@]+)>")
_MD_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_MD_CODE = re.compile(r"(`+)(.+?)\1")
_MD_STRONG = re.compile(r"__(?=\S)(.+?)(?<=\S)__")
_MD_EM_STAR = re.compile(r"\*(?=\S)(.+?)(?<=\S)\*")
_MD_EM_UNDERSCORE = re.compile(r"(?<![^\W_])_(?=\S)(.+?)(?<=\S)_(?![^\W_])")
_MD_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_CF_PATH = "/cdn-cgi/l/email-protection#"


def _md_link(match: re.Match[str]) -> str:
    url = match.group(2)
    if _CF_PATH in url and (email := _decode_cfemail(url.rpartition("#")[2])):
        return email
    return match.group(1)


def _md_tag(match: re.Match[str]) -> str:
    return " " if match.group().lower().startswith("<br") else ""


def _md_inline(s: str) -> str:
    """Markdown inline markup to plain text: links keep their text, images and tags go, emphasis markers go."""
    protected = "\\" in s
    if protected:
        s = _MD_ESCAPE.sub(lambda m: chr(_PROTECT_BASE + ord(m.group(1))), s)
    if "[" in s:
        s = _MD_IMAGE.sub("", s)
        s = _MD_LINK.sub(_md_link, s)
        s = _MD_REF_LINK.sub(r"\1", s)
    if "<" in s:
        s = _MD_AUTOLINK.sub(r"\1", s)
        s = _MD_HTML_TAG.sub(_md_tag, s)
    if "`" in s:
        s = _MD_CODE.sub(r"\2", s)
    if "*" in s or "_" in s:
        # Converters write <strong>a </strong> as "**a **", which CommonMark leaves as text; literal asterisks
        # are escaped, so every "**" left is markup.
        s = _MD_STRONG.sub(r"\1", s)
        s = _MD_EM_UNDERSCORE.sub(r"\1", s)  # before "**" goes: "**a**_:_" is "a" then an emphasised ":"
        s = s.replace("**", "")
        s = _MD_EM_STAR.sub(r"\1", s)
    if "~~" in s:
        s = _MD_STRIKE.sub(r"\1", s)
    if "&" in s:
        s = html_lib.unescape(s)
    if protected:
        s = _PROTECTED.sub(lambda m: chr(ord(m.group()) - _PROTECT_BASE), s)
    return s


def _md_cell(cell: str) -> str:
    # Cells hold what HTML tables hold: line breaks and list items, here written as <br> and "* ".
    parts = re.split(r"<br\s*/?>", cell, flags=re.I)
    return " ".join(re.sub(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+", "", part) for part in parts)


def _md_cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return re.split(r"(?<!\\)\|", s)


def _md_row(cells: list[str], width: int) -> Block | None:
    """A table row; like GFM, rows are cut or padded to the header's number of columns."""
    texts = [_finish(_md_inline(_md_cell(c))) for c in (cells[:width] if width else cells)]
    texts += [""] * (width - len(texts))
    return Block(ROW, " | ".join(texts).strip()) if any(texts) else None


def _md_starts_block(line: str) -> bool:
    return bool(
        _MD_ATX.fullmatch(line)
        or _MD_HR.fullmatch(line)
        or _MD_ITEM.fullmatch(line)
        or _MD_QUOTE.fullmatch(line)
        or _MD_FENCE.match(line)
        or line.lstrip().startswith("|")
    )


def _md_paragraph(lines: list[str]) -> str:
    joined = []
    for line in lines:
        line = line.strip()
        if line.endswith("\\") and not line.endswith("\\\\"):  # a hard line break
            line = line[:-1]
        joined.append(line)
    return _finish(_md_inline(" ".join(joined)))


def _md_blocks(lines: list[str]) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            if text := _md_paragraph(paragraph):
                blocks.append(Block(PARAGRAPH, text))
            paragraph.clear()

    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            flush()
            i += 1
            continue
        if paragraph and (m := _MD_SETEXT.fullmatch(line)):
            text = _md_paragraph(paragraph)
            paragraph.clear()
            if text:
                blocks.append(Block(HEADING, text, 1 if m.group(1)[0] == "=" else 2))
            i += 1
            continue
        if m := _MD_FENCE.match(line):
            flush()
            fence, code = m.group(1), []
            i += 1
            while i < n and not lines[i].strip().startswith(fence):
                code.append(lines[i])
                i += 1
            i += 1
            for part in re.split(r"\n\s*\n", "\n".join(code)):
                if text := _finish(part):
                    blocks.append(Block(PARAGRAPH, text))
            continue
        if _MD_HR.fullmatch(line) or _MD_REFERENCE.fullmatch(line):
            flush()
            i += 1
            continue
        if m := _MD_ATX.fullmatch(line):
            flush()
            if text := _finish(_md_inline(m.group(2) or "")):
                blocks.append(Block(HEADING, text, len(m.group(1))))
            i += 1
            continue
        if _MD_QUOTE.fullmatch(line):
            flush()
            quoted = []
            while i < n and lines[i].strip():
                q = _MD_QUOTE.fullmatch(lines[i])
                if q is None and _md_starts_block(lines[i]):
                    break
                quoted.append(q.group(1) if q else lines[i])  # a lazy continuation line
                i += 1
            blocks.extend(_md_blocks(quoted))
            continue
        if line.lstrip().startswith("|"):
            flush()
            width = 0
            if i + 1 < n and _MD_TABLE_SEPARATOR.fullmatch(lines[i + 1]):
                width = len(_md_cells(lines[i + 1]))
            while i < n and lines[i].lstrip().startswith("|"):
                if not _MD_TABLE_SEPARATOR.fullmatch(lines[i]) and (row := _md_row(_md_cells(lines[i]), width)):
                    blocks.append(row)
                i += 1
            continue
        m = _MD_ITEM.fullmatch(line)
        # Only a bullet or "1." may interrupt a paragraph (CommonMark): "2024. was a good year" is text.
        if m and (not paragraph or m.group(2) in "-*+" or m.group(2)[:-1] == "1"):
            flush()
            indent, marker, spaces, first = len(m.group(1)), m.group(2), m.group(3) or "", m.group(4) or ""
            if len(spaces) > 4:  # content indented like code: the item's text starts one space after the marker
                first = spaces[1:] + first
                spaces = " "
            content_indent = indent + len(marker) + max(len(spaces), 1)
            item_lines = [first]
            i += 1
            while i < n:
                nxt = lines[i]
                if not nxt.strip():
                    item_lines.append("")
                elif len(nxt) - len(nxt.lstrip(" ")) >= content_indent:
                    item_lines.append(nxt[content_indent:])
                elif item_lines[-1].strip() and not _md_starts_block(nxt):
                    item_lines.append(nxt.strip())  # a lazy continuation of the item's paragraph
                else:
                    break
                i += 1
            blocks.extend(_item_blocks(_md_blocks(item_lines)))
            continue
        paragraph.append(line)
        i += 1
    flush()
    return blocks


def normalize_markdown(text: str) -> PolicyText:
    """Markdown (CommonMark/GFM as written by HTML-to-Markdown converters) to the blocks the same policy gives
    as HTML."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4).split("\n")
    blocks = _md_blocks(lines)
    if not blocks:
        raise ExtractionError("the Markdown document has no text")
    return _policy(blocks)


# ============================================================================================= plain text

_PLAIN_BULLET = re.compile(
    r"(\s*)([•·▪◦●○■□►▸‣⁃∙*+\-–—]|\d{1,3}(?:[.)]|(?:\.\d{1,3})+\.?)|[a-zA-Z][.)]|\(\w{1,3}\))(?:\s+(.*))?"
)
_NUMBERED = re.compile(r"\d|[a-zA-Z][.)]|\(")
_WORD = re.compile(r"[^\W\d_]{4,}")
_NOT_A_HEADING = re.compile(r"(?i)@|https?:|www\.|\b(?:updated|effective|revised|modified)\b")


def _number_style(marker: str) -> tuple[str, int]:
    if marker[0].isdigit():
        return "number", marker.rstrip(".)").count(".") + 1
    return ("letter", 1) if marker[0].isalpha() else ("paren", 1)


def _title_like(text: str, numbered: bool) -> bool:
    if len(text) > 80 or len(text.split()) > 12 or _NOT_A_HEADING.search(text):
        return False
    if text.endswith((".", ",", ";")) or (text.endswith(":") and not numbered):
        return False
    if numbered:
        return True
    words = _WORD.findall(text)
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.75 * len(words) and text[0].isupper()


def _plain_chunks(text: str) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    for line in text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4).split("\n"):
        if line.strip():
            chunks[-1].append(line.rstrip())
        elif chunks[-1]:
            chunks.append([])
    return [c for c in chunks if c]


def _hard_wrapped(lines: list[str]) -> bool:
    """Lines of one paragraph broken at a fixed width, rather than one paragraph per line."""
    if len(lines) < 2 or any(_PLAIN_BULLET.fullmatch(line) for line in lines):
        return False
    widths = [len(line.strip()) for line in lines]
    widest = max(widths)
    if widest > 100 or widest < 40 or min(widths[:-1]) < 0.5 * widest:
        return False
    open_ended = sum(not line.rstrip().endswith((".", "!", "?", ":", ";")) for line in lines[:-1])
    return open_ended * 2 >= len(lines) - 1


def normalize_plain(text: str) -> PolicyText:
    """Plain text: blank-line separated paragraphs (hard-wrapped lines joined), bulleted or numbered lines as
    items, short title-like lines that open a paragraph as headings."""
    # A unit: (text, bullet marker or "", indent, first line of its chunk)
    units: list[tuple[str, str, int, bool]] = []
    for chunk in _plain_chunks(text):
        lines = chunk
        if len(lines) > 2 and not _PLAIN_BULLET.fullmatch(lines[0]) and _title_like(lines[0].strip(), False):
            units.append((lines[0].strip(), "", 0, True))
            lines = lines[1:]
        if _hard_wrapped(lines):
            units.append((" ".join(line.strip() for line in lines), "", 0, lines is chunk))
            continue
        pending_marker: tuple[str, int] | None = None
        for index, line in enumerate(lines):
            first = index == 0 and lines is chunk
            indent = len(line) - len(line.lstrip())
            m = _PLAIN_BULLET.fullmatch(line)
            if pending_marker is not None:  # a bullet alone on its line: the item's text is on the next
                if m is None:
                    units.append((line.strip(), pending_marker[0], pending_marker[1], False))
                    pending_marker = None
                    continue
                pending_marker = None
            if m is not None:
                if not m.group(3):
                    pending_marker = (m.group(2), indent)
                    continue
                units.append((m.group(3).strip(), m.group(2), indent, first))
            elif units and units[-1][1] and not first and indent > units[-1][2]:
                previous = units[-1]  # an indented line continues a wrapped bullet
                units[-1] = (previous[0] + " " + line.strip(), *previous[1:])
            else:
                units.append((line.strip(), "", indent, first))

    blocks: list[Block] = []
    indents: list[int] = []
    seen_heading = seen_numbered_heading = False
    previous_style: tuple[str, int] | None = None  # number style of the previous unit when it was an item
    for index, (unit, marker, indent, first) in enumerate(units):
        following = units[index + 1] if index + 1 < len(units) else None
        numbered = bool(marker) and bool(_NUMBERED.match(marker))
        style = _number_style(marker) if numbered else None
        next_style = (
            _number_style(following[1]) if following and following[1] and _NUMBERED.match(following[1]) else None
        )
        heading_level = 0
        if first and following is not None:
            if numbered and style != previous_style and next_style != style and _title_like(unit, True):
                depth, kind = style[1], style[0]  # type: ignore[index]
                heading_level = min(6, 1 + depth + (kind != "number"))
                seen_numbered_heading = True
            elif not marker and _title_like(unit, False):
                heading_level = 1 if not seen_heading else 3 if seen_numbered_heading else 2
        text = _finish(f"{marker} {unit}" if numbered and heading_level else unit)
        if not text:
            continue
        if heading_level:
            blocks.append(Block(HEADING, text, heading_level))
            seen_heading = True
            indents.clear()
            previous_style = None
        elif marker:
            while indents and indent < indents[-1]:
                indents.pop()
            if not indents or indent > indents[-1]:
                indents.append(indent)
            blocks.append(Block(ITEM, text, len(indents) - 1))
            previous_style = style
        else:
            blocks.append(Block(PARAGRAPH, text))
            indents.clear()
            previous_style = None
    if not blocks:
        raise ExtractionError("the text document is empty")
    return _policy(blocks)
