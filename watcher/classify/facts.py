"""Facts a policy states (retention periods, named third parties, age limits, sale statements, rights,
transfer mechanisms), and the findings when they differ between two texts."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass

from watcher.models import Finding, Severity

RETENTION = "retention"
THIRD_PARTY = "third_party"
AGE = "age"
SALE = "sale"
RIGHT = "right"
TRANSFER = "transfer"

# The taxonomy category each kind of fact belongs to.
FACT_CATEGORY = {
    RETENTION: "retention",
    THIRD_PARTY: "sharing",
    AGE: "audiences",
    SALE: "sharing",
    RIGHT: "rights",
    TRANSFER: "transfers",
}

EXCERPT_CHARS = 300


@dataclass(frozen=True)
class Fact:
    """One fact a sentence states: its kind (RETENTION, THIRD_PARTY, ...), a normalised value, the sentence."""

    kind: str
    value: str  # "30 days", "up to 24 months", "Segment", "13", "no sale", "portability", "Privacy Shield"
    sentence: str


def extract_facts(text: str, context: str = "", kinds: Collection[str] = tuple(FACT_CATEGORY)) -> tuple[Fact, ...]:
    """Every fact of `kinds` stated in `text`, in order, each (kind, value) once per sentence. `context` (a
    section heading such as "Your rights") counts as part of every sentence when judging what it is about."""
    facts: list[Fact] = []
    for sentence in split_sentences(text):
        seen: set[tuple[str, str]] = set()
        for kind, value in _facts_in(sentence, context, kinds):
            if (kind, value) not in seen:
                seen.add((kind, value))
                facts.append(Fact(kind, value, sentence))
    return tuple(facts)


def compare_facts(old_text: str, new_text: str, section: str = "") -> tuple[Finding, ...]:
    """Findings for the facts that differ between two texts (each finding material: it changed a fact)."""
    old = [LocatedFact(fact, section) for fact in extract_facts(old_text, section)]
    new = [LocatedFact(fact, section) for fact in extract_facts(new_text, section)]
    return tuple(finding for finding, _, _ in compare_located(old, new))


# ------------------------------------------------------------------------------------------- sentences

# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|inc|ltd|co|corp|llc|no|vs|approx|incl|art|sec|st|mr|mrs|ms|dr|u\.s|u\.k)\.|"
    r"\b[A-Z]\.)$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n+")


def split_sentences(text: str) -> list[str]:
    """`text` cut into sentences (and lines), stripped, in order."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start : match.start()]
        if match.group().strip() == "" and "\n" not in match.group() and _ABBREVIATIONS.search(piece):
            continue  # "e.g. Stripe" or "U.S. law": the full stop belongs to an abbreviation
        if piece.strip():
            sentences.append(piece.strip())
        start = match.end()
    if text[start:].strip():
        sentences.append(text[start:].strip())
    return sentences


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """`text` stripped and cut to about `limit` characters at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def excerpt_pair(before: str, after: str, limit: int = EXCERPT_CHARS) -> tuple[str, str]:
    """Excerpts of two versions of a text that show where they differ: when the first differing word lies
    beyond the first third of `limit`, both start a few words before it (marked "… "), so that a change late
    in a long paragraph is not cut off and Before and After never look the same."""
    old, new = before.split(), after.split()
    if not old or not new:
        return excerpt(before, limit), excerpt(after, limit)
    common = 0
    while common < min(len(old), len(new)) and old[common] == new[common]:
        common += 1
    lead = 8  # words of context kept before the first difference
    if len(" ".join(old[:common])) <= limit // 3 or common <= lead:
        return excerpt(before, limit), excerpt(after, limit)
    start = common - lead
    return "… " + excerpt(" ".join(old[start:]), limit), "… " + excerpt(" ".join(new[start:]), limit)


# ------------------------------------------------------------------------------------------ extraction


def _facts_in(sentence: str, context: str, kinds: Collection[str]) -> Iterator[tuple[str, str]]:
    for kind, extract in _EXTRACTORS:
        if kind in kinds:
            for value in extract(sentence, context):
                yield kind, value


# --- numbers

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_NUMBER_WORDS = {word: n for n, word in enumerate(_ONES)} | {word: 20 + 10 * n for n, word in enumerate(_TENS)}
_WORD_NUMBER = rf"(?:(?:{'|'.join(_TENS)})(?:[\s-](?:{'|'.join(_ONES[1:10])}))?|{'|'.join(_ONES)})(?:\s+hundred)?"
_NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?|{_WORD_NUMBER}|an?)"


def parse_number(text: str) -> float | None:
    """A number written in digits or English words ("five", "twenty-four", "a"), or None."""
    text = text.strip().lower().replace(",", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if text in ("a", "an"):
        return 1
    total = 0
    words = re.split(r"[\s-]+", text)
    for word in words:
        if word == "hundred":
            total = max(total, 1) * 100
        elif word in _NUMBER_WORDS:
            total += _NUMBER_WORDS[word]
        else:
            return None
    return total


def _format_number(number: float) -> str:
    return str(int(number)) if number == int(number) else f"{number:g}"


# --- retention

_RETENTION_CONTEXT = re.compile(
    r"\b(?:retain|retention|keep|kept|stor(?:e|ed|es|ing|age)|hold|held|delet|eras|purg|destr|anonymi[sz]"
    r"|de-?identif|maintain)",
    re.IGNORECASE,
)
_UP_TO = r"up\s+to|(?:no|not)\s+(?:longer|more)\s+than|(?:a\s+)?maximum\s+(?:period\s+)?of|at\s+most|not\s+exceeding"
_AT_LEAST = r"at\s+least|(?:a\s+)?minimum\s+(?:period\s+)?of|(?:no|not)\s+less\s+than"
_DURATION = re.compile(
    rf"(?:\b(?P<prefix>{_UP_TO}|{_AT_LEAST}|within|after|for)\s+)?"
    r"(?:(?:a|the)\s+)?(?:(?:period|term)\s+of\s+)?"
    rf"(?:(?P<inner>{_UP_TO})\s+)?"
    rf"\b(?P<number>{_NUMBER})(?:\s*\(\s*(?:{_NUMBER})\s*\))?[\s-]+"
    r"(?:(?P<kind>calendar|business|working)\s+)?"
    r"(?P<unit>hour|day|week|month|year)s?\b"
    r"(?!\s+(?:of\s+age|old)\b)(?!-old)",
    re.IGNORECASE,
)
_QUALITATIVE_RETENTION: tuple[tuple[str, str], ...] = (
    (
        r"\buntil (?:you|your|the)\s+(?:\w+\s+){0,3}?(?:account|subscription)\s+(?:is\s+|has\s+been\s+)?"
        r"(?:closed|terminated|deactivated|cancel+ed|ends)\b|\buntil you (?:close|terminate|deactivate|cancel)\b",
        "until the account is closed",
    ),
    (
        r"\buntil (?:you|your|the)\s+(?:\w+\s+){0,3}?account\s+(?:is\s+|has\s+been\s+)?deleted\b"
        r"|\buntil you delete (?:your|the) account\b",
        "until the account is deleted",
    ),
    (
        r"\b(?:as|so) long as (?:your|you have an?|the)\s+(?:\w+\s+)?(?:account|subscription|relationship"
        r"|contract)(?:\s+(?:is|remains)\s+(?:active|open|in effect))?\b|\bwhile (?:your|the) account is active\b"
        r"|\b(?:as|so) long as you (?:use|maintain)\b",
        "while the account is active",
    ),
    (r"\bindefinitely\b|\bpermanently\b|\bforever\b", "indefinitely"),
    (
        r"\b(?:as|so) long as (?:is |it is |may be |we |reasonably )?(?:reasonably )?(?:necessary|needed)\b",
        "as long as necessary",
    ),
    (
        r"\b(?:as|so) long as (?:is |it is |may be )?(?:required|permitted) by (?:applicable )?law\b"
        r"|\b(?:as|so) long as (?:the )?law requires\b",
        "as long as required by law",
    ),
)
_QUALITATIVE_PATTERNS = [(re.compile(p, re.IGNORECASE), value) for p, value in _QUALITATIVE_RETENTION]
_RETAINED_SUBJECT = re.compile(
    r"\b(?:retain|keep|store|hold|delete|erase|purge)s?\s+(?:all\s+|any\s+)?(?:your|the|such|this|these|those)?"
    r"\s*(?P<subject>(?:[a-z-]+\s+){0,2}?(?:data|information|records|logs|backups|content|messages|recordings))\b"
    r"|\b(?P<passive>(?:[A-Za-z-]+\s+){0,2}?(?:data|information|records|logs|backups|content|messages|recordings))"
    r"\s+(?:is|are|will\s+be|may\s+be)\s+(?:retained|kept|stored|deleted|erased|purged)\b",
    re.IGNORECASE,
)
_VAGUE_SUBJECTS = {"data", "information", "personal data", "personal information", "your data", "it"}


def _retention_periods(sentence: str, context: str) -> Iterator[str]:
    if not (_RETENTION_CONTEXT.search(sentence) or _RETENTION_CONTEXT.search(context)):
        return
    for match in _DURATION.finditer(sentence):
        number = parse_number(match["number"])
        if number is None:
            continue
        prefixes = {re.sub(r"\s+", " ", (match[name] or "").lower()) for name in ("prefix", "inner")}
        if any(re.fullmatch(_UP_TO, p) for p in prefixes if p):
            qualifier = "up to "
        elif any(re.fullmatch(_AT_LEAST, p) for p in prefixes if p):
            qualifier = "at least "
        elif "within" in prefixes:
            qualifier = "within "
        elif "after" in prefixes:
            qualifier = "after "
        else:
            qualifier = ""
        unit = match["unit"].lower() + ("" if number == 1 else "s")
        kind = f"{match['kind'].lower()} " if match["kind"] else ""
        yield f"{qualifier}{_format_number(number)} {kind}{unit}"
    for pattern, value in _QUALITATIVE_PATTERNS:
        if pattern.search(sentence):
            yield value


def retained_subject(sentence: str) -> str:
    """What a retention sentence says is kept ("account data", "server logs"), or "" when it is vague."""
    match = _RETAINED_SUBJECT.search(sentence)
    if not match:
        return ""
    subject = " ".join((match["subject"] or match["passive"] or "").lower().split())
    subject = re.sub(r"^(?:your|the|all|any|such|this|these|those|we|our)\s+", "", subject)
    return "" if subject in _VAGUE_SUBJECTS else subject


# --- third parties

# Processors, analytics, ad-tech, payment, cloud and support vendors a policy commonly names:
# "Canonical name|alias|alias". Matched case-sensitively on word boundaries.
_KNOWN_VENDORS = (
    # cloud, hosting, data platforms
    "Amazon Web Services|AWS|Amazon S3|Amazon CloudFront",
    "Google Cloud|Google Cloud Platform|GCP",
    "Microsoft Azure|Azure",
    "IBM Cloud",
    "Oracle Cloud",
    "DigitalOcean",
    "Heroku",
    "Cloudflare",
    "Akamai",
    "Fastly",
    "Vercel",
    "Netlify",
    "Linode",
    "OVHcloud|OVH",
    "Hetzner",
    "Rackspace",
    "Snowflake",
    "MongoDB",
    "Databricks",
    "Equinix",
    "SAP",
    # analytics, monitoring, experimentation
    "Google Analytics|GA4|Universal Analytics",
    "Google Tag Manager",
    "Adobe Analytics",
    "Mixpanel",
    "Amplitude",
    "Segment|Twilio Segment|Segment.io|Segment.com",
    "Heap",
    "Hotjar",
    "FullStory",
    "Crazy Egg",
    "Mouseflow",
    "Matomo",
    "Piwik PRO",
    "Kissmetrics",
    "Pendo",
    "Smartlook",
    "Contentsquare",
    "Quantum Metric",
    "Microsoft Clarity",
    "Chartbeat",
    "Comscore|comScore",
    "Nielsen",
    "Optimizely",
    "VWO",
    "LogRocket",
    "Sentry",
    "Datadog",
    "New Relic",
    "Bugsnag",
    "Rollbar",
    "Dynatrace",
    "LaunchDarkly",
    "PostHog",
    "Snowplow",
    "mParticle",
    "Tealium",
    "RudderStack",
    "Looker",
    "Tableau",
    # advertising and ad-tech
    "Google Ads|Google AdWords|AdWords",
    "Google AdSense|AdSense",
    "DoubleClick|Google Marketing Platform|Campaign Manager 360|Display & Video 360",
    "AdMob",
    "Meta Pixel|Facebook Pixel",
    "Meta|Meta Platforms|Facebook",
    "Instagram",
    "LinkedIn Insight Tag",
    "LinkedIn",
    "Twitter",
    "TikTok Pixel",
    "TikTok",
    "Pinterest",
    "Snapchat|Snap Inc",
    "Reddit",
    "Microsoft Advertising|Bing Ads",
    "Criteo",
    "The Trade Desk",
    "Xandr|AppNexus",
    "Taboola",
    "Outbrain",
    "AdRoll",
    "Quantcast",
    "Amazon Advertising",
    "Index Exchange",
    "PubMatic",
    "Magnite|Rubicon Project",
    "OpenX",
    "Sovrn",
    "LiveRamp",
    "Oracle Advertising|BlueKai",
    "Lotame",
    "AppsFlyer",
    "Adjust",
    "Branch|Branch Metrics",
    "Kochava",
    "Singular",
    "StackAdapt",
    "Integral Ad Science",
    "DoubleVerify",
    "MediaMath",
    # payments and fraud
    "Stripe",
    "PayPal",
    "Braintree",
    "Adyen",
    "Worldpay",
    "Checkout.com",
    "Klarna",
    "Afterpay",
    "Affirm",
    "Authorize.Net|Authorize.net",
    "Chargebee",
    "Recurly",
    "Paddle",
    "Zuora",
    "Plaid",
    "Apple Pay",
    "Google Pay",
    "Amazon Pay",
    "Shopify",
    "Mollie",
    "Razorpay",
    "GoCardless",
    "Sift",
    "Signifyd",
    "Riskified",
    "Forter",
    "Onfido",
    "Jumio",
    "Veriff",
    # CRM, marketing, messaging, support
    "Salesforce",
    "HubSpot",
    "Marketo",
    "Pardot",
    "Mailchimp|MailChimp",
    "SendGrid|Twilio SendGrid",
    "Mailgun",
    "Postmark",
    "Amazon SES",
    "Constant Contact",
    "Klaviyo",
    "Braze",
    "Iterable",
    "Customer.io",
    "Intercom",
    "Zendesk",
    "Freshdesk|Freshworks",
    "Help Scout",
    "Drift",
    "LiveChat",
    "Olark",
    "Gorgias",
    "Twilio",
    "Vonage",
    "MessageBird",
    "Pipedrive",
    "Zoho",
    "Gong",
    "Calendly",
    "Typeform",
    "SurveyMonkey",
    "Qualtrics",
    "Hootsuite",
    "Sprout Social",
    "ActiveCampaign",
    "Brevo|Sendinblue",
    "Airship",
    "OneSignal",
    "Algolia",
    "Clearbit",
    "ZoomInfo",
    "6sense",
    "Bombora",
    "Demandbase",
    "Acxiom",
    "Experian",
    "Equifax",
    "TransUnion",
    "Epsilon",
    # productivity, identity, consent, embeds
    "Google Workspace|G Suite",
    "Microsoft 365|Office 365",
    "Slack",
    "Zoom",
    "Dropbox",
    "Atlassian|Jira|Confluence",
    "Asana",
    "Airtable",
    "DocuSign",
    "GitHub",
    "GitLab",
    "Zapier",
    "Okta",
    "Auth0",
    "OneLogin",
    "reCAPTCHA|Google reCAPTCHA",
    "hCaptcha",
    "OneTrust",
    "Cookiebot|Usercentrics",
    "TrustArc",
    "Didomi",
    "Osano",
    "Google Maps",
    "Mapbox",
    "YouTube",
    "Vimeo",
    "Wistia",
    "Disqus",
    "Trustpilot",
    "OpenAI",
    "Anthropic",
    # the platforms themselves, when named as such ("we share data with Google")
    "Google|Google LLC",
    "Microsoft",
    "Amazon",
    "Apple",
    "Adobe",
    "Oracle",
)
# Vendor names that are also ordinary words: counted only when the sentence is about using or sharing with a
# service, and not as the sentence's first word ("Segment your audience", "Adjust your settings").
_AMBIGUOUS_VENDORS = {
    "Segment",
    "Heap",
    "Amplitude",
    "Adjust",
    "Branch",
    "Drift",
    "Affirm",
    "Meta",
    "Singular",
    "Iterable",
    "Sift",
    "Gong",
    "Paddle",
    "Looker",
    "Epsilon",
    "Snowflake",
    "Postmark",
    "Airship",
    "Zoom",
    "Slack",
    "Twitter",
    "Nielsen",
    "Google",
    "Microsoft",
    "Amazon",
    "Apple",
    "Adobe",
    "Oracle",
}
_ALIAS_TO_VENDOR = {alias: entry.split("|")[0] for entry in _KNOWN_VENDORS for alias in entry.split("|")}
# Aliases by their first word, longest first: a sentence's words are looked up in a dict instead of scanning
# it with one 250-way regex alternation.
_WORD_TOKEN = re.compile(r"(?<![\w.-])\w+(?:[.&-]\w+)*")
_ALIASES_BY_FIRST_WORD: dict[str, list[str]] = {}
for _alias in sorted(_ALIAS_TO_VENDOR, key=len, reverse=True):
    _ALIASES_BY_FIRST_WORD.setdefault(_alias.split()[0], []).append(_alias)


def _known_vendors(sentence: str) -> Iterator[tuple[str, int, int]]:
    """(alias, start, end) of every known vendor alias in `sentence`, matched case-sensitively on word bounds."""
    for word in _WORD_TOKEN.finditer(sentence):
        for alias in _ALIASES_BY_FIRST_WORD.get(word.group(), ()):
            end = word.start() + len(alias)
            if sentence.startswith(alias, word.start()) and not re.match(r"[\w-]", sentence[end : end + 1]):
                yield alias, word.start(), end
                break


_SHARING_CONTEXT = re.compile(
    r"\b(?:use[sd]?|using|utili[sz]e[sd]?|rel(?:y|ies) on|engage[sd]?|shar(?:e|es|ed|ing)|disclos\w+|provider"
    r"|processors?|partners?|vendors?|third[- ]part\w+|powered by|provided by|hosted|through|via|such as"
    r"|including|integrat\w+|transfer\w*|sen[dt]s?)\b",
    re.IGNORECASE,
)
_NAME = r"[A-Z][A-Za-z0-9]*(?:[.&'’-][A-Za-z0-9]+)*(?:\s+(?:[A-Z][A-Za-z0-9]*(?:[.&'’-][A-Za-z0-9]+)*)){0,3}"
_NAME_LIST = rf"(?P<names>{_NAME}(?:\s*,\s*{_NAME})*(?:\s*,?\s+(?:and|or|&)\s+{_NAME})?)"
# Phrases after which a policy names the services it uses or shares data with.
_NAMING_TRIGGER = (
    r"(?i:\b(?:we|our\s+(?:\w+\s+)?(?:site|website|app|services?|platform))\s+(?:also\s+)?"
    r"(?:use|uses|utili[sz]es?|rel(?:y|ies)\s+on|engages?|works?\s+with|partners?\s+with)"
    r"|\b(?:powered|provided|processed|hosted|operated)\s+(?:by|on|with)"
    r"|\b(?:share[sd]?|disclose[sd]?|transferred|sen[dt]|provided?)\s+(?:\S+\s+){0,5}?(?:with|to)"
    r"|\b(?:processors?|providers?|partners?|vendors?|services|tools|companies|third\s+parties)\s*,?\s*"
    r"(?:such\s+as|including|like|e\.g\.,?)"
    r")\s+"
)
_NAMED_IN_CONTEXT = re.compile(_NAMING_TRIGGER + _NAME_LIST)
_SUFFIX = r",?\s+(?:Inc|LLC|Ltd|GmbH|Corp|Corporation|Limited|S\.A|B\.V|AG|plc)\.?"  # "Acme, Inc."
# Another company that becomes responsible for the data: a (joint) controller, or a new parent company.
_NAMED_CONTROLLER = re.compile(
    rf"(?P<names>{_NAME}(?:\s*,?\s+(?:and|&)\s+{_NAME})?)(?:{_SUFFIX})?,?\s+(?:is|are|will\s+be|becomes?)\s+"
    r"(?:also\s+|now\s+|the\s+)*(?:an?\s+|the\s+)?(?:joint\s+|independent\s+|separate\s+|co-)?(?:data\s+)?"
    r"controllers?\b"
    rf"|\bpart\s+of\s+(?:the\s+)?(?P<group>{_NAME})(?:{_SUFFIX})?\s+(?:group|family)\b"
)
# Capitalised words a policy uses for its own terms, places and laws: never a third party's name.
_NOT_A_VENDOR = set(
    """
    A An The This That These Those Our Your Their Its We You Us They It Such Any All Some Other Each Certain
    Personal Information Data Service Services Site Sites Website Websites App Apps Application Applications
    Platform Platforms Product Products Company Companies Cookie Cookies User Users Customer Customers Account
    Accounts Content Privacy Policy Notice Terms Agreement Section Sections Affiliates Affiliate Partners
    Partner Providers Provider Processors Processor Subprocessors Vendors Vendor Third Party Parties Law
    Enforcement Authorities Government Court Controller Client Clients Members Member Visitors Visitor
    Subscriber Subscribers Payment Payments Analytics Advertising Marketing Support Software Tools Technologies
    Internet Web Email E-mail Mail SMS API APIs
    EU EEA UK US USA U.S. United States Kingdom Europe European Union Economic Area California Canada Switzerland
    GDPR CCPA CPRA COPPA HIPAA IP ID Standard Contractual Clauses Shield Framework Rules Binding Corporate
    Inc Inc. LLC Ltd Ltd. GmbH Corp Corp. Corporation Limited Group Holdings Schedule Annex Appendix Exhibit
    """.split()
)
_CORPORATE_SUFFIX = re.compile(rf"(?:{_SUFFIX})+$")


# Links to the vendor's own pages on social networks ("Follow us on Instagram"): no data goes to them.
_SOCIAL_LINK = re.compile(
    r"^\W*(?:(?:like|follow|visit|join|find|connect with|subscribe to|chat with|message) us|view|watch|share|tweet"
    r"|pin it)\b(?:\s+\w+){0,3}?\s+(?:on|at|via)\s+[A-Z]",
    re.IGNORECASE,
)


def _third_parties(sentence: str) -> Iterator[str]:
    if _SOCIAL_LINK.match(sentence) and len(sentence.split()) <= 8:
        return
    known_spans: list[tuple[int, int]] = []
    in_context = bool(_SHARING_CONTEXT.search(sentence))
    for alias, start, end in _known_vendors(sentence):
        if alias in _AMBIGUOUS_VENDORS and (not in_context or not sentence[:start].strip()):
            continue
        known_spans.append((start, end))
        yield _ALIAS_TO_VENDOR[alias]
    named = [(m.start("names"), m["names"]) for m in _NAMED_IN_CONTEXT.finditer(sentence)]
    for m in _NAMED_CONTROLLER.finditer(sentence):
        group = "names" if m["names"] else "group"
        named.append((m.start(group), m[group]))
    for start, names in named:
        for name_match in re.finditer(_NAME, names):
            span = (start + name_match.start(), start + name_match.end())
            if any(s < span[1] and span[0] < e for s, e in known_spans):
                continue  # a known vendor, already counted under its canonical name
            name = _vendor_name(name_match.group())
            if name:
                yield name


def _vendor_name(raw: str) -> str:
    """A captured capitalised phrase as a vendor name, or "" when it is one of the policy's own terms."""
    name = _CORPORATE_SUFFIX.sub("", raw.strip(" .,;:")).strip()
    name = re.sub(r"^(?:The|Our|Your|A|An)\s+", "", name)
    # a heading in capitals ("HOW WE USE YOUR INFORMATION") uses the same words as the text
    words = [word if word in _NOT_A_VENDOR or not word.isupper() else word.title() for word in name.split()]
    if not words or all(word.strip(".,'’") in _NOT_A_VENDOR for word in words):
        return ""
    if words[0] in _NOT_A_VENDOR:
        return ""
    if len(words) == 1 and sum(c.isupper() for c in name) >= len(name) - 1:
        return ""  # acronyms in policies are laws and terms (GDPR, PII), not vendors
    return name


