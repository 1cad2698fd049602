"""How much a Diff matters: cosmetic, minor or material, with the findings that say what changed and why."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from dataclasses import dataclass

from watcher.classify.facts import LocatedFact, compare_located, excerpt, extract_facts, split_sentences
from watcher.classify.taxonomy import DEFAULT_WATCHED, categorize
from watcher.models import CATEGORIES, Assessment, Diff, Finding, Hunk, HunkKind, PolicyText, Severity

# --------------------------------------------------------------------------------- cosmetic changes

# Links: absolute URLs, and the targets of Markdown links ("[text](#anchor)") when Markdown comes through.
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+|\]\([^)\s]*\)", re.IGNORECASE)
# A list or section number opening a block ("7.", "4.2", "(c)"): renumbering is formatting.
_ENUMERATOR = re.compile(r"^\s*(?:\(?(?:\d{1,2}(?:\.\d{1,2})*|[a-z]|[ivx]{1,4})[.)]|\d{1,2}(?:\.\d{1,2})+)\s+", re.I)
_CONTRACTIONS = {
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "won't": "will not",
    "can't": "cannot",
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "weren't": "were not",
    "haven't": "have not",
    "hasn't": "has not",
    "shouldn't": "should not",
    "wouldn't": "would not",
    "couldn't": "could not",
    "we're": "we are",
    "you're": "you are",
    "they're": "they are",
    "it's": "it is",
    "that's": "that is",
    "we'll": "we will",
    "you'll": "you will",
    "we've": "we have",
    "you've": "you have",
    "we'd": "we would",
}
_CONTRACTION = re.compile(r"\b(?:" + "|".join(re.escape(c) for c in _CONTRACTIONS) + r")\b")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# Dates, version stamps and "Last updated" labels: a policy's chrome, which changes with every edit.
_CHROME = re.compile(
    r"|".join(
        (
            rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b",
            rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}\b",
            rf"\b{_MONTH},?\s+\d{{4}}\b",
            r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b",
            r"\b(?:last\s+(?:updated|modified|revised|changed)|effective(?:\s+(?:date|as\s+of|from|on))?"
            r"|date\s+of\s+last\s+(?:revision|update)|(?:updated|revised)(?:\s+(?:on|as\s+of))?|version\s+date)"
            r"\s*:?(?:\s*\d{4}\b(?![-/.]\d))?",
            r"(?:©|\(c\)|\bcopyright)\s*(?:\d{4}\s*[-–]\s*)?\d{4}\b",
            r"\bversion\s+\d+(?:\.\d+)*\b|\bv\d+(?:\.\d+)+\b",
        )
    ),  # applied to lower-cased text: IGNORECASE would double the cost
)
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_SUBSTANCE_WORD = re.compile(rf"{_EMAIL}|[^\W_]+(?:['’-][^\W_]+)*")
# A one- or two-letter edit to one of these words changes what the sentence says ("not" -> "now",
# "opt-in" -> "opt-out", "may" -> "way"): never a typo.
_MEANINGFUL_WORDS = frozenset(
    """
    not no nor never now may can cannot will wont shall must might would could should do dont does doesnt did
    didnt sell sold sale share shared rent opt in out on off all any only with without and or we you us our
    your their them they more less before after within under over above below least most longer shorter
    minor minors adult adults child children is isnt are arent has have hasnt
    """.split()
)
# Words whose insertion or removal does not change what a sentence says: articles, fillers, and the
# company's ways of naming itself ("we" -> "the Company").
_NEUTRAL_WORDS = frozenset("a an the that which please also hereby we us our ours company companys".split())


@functools.lru_cache(maxsize=1024)  # every hunk's texts are looked at several times
def substance(text: str) -> tuple[str, ...]:
    """The words of `text` that carry meaning: lower case, without URLs, dates, list numbers, punctuation,
    spacing, contractions or a word typed twice."""
    text = _URL.sub(" ", _ENUMERATOR.sub("", text)).lower().replace("’", "'")
    text = _CONTRACTION.sub(lambda m: _CONTRACTIONS[m.group()], _CHROME.sub(" ", text))
    words: list[str] = []
    for word in _SUBSTANCE_WORD.findall(text):
        word = word.replace("'", "").replace("-", "")
        if not words or words[-1] != word:  # "Other Other U.S. States"
            words.append(word)
    return tuple(words)


def is_cosmetic(hunk: Hunk) -> bool:
    """True when the hunk only touches spacing, case, punctuation, quotes, dates, links, or fixes typos."""
    before, after = substance(hunk.before), substance(hunk.after)
    if "".join(before) == "".join(after):
        return True  # also catches "third-party" -> "third party", "e-mail" -> "email"
    if len(before) != len(after):
        return False
    return all(a == b or _is_typo(a, b) for a, b in zip(before, after, strict=True))


def _is_typo(a: str, b: str) -> bool:
    if a in _MEANINGFUL_WORDS or b in _MEANINGFUL_WORDS:
        return False
    if any(ch.isdigit() or ch == "@" for ch in a + b):
        return False  # a changed number or address is never a typo: "30 days" -> "60 days"
    distance = _edit_distance(a, b)
    return distance <= 2 and 3 * distance <= max(len(a), len(b))


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def is_rewording(hunk: Hunk) -> bool:
    """True when a changed block only adds or drops neutral words ("we" -> "the Company", "the", "please")."""
    if hunk.kind is not HunkKind.CHANGED:
        return False
    touched = _touched_words(hunk)
    # "we collect" -> "the Company collects": the verb's agreement follows the subject
    touched = {w for w in touched if f"{w}s" not in touched and not (w.endswith("s") and w[:-1] in touched)}
    return bool(touched) and touched <= _NEUTRAL_WORDS


def is_contact_swap(hunk: Hunk) -> bool:
    """True when a changed block only swaps e-mail addresses: a contact change, whatever the sentence is about."""
    touched = _touched_words(hunk) if hunk.kind is HunkKind.CHANGED else set()
    return bool(touched) and all("@" in word for word in touched)


def _touched_words(hunk: Hunk) -> set[str]:
    """The substance words a changed block deletes or inserts."""
    before, after = substance(hunk.before), substance(hunk.after)
    touched: set[str] = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag != "equal":
            touched.update(before[i1:i2], after[j1:j2])
    return touched


# ---------------------------------------------------------------------------------------- assessment


@dataclass(frozen=True)
class _Judged:
    """A substantive hunk with its position in the diff, the sentences that changed, and its categories."""

    index: int
    hunk: Hunk
    changed_before: str
    changed_after: str
    categories: tuple[str, ...]
    severity: Severity


def assess(diff: Diff, *, watched: frozenset[str] = DEFAULT_WATCHED, vendor: str = "") -> Assessment:
    """The severity, categories and findings of a diff; see DESIGN.md for the severity rules. `vendor` is
    the policy's own company, never reported as a third party."""
    if not diff.hunks:
        return Assessment(Severity.COSMETIC if diff.moved else Severity.NONE)
    befores = "".join("".join(substance(h.before)) for h in diff.hunks)
    afters = "".join("".join(substance(h.after)) for h in diff.hunks)
    if befores == afters:
        return Assessment(Severity.COSMETIC)  # the same words re-cut into other blocks: formatting
    judged = [_judge(index, hunk, watched) for index, hunk in enumerate(diff.hunks) if not is_cosmetic(hunk)]
    if not judged:
        return Assessment(Severity.COSMETIC)

    findings: list[tuple[int, Finding]] = []
    explained: dict[int, Severity] = {}  # hunk index -> the highest severity its fact findings carry
    for finding, old_origin, new_origin in _fact_changes(judged, diff, vendor):
        severity = Severity.MATERIAL if finding.category in watched else Severity.MINOR
        origins = [o for o in (old_origin, new_origin) if o is not None]
        findings.append((min(origins), dataclasses.replace(finding, severity=severity)))
        for origin in origins:
            explained[origin] = max(explained.get(origin, Severity.NONE), severity)
    for item in judged:
        # A hunk whose facts do not account for its severity also says, in general terms, what changed.
        if explained.get(item.index, Severity.NONE) < item.severity:
            findings.append((item.index, _generic_finding(item, watched)))

    unique: dict[tuple[str, str, str, str], Finding] = {}
    for _, finding in sorted(findings, key=lambda entry: (-entry[1].severity, entry[0])):
        unique.setdefault((finding.category, finding.summary, finding.before, finding.after), finding)
    categories = {c for item in judged for c in item.categories} | {f.category for f in unique.values()}
    severity = max([item.severity for item in judged] + [f.severity for f in unique.values()])
    return Assessment(
        severity=severity,
        categories=tuple(sorted(categories - {""})),
        findings=tuple(unique.values()),
    )


