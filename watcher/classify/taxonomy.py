"""The taxonomy's categories for a piece of policy text: readable keyword rules, one list per category.

A first version: a trained segment classifier will replace the rules behind the same `categorize()`.
"""

from __future__ import annotations

import re

from watcher.classify.model import categorize as categorize_by_model
from watcher.models import CATEGORIES

# Changes in these categories alert at once by default; how a policy announces changes and how to reach the
# vendor matter less than what it does with data.
DEFAULT_WATCHED: frozenset[str] = frozenset(CATEGORIES) - {"policy_change", "contact"}

# Each category is a list of patterns (lower case, matched against lower-cased text); a text carries the
# category when any pattern matches. Patterns are phrases a policy uses when it talks about that practice, not
# single ambiguous words: "share" alone is sharing, but "cookies" alone is collection and only cookie
# *controls* are choices.
_RULES: dict[str, tuple[str, ...]] = {
    "collection": (
        r"\bcollect(?:s|ed|ing|ion)?\b",
        r"\b(?:we|you) (?:receive|obtain|gather|record|process)\b",
        r"\binformation (?:we|that we|you) (?:collect|receive|obtain|provide)\b",
        r"\bwe use (?:your|this|the|such|that|these) (?:personal )?(?:data|information)\b",
        r"\b(?:ip address(?:es)?|device (?:information|identifiers?|ids?)|browser type|geolocation)\b",
        r"\b(?:location|usage|log|contact|payment|billing|biometric|health) (?:data|information)\b",
        r"\blog files?\b",
        r"\bcookies?\b|\bweb beacons?\b|\btracking (?:technolog\w+|pixels?)\b|\bpixels? tags?\b",
        r"\bpurposes? (?:of|for) (?:the )?(?:processing|which)\b",
        r"\blegal bas(?:is|es)\b|\blegitimate interests?\b|\bperformance of (?:a|the|our) contract\b",
    ),
    "sharing": (
        r"\bshar(?:e|es|ed|ing)\b",
        r"\bdisclos(?:e|es|ed|ing|ure|ures)\b",
        r"\bthird[- ]part(?:y|ies)\b",
        r"\bservice providers?\b|\b(?:sub-?)?processors?\b|\bvendors?\b",
        r"\b(?:business|advertising|marketing) partners?\b|\baffiliates?\b|\badvertisers\b",
        r"\bsell(?:s|ing)?\b|\bsold\b|\bsale of\b",
        r"\blaw enforcement\b|\bsubpoenas?\b|\bcourt orders?\b|\blegal process\b",
        r"\bmergers?\b|\bacquisitions?\b|\bbusiness transfers?\b",
    ),
    "rights": (
        r"\byour (?:\w+ )?rights\b|\bdata subject\b",
        r"\bright (?:to|of) (?:request |obtain )?(?:access|know|correct|rectif|delet|erasure|be forgotten"
        r"|portab|data portab|object|restrict|withdraw|opt|lodge|complain|non-discriminat|appeal)",
        r"\brequest (?:access|a copy|deletion|correction|erasure)\b",
        r"\b(?:access|correct|update|rectify|delete|erase) (?:or \w+ )?(?:to )?(?:your|the|any) (?:personal )?"
        r"(?:data|information)\b",
        r"\brectif\w+\b|\berasure\b|\bportab\w+\b|\brestrict(?:ion of)? (?:the )?processing\b",
        r"\blodge a complaint\b|\bsupervisory authorit\w+\b|\bdata protection authorit\w+\b",
        r"\b(?:access|deletion|correction|privacy) requests?\b|\bverify your (?:identity|request)\b",
        r"\bauthori[sz]ed agents?\b|\bnon-?discriminat\w+\b",
    ),
    "choices": (
        r"\bopt(?:[- ]?(?:out|in))\b|\bopting (?:out|in)\b|\bunsubscrib\w*\b",
        r"\bconsent\b",
        r"\bdo[- ]not[- ]track\b|\bglobal privacy control\b|\bgpc\b",
        r"\bcookie (?:settings|preferences|banner|consent|controls?|choices)\b",
        r"\b(?:disable|block|reject|refuse|manage|delete|decline|turn off) (?:all |some |the )?cookies\b",
        r"\bbrowser(?:'s)? settings\b|\byour choices\b|\bprivacy settings\b|\b(?:ad|account) settings\b",
        r"\byou (?:can|may) (?:choose|decline|elect|control|change)\b",
        r"\binterest-based advertising\b|\bnetwork advertising initiative\b|\bdigital advertising alliance\b",
        r"\baboutads\b|\byouronlinechoices\b",
    ),
    "retention": (
        r"\bretain(?:s|ed|ing)?\b|\bretention\b",
        r"\b(?:keep|kept|store|stored|hold|held) (?:your |the |personal |this |such |it |them |data |"
        r"information )?(?:\w+ )?(?:for|until|as long as)\b",
        r"\b(?:as|so) long as (?:is |it is |we |reasonably )?(?:necessary|needed|required)\b",
        r"\bno longer (?:than|necessary|needed|required)\b",
        r"\bdelet(?:e|ed) (?:\w+ )?(?:after|within|once|when)\b",
        r"\banonymi[sz](?:e|ed|ation)\b|\bde-?identif\w+\b|\bpurg(?:e|ed)\b|\bdestroy(?:ed)?\b",
    ),
    "security": (
        r"\bsecur(?:e|ed|ity)\b|\bsafeguards?\b|\bencrypt\w*\b|\bssl\b|\btls\b|\bfirewalls?\b",
        r"\baccess controls?\b|\bunauthori[sz]ed (?:access|disclosure|use)\b|\bbreach(?:es)?\b",
        r"\b(?:technical|organi[sz]ational|administrative|physical)(?: and \w+)? (?:measures|safeguards)\b",
        r"\bpenetration test\w*\b|\biso(?:/iec)? ?27001\b|\bsoc ?2\b|\bpasswords?\b",
    ),
    "audiences": (
        r"\bchild(?:ren|ren's|'s)?\b|\bminors?\b|\bkids?\b|\bteen(?:s|agers?)?\b|\bcoppa\b",
        r"\bunder (?:the age of )?\d{1,2}\b|\byears of age\b|\byears old\b|\bparents?\b|\bguardians?\b",
        r"\bcalifornia\b|\bccpa\b|\bcpra\b|\bshine the light\b|\bnevada\b|\bvirginia\b|\bcolorado\b",
        r"\bconnecticut\b|\butah\b|\btexas\b|\bresidents? of\b",
        r"\beuropean (?:economic area|union)\b|\beea\b|\beu\b|\buk\b|\bunited kingdom\b|\bswitzerland\b",
        r"\bgdpr\b|\bbrazil\w*\b|\blgpd\b|\bcanad\w+\b|\bpipeda\b|\baustralia\w*\b|\bjapan\w*\b",
    ),
    "transfers": (
        r"\b(?:international|cross-border|overseas) (?:data )?transfers?\b",
        r"\btransfer(?:s|red|ring)? (?:\w+ ){0,3}?(?:to|outside|across|from) (?:the )?(?:united states|u\.?s\.?"
        r"|other countries|third countries|countries|jurisdictions|outside|eea|european)\b",
        r"\bstandard contractual clauses\b|\badequacy decisions?\b|\bprivacy shield\b",
        r"\bdata privacy framework\b|\bbinding corporate rules\b",
        r"\boutside (?:of )?(?:the )?(?:eea|european economic area|eu|uk|united kingdom|your country)\b",
        r"\bcountries (?:other than|outside)\b",
    ),
    "policy_change": (
        r"\b(?:changes?|updates?|modifications?|amendments?|revisions?) (?:to|of) (?:this|our|the) "
        r"(?:privacy )?(?:policy|notice|statement)\b",
        r"\b(?:update|change|modify|amend|revise)s? (?:this|our|the) (?:privacy )?(?:policy|notice|statement)",
        r"\blast (?:updated|modified|revised)\b|\beffective date\b|\bmaterial changes?\b",
        r"\b(?:notify|inform) you (?:of|about) (?:any )?(?:material )?changes\b",
    ),
    "contact": (
        r"\bcontact us\b|\b(?:e-?mail|write to|reach|call) us\b|\bmailing address\b",
        r"\bdata protection officer\b|\bdpo\b|\bprivacy officer\b|\bdata controller\b|\bcontroller\b",
        r"\bquestions (?:or \w+ )?(?:about|regarding|concerning)\b",
        r"[\w.+-]+@[\w-]+\.[\w.-]+",
        r"\b(?:phone|telephone|tel)(?: us)?(?: at|:)|\bregistered (?:office|address)\b",
        r"\brepresentative in the (?:eu|uk|european union|united kingdom)\b",
    ),
}

_COMPILED: dict[str, re.Pattern[str]] = {
    # matched against lower-cased text: IGNORECASE would double the cost
    category: re.compile("|".join(f"(?:{pattern})" for pattern in patterns))
    for category, patterns in _RULES.items()
}
assert set(_COMPILED) == set(CATEGORIES), "every category needs rules"


def categorize(text: str) -> tuple[str, ...]:
    """The categories `text` talks about, in taxonomy order; empty means "other". The trained segment
    classifier (model.py) decides; see training/ for its data and measured accuracy."""
    return categorize_by_model(text)


def categorize_by_rules(text: str) -> tuple[str, ...]:
    """The keyword rules: kept for short texts such as section headings, where they are more reliable."""
    text = text.lower()
    return tuple(category for category in CATEGORIES if _COMPILED[category].search(text))