# --- ages

_AGE_CONTEXT = re.compile(
    r"\b(?:age[sd]?|old|child|children|minors?|kids?|teen\w*|youth|parents?|guardians?|coppa|adults?)\b",
    re.IGNORECASE,
)
_AGE_NUMBER = rf"(?P<age>\d{{1,2}}|{_WORD_NUMBER})"
_AGE_PATTERNS = (
    re.compile(
        r"\b(?:under|below|younger\s+than|over|older\s+than|above|at\s+least|aged|age\s+of|ages\s+of"
        r"|minimum\s+age(?:\s+(?:of|is))?)\s+(?:the\s+age\s+of\s+)?"
        + _AGE_NUMBER
        + r"\b(?!\s*(?:%|percent|days?|weeks?|months?|hours?|minutes?|countries|states|languages))",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b" + _AGE_NUMBER + r"(?:\s*\(\s*\d{1,2}\s*\))?"
        r"(?:\s*\+|\s+or\s+(?:older|over|above|younger|under)|\s+and\s+(?:over|older|up)"
        r"|[\s-]+years?[\s-]+(?:of\s+age|old))",
        re.IGNORECASE,
    ),
    # "children under 13 (or 16 in the EEA)"
    re.compile(r"\(\s*or\s+" + _AGE_NUMBER + r"\s+(?:in|for)\b", re.IGNORECASE),
)
_AGE_WORDS = (
    (re.compile(r"\bage of (?:legal )?majority\b", re.IGNORECASE), "age of majority"),
    (re.compile(r"\bage of (?:digital )?consent\b", re.IGNORECASE), "age of digital consent"),
)
_MINORS = re.compile(r"\bminors?\b", re.IGNORECASE)