def _judge(index: int, hunk: Hunk, watched: frozenset[str]) -> _Judged:
    changed_before, changed_after = _changed_sentences(hunk)
    # Categories come from what changed (not the unchanged rest of a long paragraph; not the words of its
    # links) and from the heading it sits under; a swapped e-mail address is a contact change wherever it is.
    changed_text = _URL.sub(" ", f"{changed_before}\n{changed_after}")
    found = {"contact"} if is_contact_swap(hunk) else {*categorize(changed_text), *categorize(hunk.section)}
    categories = tuple(c for c in CATEGORIES if c in found)
    material = bool(found & watched) and not is_rewording(hunk)
    severity = Severity.MATERIAL if material else Severity.MINOR
    return _Judged(index, hunk, changed_before, changed_after, categories, severity)


def _changed_sentences(hunk: Hunk) -> tuple[str, str]:
    """The sentences of a hunk's before and after that the other side does not have (all of them when the
    change is inside sentences that were only re-cut)."""
    before, after = split_sentences(hunk.before), split_sentences(hunk.after)
    kept_before, kept_after = set(before), set(after)
    changed_before = " ".join(s for s in before if s not in kept_after)
    changed_after = " ".join(s for s in after if s not in kept_before)
    if not changed_before and not changed_after:
        return hunk.before, hunk.after
    return changed_before, changed_after