def _age_thresholds(sentence: str, context: str) -> Iterator[str]:
    if not (_AGE_CONTEXT.search(sentence) or _AGE_CONTEXT.search(context)):
        return
    found = False
    for pattern in _AGE_PATTERNS:
        for match in pattern.finditer(sentence):
            age = parse_number(match["age"])
            # Age limits in policies are between 8 and 25; other numbers here are counts or periods.
            if age is not None and 8 <= age <= 25:
                found = True
                yield _format_number(age)
    for pattern, value in _AGE_WORDS:
        if pattern.search(sentence):
            found = True
            yield value
    if not found and _MINORS.search(sentence):
        yield "minors"


# --- sale and cross-context sharing

NO_SALE = "no sale"
MAY_SELL = "may sell"
NO_AD_SHARING = "no sharing for cross-context advertising"
AD_SHARING = "shares for cross-context advertising"

_SELL = re.compile(r"\b(?:sell|sells|selling|sold|sale|rent|rents|renting|rented)\b", re.IGNORECASE)
# The noun counts only as a sale of data ("the sale of your personal information"), not "our annual sale".
_SALE_OF_DATA = re.compile(r"\s+of\s+(?:[\w-]+\s+){0,3}?(?:information|data)\b", re.IGNORECASE)
_SHARE = re.compile(r"\bshar(?:e|es|ed|ing)\b", re.IGNORECASE)
_CROSS_CONTEXT = re.compile(
    r"\bcross[- ]context\s+behaviou?ral\s+advertising\b|\btargeted\s+advertising\b", re.IGNORECASE
)
_NEGATION = re.compile(r"\b(?:not|never|no|neither|nor|without)\b|n[’']t\b", re.IGNORECASE)
_CONTRAST = re.compile(r"\b(?:but|however|although|though|except|unless|while|whereas)\b|[;:]", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:we|us|our|company)\b", re.IGNORECASE)
_PASSIVE = re.compile(r"\b(?:is|are|be|been|being|was|were)\s*$", re.IGNORECASE)
# "opt out of the sale", "Do Not Sell My Personal Information": a right or its link, not a statement.
_OPT_OUT_CONTEXT = re.compile(
    r"\bopt(?:[- ]?out)?\b|\bopting\b|\bright\b|\brequest\b|\bdirect us\b|\binstruct\b|\blink\b",
    re.IGNORECASE,
)
_DO_NOT_SELL_LINK = re.compile(r"\bdo\s+not\s+sell(?:\s+or\s+share)?\s+my\b", re.IGNORECASE)
_BUSINESS_TRANSFER = re.compile(r"\b(?:merger|acquisition|bankruptcy|reorgani[sz]ation|assets)\b", re.IGNORECASE)


def _sale_statements(sentence: str) -> Iterator[str]:
    mentions_ads = bool(_CROSS_CONTEXT.search(sentence))
    for match in _SELL.finditer(sentence):
        if _DO_NOT_SELL_LINK.search(sentence[max(0, match.start() - 7) : match.end() + 30]):
            continue
        if match.group().lower() == "sale" and (
            _BUSINESS_TRANSFER.search(sentence) or not _SALE_OF_DATA.match(sentence, match.end())
        ):
            continue  # "in a merger or sale of assets" is a business transfer, not a sale of data
        polarity = _polarity(sentence, match.start())
        if polarity == "negative":
            yield NO_SALE
        elif polarity == "positive":
            yield MAY_SELL
    if mentions_ads:
        for match in _SHARE.finditer(sentence):
            polarity = _polarity(sentence, match.start())
            if polarity:
                yield NO_AD_SHARING if polarity == "negative" else AD_SHARING


def _polarity(sentence: str, verb_start: int) -> str:
    """Whether the words before a verb deny it ("negative"), the company states it ("positive"), or neither."""
    before = sentence[:verb_start]
    contrasts = list(_CONTRAST.finditer(before))
    if contrasts:
        before = before[contrasts[-1].end() :]
    window = " ".join(before.split()[-6:])  # negation reaches a few words: "we do not and will not sell"
    if _OPT_OUT_CONTEXT.search(window):
        return ""
    if _NEGATION.search(window):
        return "negative"
    if (
        _FIRST_PERSON.search(window)
        or _PASSIVE.search(window)
        or re.search(r"\b(?:information|data)\s*$", window, re.IGNORECASE)
    ):
        return "positive"
    return ""