def _fact_changes(judged: list[_Judged], diff: Diff, vendor: str) -> list[tuple[Finding, int | None, int | None]]:
    """Fact findings over the whole diff, so a name that moved from one paragraph to another is no news."""
    old: list[LocatedFact] = []
    new: list[LocatedFact] = []
    for item in judged:
        old.extend(
            LocatedFact(f, item.hunk.section, item.index) for f in extract_facts(item.hunk.before, item.hunk.section)
        )
        new.extend(
            LocatedFact(f, item.hunk.section, item.index) for f in extract_facts(item.hunk.after, item.hunk.section)
        )
    return compare_located(
        old,
        new,
        old_text=_full_text(diff.old),
        new_text=_full_text(diff.new),
        vendor=vendor,
    )


def _full_text(policy: PolicyText | None) -> str | None:
    return "\n".join(block.text for block in policy.blocks) if policy is not None else None


def _generic_finding(item: _Judged, watched: frozenset[str]) -> Finding:
    """A finding for a substantive hunk without a fact: which category, where, and the changed text."""
    hunk = item.hunk
    category = next((c for c in item.categories if c in watched), item.categories[0] if item.categories else "")
    # diff.py names a heading's own hunk after the heading itself
    is_heading = bool(hunk.section) and hunk.section in (hunk.before, hunk.after)
    verb = {HunkKind.ADDED: "added", HunkKind.REMOVED: "removed", HunkKind.CHANGED: "changed"}[hunk.kind]
    if is_heading:
        quoted = f"'{hunk.before}' -> '{hunk.after}'" if hunk.kind is HunkKind.CHANGED else f"'{hunk.section}'"
        where = f"heading {verb}: {quoted}"
    else:
        place = {HunkKind.ADDED: "in", HunkKind.REMOVED: "from", HunkKind.CHANGED: "in"}[hunk.kind]
        where = f"paragraph {verb}" + (f" {place} '{hunk.section}'" if hunk.section else "")
    if is_rewording(hunk):
        where += " (wording only)"
    return Finding(
        category=category,
        severity=item.severity,
        summary=f"{category}: {where}" if category else where,
        before=excerpt(item.changed_before),
        after=excerpt(item.changed_after),
        section=hunk.section,
    )