# --- rights

_RIGHTS_CONTEXT = re.compile(
    r"\bright(?:s)?\b|\byou (?:may|can|could|have|are entitled)\b|\bentitled\b|\b(?:to|may|can) request\b"
    r"|\bask us\b|\bif you (?:would like|wish|want) to\b",  # "If you would like to delete your data, write to ..."
    re.IGNORECASE,
)
_RIGHTS: tuple[tuple[str, str], ...] = (
    (
        "access",
        r"\bright(?:s)? (?:of|to) (?:request )?access|\baccess,|\baccess (?:to )?(?:(?:your|the|any|all|such|this|that"
        r"|of|our) )*(?:[\w-]+ ){0,2}?(?:personal|data|information|records|account|profile)\b"
        r"|\brequest (?:a copy|access|to access)|\bright to know|\bcopy of (?:your|the) (?:personal )?"
        r"(?:data|information)",
    ),
    ("rectification", r"\brectif\w*|\bcorrect(?:ion|ing|ed)?\b|\binaccura\w+"),
    ("deletion", r"\bdelet\w*|\berasure\b|\berase\b|\bto be forgotten\b"),
    (
        "portability",
        r"\bportab\w+|\bmachine[- ]readable\b|\bport (?:your|the|their|its|any) (?:\w+ )?(?:data|information)\b",
    ),
    ("objection", r"\bobject(?:ion)?\b(?! (?:code|storage))"),
    ("restriction", r"\brestrict(?:ion|ing)?\b"),
    (
        "withdraw consent",
        r"\b(?:withdraw|revoke)\w* (?:your |any |of )?consent|\bwithdrawal of (?:your )?consent",
    ),
    (
        "complaint to a supervisory authority",
        r"\b(?:lodge|file|make|submit) a complaint\b|\bsupervisory authorit\w+|\bdata protection authorit\w+",
    ),
    (
        "opt out of sale",
        r"\bopt(?:[- ]?out|ing out)? of (?:the )?(?:sale|selling)\b|\bdo not sell (?:or share )?my",
    ),
    ("non-discrimination", r"\bnon-?discriminat\w+|\bnot (?:be )?discriminat\w*|\bdiscriminat\w+ against you\b"),
    ("appeal", r"\bappeal\w*\b"),
)
_RIGHT_PATTERNS = [(name, re.compile(pattern, re.IGNORECASE)) for name, pattern in _RIGHTS]


def _rights(sentence: str, context: str) -> Iterator[str]:
    if not (_RIGHTS_CONTEXT.search(sentence) or _RIGHTS_CONTEXT.search(context)):
        return
    for name, pattern in _RIGHT_PATTERNS:
        if pattern.search(sentence):
            yield name


# --- transfer mechanisms

_TRANSFERS: tuple[tuple[str, str], ...] = (
    (
        "Standard Contractual Clauses",
        r"\bstandard (?:contractual|data protection) clauses\b|\bSCCs?\b|\bmodel clauses\b",
    ),
    (
        "adequacy decision",
        r"\badequacy (?:decisions?|determinations?|regulations?|findings?)\b|\b(?:deemed|found to be) adequate\b",
    ),
    ("Data Privacy Framework", r"\bdata privacy framework\b|\bDPF\b"),
    ("Privacy Shield", r"\bprivacy shield\b"),
    ("Binding Corporate Rules", r"\bbinding corporate rules\b|\bBCRs?\b"),
    (
        "UK International Data Transfer Agreement",
        r"\binternational data transfer (?:agreement|addendum)\b|\bIDTA\b",
    ),
)
# One pattern with a group per mechanism: one scan of the sentence instead of six.
_TRANSFER_PATTERN = re.compile(
    "|".join(f"(?P<m{k}>{pattern})" for k, (_, pattern) in enumerate(_TRANSFERS)), re.IGNORECASE
)
_NO_LONGER = re.compile(r"\b(?:no longer|not|never|instead of|replac\w+)\b[^.]{0,15}$", re.IGNORECASE)
_INVALIDATED = re.compile(r"^[^.]{0,40}\b(?:invalidated|no longer (?:valid|available|in effect))\b", re.IGNORECASE)


# A part of every mechanism's pattern: most sentences contain none, and substrings are found far faster than
# the pattern's alternatives, which took a third of fact extraction's time.
_TRANSFER_HINTS = ("claus", "scc", "adequa", "framework", "dpf", "shield", "binding", "bcr", "transfer a", "idta")


def _transfer_mechanisms(sentence: str) -> Iterator[str]:
    lowered = sentence.lower()
    if not any(hint in lowered for hint in _TRANSFER_HINTS):
        return
    found: set[str] = set()
    for match in _TRANSFER_PATTERN.finditer(sentence):
        name = _TRANSFERS[int((match.lastgroup or "m0")[1:])][0]
        # "we no longer rely on Privacy Shield", "Privacy Shield was invalidated": not a mechanism in use
        if name in found or _NO_LONGER.search(sentence[: match.start()]):
            continue
        if _INVALIDATED.search(sentence[match.end() :]):
            continue
        found.add(name)
        yield name


_EXTRACTORS: tuple[tuple[str, Callable[[str, str], Iterator[str]]], ...] = (
    (RETENTION, _retention_periods),
    (THIRD_PARTY, lambda sentence, _: _third_parties(sentence)),
    (AGE, _age_thresholds),
    (SALE, lambda sentence, _: _sale_statements(sentence)),
    (RIGHT, _rights),
    (TRANSFER, lambda sentence, _: _transfer_mechanisms(sentence)),
)


# ------------------------------------------------------------------------------------------ comparison


@dataclass(frozen=True)
class LocatedFact:
    """A fact with where it was found: the section, and the position of the text it came from."""

    fact: Fact
    section: str
    origin: int = 0


# Kinds compared as multisets (a value may be stated twice and change once) and whose removed and added values
# pair up as "old -> new"; the rest are compared as sets of names.
_NUMERIC_KINDS = (RETENTION, AGE)
# Kinds a policy states once for all its readers: a right granted, a transfer mechanism relied on, a sale
# statement made in one paragraph still holds when another paragraph that repeats it changes.
POLICY_WIDE_KINDS = (SALE, RIGHT, TRANSFER)


def compare_located(
    old: Iterable[LocatedFact],
    new: Iterable[LocatedFact],
    *,
    old_text: str | None = None,
    new_text: str | None = None,
    unchanged_facts: Callable[[], Collection[tuple[str, str]]] | None = None,
    vendor: str = "",
) -> list[tuple[Finding, int | None, int | None]]:
    """Findings for facts that differ, each with the origins of the old and new facts it came from.

    With the whole texts of both versions, a third party is new only if the old version never named it,
    and removed only if the new version no longer names it; the vendor itself is never a third party.
    `unchanged_facts` gives the (kind, value) pairs that the text both versions share states (asked only when
    needed): a right, transfer mechanism or sale statement it states is neither added nor removed.
    """
    own = vendor.casefold().strip()

    def other_party(x: LocatedFact) -> bool:
        name = x.fact.value.casefold()
        return not own or (name not in own and own not in name)

    old = [x for x in old if x.fact.kind != THIRD_PARTY or other_party(x)]
    new = [x for x in new if x.fact.kind != THIRD_PARTY or other_party(x)]
    old_by_kind: dict[str, list[LocatedFact]] = {}
    new_by_kind: dict[str, list[LocatedFact]] = {}
    for located in old:
        old_by_kind.setdefault(located.fact.kind, []).append(located)
    for located in new:
        new_by_kind.setdefault(located.fact.kind, []).append(located)
    results: list[tuple[Finding, int | None, int | None]] = []
    for kind in (RETENTION, THIRD_PARTY, AGE, SALE, RIGHT, TRANSFER):
        before, after = old_by_kind.get(kind, []), new_by_kind.get(kind, [])
        if kind in _NUMERIC_KINDS:
            removed, added = _multiset_difference(before, after)
        else:
            old_values = {x.fact.value for x in before}
            new_values = {x.fact.value for x in after}
            removed = _first_of_each(x for x in before if x.fact.value not in new_values)
            added = _first_of_each(x for x in after if x.fact.value not in old_values)
            if kind == THIRD_PARTY:
                removed = [x for x in removed if new_text is None or not _names(new_text, x.fact.value)]
                added = [x for x in added if old_text is None or not _names(old_text, x.fact.value)]
            elif kind in POLICY_WIDE_KINDS and (removed or added) and unchanged_facts is not None:
                stated = unchanged_facts()
                removed = [x for x in removed if (kind, x.fact.value) not in stated]
                added = [x for x in added if (kind, x.fact.value) not in stated]
        results.extend(_findings(kind, removed, added))
    return results


def _names(text: str, name: str) -> bool:
    """Whether `text` mentions `name` as a word (case kept: "Segment" the company, not "a segment")."""
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def _multiset_difference(
    before: list[LocatedFact], after: list[LocatedFact]
) -> tuple[list[LocatedFact], list[LocatedFact]]:
    """Facts left over after matching equal values, identical sentences first (so the survivors are the
    sentences that really changed)."""
    removed, added = list(before), list(after)
    for same_sentence in (True, False):
        for old in list(removed):
            for new in added:
                if old.fact.value == new.fact.value and (not same_sentence or old.fact.sentence == new.fact.sentence):
                    removed.remove(old)
                    added.remove(new)
                    break
    return removed, added


def _first_of_each(located: Iterable[LocatedFact]) -> list[LocatedFact]:
    seen: dict[str, LocatedFact] = {}
    for x in located:
        seen.setdefault(x.fact.value, x)
    return list(seen.values())


_SALE_WORDS = {
    NO_SALE: "we do not sell",
    MAY_SELL: "we may sell",
    NO_AD_SHARING: "we do not share for cross-context advertising",
    AD_SHARING: "we share for cross-context advertising",
}


def _findings(
    kind: str, removed: list[LocatedFact], added: list[LocatedFact]
) -> Iterator[tuple[Finding, int | None, int | None]]:
    category = FACT_CATEGORY[kind]

    def finding(
        summary: str, old: LocatedFact | None, new: LocatedFact | None
    ) -> tuple[Finding, int | None, int | None]:
        section = (new or old).section if (new or old) else ""
        before, after = excerpt_pair(old.fact.sentence if old else "", new.fact.sentence if new else "")
        return (
            Finding(
                category=category,
                severity=Severity.MATERIAL,
                summary=summary,
                before=before,
                after=after,
                section=section,
            ),
            old.origin if old else None,
            new.origin if new else None,
        )

    if kind in (RETENTION, AGE, TRANSFER):
        label = {RETENTION: "retention", AGE: "age threshold", TRANSFER: "transfers"}[kind]
        pairs, removed, added = _pair_up(kind, removed, added)
        for old, new in pairs:
            suffix = ""
            if kind == RETENTION:
                subject = retained_subject(new.fact.sentence) or retained_subject(old.fact.sentence)
                suffix = f" ({subject})" if subject else ""
            yield finding(f"{label}: {old.fact.value} -> {new.fact.value}{suffix}", old, new)
        noun = {RETENTION: "retention period", AGE: "age threshold", TRANSFER: "transfer mechanism"}[kind]
        for old in removed:
            yield finding(f"{noun} removed: {old.fact.value}", old, None)
        for new in added:
            yield finding(f"{noun} added: {new.fact.value}", None, new)
    elif kind == THIRD_PARTY:
        for old in removed:
            yield finding(f"third party removed: {old.fact.value}", old, None)
        for new in added:
            yield finding(f"new third party: {new.fact.value}", None, new)
    elif kind == SALE:
        for topic, values in (
            ("sale", (NO_SALE, MAY_SELL)),
            ("cross-context advertising", (NO_AD_SHARING, AD_SHARING)),
        ):
            gone = [x for x in removed if x.fact.value in values]
            came = [x for x in added if x.fact.value in values]
            if len(gone) == 1 and len(came) == 1:
                old, new = gone[0], came[0]
                words = f"'{_SALE_WORDS[old.fact.value]}' -> '{_SALE_WORDS[new.fact.value]}'"
                yield finding(f"{topic}: {words}", old, new)
                continue
            for old in gone:
                yield finding(f"{topic}: '{_SALE_WORDS[old.fact.value]}' statement removed", old, None)
            for new in came:
                yield finding(f"{topic}: '{_SALE_WORDS[new.fact.value]}' statement added", None, new)
    elif kind == RIGHT:
        for old in removed:
            yield finding(f"right removed: {old.fact.value}", old, None)
        for new in added:
            yield finding(f"right added: {new.fact.value}", None, new)


def _pair_up(
    kind: str, removed: list[LocatedFact], added: list[LocatedFact]
) -> tuple[list[tuple[LocatedFact, LocatedFact]], list[LocatedFact], list[LocatedFact]]:
    """Removed and added values that replace each other: same retained subject first (for retention), then
    in order of appearance."""
    removed, added = list(removed), list(added)
    pairs: list[tuple[LocatedFact, LocatedFact]] = []
    if kind == RETENTION:
        for old in list(removed):
            subject = retained_subject(old.fact.sentence)
            match = next((new for new in added if subject and retained_subject(new.fact.sentence) == subject), None)
            if match is not None:
                pairs.append((old, match))
                removed.remove(old)
                added.remove(match)
    while removed and added:
        pairs.append((removed.pop(0), added.pop(0)))
    return pairs, removed, added
