"""How much a Diff matters: cosmetic, minor or material, with the findings that say what changed and why."""

from __future__ import annotations

import collections
import dataclasses
import difflib
import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

from watcher.classify.facts import (
    POLICY_WIDE_KINDS,
    LocatedFact,
    compare_located,
    excerpt_pair,
    extract_facts,
    split_sentences,
)
from watcher.classify.model import THRESHOLD, load_model
from watcher.classify.taxonomy import DEFAULT_WATCHED, categorize_by_rules, categorize_other_language
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
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    # French, German, Spanish, Italian, Portuguese and Dutch
    r"|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
    r"|januar|februar|märz|juni|juli|august|oktober|dezember|enero|febrero|marzo|abril|mayo|junio|julio"
    r"|agosto|septiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre"
    r"|ottobre|dicembre|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|dezembro|januari|februari"
    r"|maart|mei|augustus)\.?"
)
# Dates, version stamps and "Last updated" labels: a policy's chrome, which changes with every edit.
_CHROME = re.compile(
    r"|".join(
        (
            rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b",
            rf"\b\d{{1,2}}(?:st|nd|rd|th|er|\.)?\s+(?:of\s+|de\s+)?{_MONTH},?\s+(?:de\s+)?\d{{4}}\b",
            rf"\b{_MONTH},?\s+\d{{4}}\b",
            r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b",
            r"\b(?:last\s+(?:updated|modified|revised|changed)|effective(?:\s+(?:date|as\s+of|from|on))?"
            r"|date\s+of\s+last\s+(?:revision|update)|(?:updated|revised)(?:\s+(?:on|as\s+of))?|version\s+date)"
            r"\s*:?(?:\s*\d{4}\b(?![-/.]\d))?",
            r"\b(?:dernière mise à jour|mis à jour le|zuletzt (?:aktualisiert|geändert)|stand:|última actualización"
            r"|ultimo aggiornamento|última atualização|laatst bijgewerkt)\s*:?",
            r"(?:©|\(c\)|\bcopyright)\s*(?:\d{4}\s*[-–]\s*)?\d{4}\b",
            r"\bversion\s+\d+(?:\.\d+)*\b|\bv\d+(?:\.\d+)+\b",
        )
    ),  # applied to lower-cased text: IGNORECASE would double the cost
)
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
# Cloudflare's e-mail obfuscation leaves "[email protected]" where an address was: still an address.
_HIDDEN_EMAIL = re.compile(r"\[email\s+protected\]", re.IGNORECASE)
# A bare domain with a path or a common top-level domain ("feedback-form.example.com/request"): a link.
_DOMAIN = re.compile(
    r"(?<![@\w.-])(?:[\w-]+\.)+(?:com|org|net|io|co|ai|app|gov|edu|eu|uk|de|fr|ie|info|biz|me|tv)\b(?:/\S*)?"
    r"|(?<![@\w.-])(?:[\w-]+\.)+[a-z]{2,}/\S*",
    re.IGNORECASE,
)
_SUBSTANCE_WORD = re.compile(rf"{_EMAIL}|[^\W_]+(?:['’-][^\W_]+)*|@")
# Between two words, the end of a sentence: the next word's capital says nothing.
_SENTENCE_END = re.compile(r"[.!?;\n]")
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
# Words that change what a sentence commits to: modal verbs, negations, quantifiers, conditions.
_MODAL_WORDS = frozenset(
    """
    not no nor never may might can cannot could will wont shall must should would only all none
    always without except unless until solely exclusively
    """.split()
)
# Words that state no practice by themselves: articles, pronouns, prepositions, conjunctions, auxiliaries and
# fillers. Modal verbs, negations and quantifiers ("may", "not", "only", "all") are not among them.
_FUNCTION_WORDS = _NEUTRAL_WORDS | frozenset(
    """
    this these those it its i me my he him his she her they them their theirs you your yours who whom whose
    what where when how there here of to in on at by for from as into onto upon about through via per and or
    but if so than then such is are was were be been being am has have had having do does did etc eg ie
    just further furthermore additionally moreover therefore thus herein thereof therein respectively
    collectively together
    """.split()
)


# The commonest words of English and of the other languages policies are most often written in: a paragraph
# with more of the second kind is a translation, which the English classifier and rules cannot read.
_LETTERS = re.compile(r"[^\W\d_]+")
_ENGLISH_WORDS = frozenset("the of and to you we your our with are that this for be by or not may from".split())
_OTHER_LANGUAGE_WORDS = frozenset(
    """
    de la el los las del y en un una para por con que se su sus es al lo como o usted nuestro nuestra nuestros
    este esta le les des et du une est pour dans sur pas nous vous votre vos notre nos avec ces cette sont par
    qui ou au aux leur leurs und der das den dem ein eine ist nicht mit für auf zu sind wir sie ihre ihr unsere
    werden kann durch oder von bei het een van voor niet op te zijn wij je ons onze ook kunnen worden wordt deze
    dit naar uit aan bij als dat hun da dos não em um uma ao il di che della delle dei gli sono nel och att som
    för inte med av är på ett og ikke af til er și sau pe cu în pentru nu din ale să az és hogy nem egy jest nie
    się że oraz lub są przez dla od jak który która które
    """.split()
)


# Jurisdictions (one word of each name): whose data a sentence is about, and where it goes. A name that is
# not one of them (a person, a product, a company already covered by the fact extractors) says no practice.
_PLACES = frozenset(
    """
    alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho illinois
    indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri
    montana nebraska nevada hampshire jersey mexico york carolina dakota ohio oklahoma oregon pennsylvania rhode
    tennessee texas utah vermont virginia washington wisconsin wyoming columbia puerto rico
    eu eea uk us usa european europe kingdom states america switzerland swiss canada canadian quebec brazil
    brazilian argentina chile colombia peru japan japanese china chinese korea india indian singapore
    australia australian zealand israel turkey russia africa nigeria kenya egypt uae arabia
    austria belgium bulgaria croatia cyprus czech denmark estonia finland france germany greece hungary ireland
    italy latvia lithuania luxembourg malta netherlands poland portugal romania slovakia slovenia spain sweden
    norway iceland liechtenstein
    """.split()
)


class _Word(NamedTuple):
    """A word as it is compared (lower case, no apostrophe or hyphen) and whether it is a name: capitalised
    where no sentence starts ("Prighter Group", "Timeline", "the UK")."""

    text: str
    name: bool


@functools.lru_cache(maxsize=2048)  # every hunk's texts are looked at several times
def _words(text: str) -> tuple[_Word, ...]:
    """The words of `text` without URLs, dates, list numbers, punctuation, spacing, contractions or a word
    typed twice."""
    text = _HIDDEN_EMAIL.sub(" @ ", _DOMAIN.sub(" ", _URL.sub(" ", _ENUMERATOR.sub("", text)))).replace("’", "'")
    lower = text.lower()
    if len(lower) == len(text):  # blank the dates and labels out of the text with its capitals
        for start, end in reversed([m.span() for m in _CHROME.finditer(lower)]):
            text = f"{text[:start]}{' ' * (end - start)}{text[end:]}"
    else:
        text = _CHROME.sub(" ", lower)
    tokens = [(m.group(), m.start(), m.end()) for m in _SUBSTANCE_WORD.finditer(text)]
    # In text written in capitals ("WE DO NOT SELL YOUR DATA") a capital marks no name.
    mixed = sum(token.isupper() and len(token) > 1 for token, _, _ in tokens) * 2 <= len(tokens)
    words: list[_Word] = []
    end = 0
    for token, start, next_end in tokens:
        # a capital after the end of a sentence, or at the start of the text or of a list item, marks no name
        gap = text[end:start]
        name = mixed and token[0].isupper() and end > 0 and len(gap) < 6 and not _SENTENCE_END.search(gap)
        end = next_end
        token = token.lower()
        for n, part in enumerate(_CONTRACTIONS[token].split() if token in _CONTRACTIONS else [token]):
            part = part.replace("'", "").replace("-", "")
            if not words or words[-1].text != part:  # "Other Other U.S. States"
                words.append(_Word(part, name and not n))
    return tuple(words)


@functools.lru_cache(maxsize=2048)
def substance(text: str) -> tuple[str, ...]:
    """The words of `text` that carry meaning: lower case, without URLs, dates, list numbers, punctuation,
    spacing, contractions or a word typed twice."""
    return tuple(word.text for word in _words(text))


def is_other_language(text: str) -> bool:
    """True when `text` is written in a language other than English (by its commonest words, or its script)."""
    words = _LETTERS.findall(text.lower())
    other = sum(w in _OTHER_LANGUAGE_WORDS or w[0] > "\u024f" for w in words)
    return other >= 2 and other > 2 * sum(w in _ENGLISH_WORDS for w in words)


def is_cosmetic(hunk: Hunk) -> bool:
    """True when the hunk only touches spacing, case, punctuation, quotes, dates, links, or fixes typos."""
    before, after = substance(hunk.before), substance(hunk.after)
    if "".join(before) == "".join(after):
        return True  # also catches "third-party" -> "third party", "e-mail" -> "email"
    if not before or not after:
        return False
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        old_words, new_words = before[i1:i2], after[j1:j2]
        if len(old_words) == len(new_words):
            typo = all(_is_typo(a, b) for a, b in zip(old_words, new_words, strict=True))
        else:
            # "Third Party Services" -> "Third-Party Service": a typo across words written apart or together
            typo = (
                bool(old_words and new_words)
                and not any(w in _MEANINGFUL_WORDS for w in old_words + new_words)
                and _is_typo("".join(old_words), "".join(new_words))
            )
        if not typo:
            return False
    return True


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
    return {word.text for word in _edited(hunk)}


def _edited(hunk: Hunk) -> tuple[_Word, ...]:
    """The words a hunk deletes or inserts: all of a block's words when it is added or removed."""
    deleted, inserted = _edits(hunk)
    return deleted + inserted


@functools.lru_cache(maxsize=256)  # asked by several rules about the same hunk
def _edits(hunk: Hunk) -> tuple[tuple[_Word, ...], tuple[_Word, ...]]:
    """The words a hunk deletes, and those it inserts."""
    before, after = _words(hunk.before), _words(hunk.after)
    if not before or not after:
        return before, after
    deleted: list[_Word] = []
    inserted: list[_Word] = []
    matcher = difflib.SequenceMatcher(None, [w.text for w in before], [w.text for w in after], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            deleted.extend(before[i1:i2])
            inserted.extend(after[j1:j2])
    return tuple(deleted), tuple(inserted)


def meaning_words(hunk: Hunk, vendor: str = "") -> frozenset[str]:
    """The words a hunk adds or removes that can state a practice: not function words, numbers, e-mail
    addresses, links, dates or the company's own name, and not names (of a person, a product, a street) unless
    the edit names a jurisdiction outside an address. A word changed only in its ending ("service" ->
    "services", "use" -> "used") counts for neither side."""
    own = {word.text for word in _words(vendor)}
    deleted, inserted = _edits(hunk)
    edited = deleted + inserted
    address = any(ch.isdigit() or ch == "@" for w in edited for ch in w.text)
    # "residents of Indiana, Kentucky and ..." widens a right; "London E1 6RS" moves an office
    keep_names = not address and any(w.name and w.text in _PLACES for w in edited)

    def meaningful(side: tuple[_Word, ...]) -> set[str]:
        return {
            w.text
            for w in side
            if (keep_names or not w.name)
            and w.text not in _FUNCTION_WORDS
            and w.text not in own
            and not any(ch.isdigit() or ch == "@" for ch in w.text)
        }

    removed, added = meaningful(deleted), meaningful(inserted)
    inflected = {w for a in removed - added for b in added - removed if _same_stem(a, b) for w in (a, b)}
    return frozenset((removed | added) - inflected)


def _same_stem(a: str, b: str) -> bool:
    """ "share" / "shared" / "sharing", "service" / "services": one word in two forms."""
    short, long = sorted((a, b), key=len)
    stem = short[:-1] if short.endswith("e") and len(short) > 3 else short
    return len(stem) >= 3 and long.startswith(stem) and len(long) - len(stem) <= 4


# ---------------------------------------------------------------------------------------- assessment

MIN_STATEMENT_WORDS = 4  # an added or removed block shorter than this is a label, a title or a menu entry
MOVED_PASSAGE_WORDS = 3  # a passage found elsewhere is moved text when it has at least this many words
# The classifier's probability at which a watched category it reads makes a change material (its categories
# are named from THRESHOLD). The highest that keeps every material change of the development set found by
# models trained without its services (training/evaluate_changes.py --held-out): 0.70 missed one.
MATERIAL_AT = 0.65
MAX_MOVE_HUNKS = 300  # more hunks than this are a rewrite, where moved sentences change nothing
LANGUAGE_SAMPLE_CHARS = 5_000  # enough of a policy to tell its language


@dataclass(frozen=True)
class _Judged:
    """A substantive hunk with its position in the diff, the sentences that changed, and its categories."""

    index: int
    hunk: Hunk
    changed_before: str
    changed_after: str
    categories: tuple[str, ...]
    severity: Severity
    translation: bool = False  # in another language than the policy: its facts are not read


def assess(diff: Diff, *, watched: frozenset[str] = DEFAULT_WATCHED, vendor: str = "") -> Assessment:
    """The severity, categories and findings of a diff; see DESIGN.md for the severity rules. `vendor` is
    the policy's own company, never reported as a third party."""
    if not diff.hunks:
        return Assessment(Severity.COSMETIC if diff.moved else Severity.NONE)
    befores = "".join("".join(substance(h.before)) for h in diff.hunks)
    afters = "".join("".join(substance(h.after)) for h in diff.hunks)
    if befores == afters:
        return Assessment(Severity.COSMETIC)  # the same words re-cut into other blocks: formatting
    substantive = [(i, hunk) for i, hunk in enumerate(diff.hunks) if not is_cosmetic(hunk)]
    if not substantive:
        return Assessment(Severity.COSMETIC)
    english = diff.old is not None and not is_other_language(_opening(diff.old))
    moved = _moved_text([hunk for _, hunk in substantive])
    judged = [_judge(i, hunk, watched, vendor, english, k in moved) for k, (i, hunk) in enumerate(substantive)]
    # A heading says what the text under it is about; it is material when that text changed materially.
    material_sections = {
        item.hunk.section for item in judged if item.severity is Severity.MATERIAL and not _is_heading(item.hunk)
    }
    judged = [
        dataclasses.replace(item, severity=Severity.MATERIAL)
        if _is_heading(item.hunk) and item.hunk.section in material_sections and set(item.categories) & watched
        else item
        for item in judged
    ]

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


def _judge(index: int, hunk: Hunk, watched: frozenset[str], vendor: str, english: bool, moved: bool) -> _Judged:
    """`english`: the policy is in English, so that a paragraph in another language is a translation."""
    changed_before, changed_after = _changed_sentences(hunk)
    # Categories come from what changed (not the unchanged rest of a long paragraph; not the words of its
    # links) and from the heading it sits under; a swapped e-mail address is a contact change wherever it is.
    changed_text = _URL.sub(" ", f"{changed_before}\n{changed_after}")
    if is_contact_swap(hunk):
        return _Judged(index, hunk, changed_before, changed_after, ("contact",), Severity.MINOR)
    foreign = is_other_language(hunk.section) or is_other_language(f"{hunk.section}\n{changed_text}")
    if foreign and english:
        # a translation added beside the policy: the English classifier, rules and fact extractors cannot read it
        return _Judged(index, hunk, changed_before, changed_after, (), Severity.MINOR, translation=True)
    label = hunk.kind is not HunkKind.CHANGED and len(_words(hunk.before or hunk.after)) < MIN_STATEMENT_WORDS
    if moved or label or not meaning_words(hunk, vendor):
        # Only names, numbers, addresses or links changed, text moved, or a label came or went: nothing that can
        # state a practice. The keyword rules name its categories, at a fraction of the classifier's cost.
        found = {*categorize_by_rules(changed_text), *categorize_by_rules(hunk.section)}
        categories = tuple(c for c in CATEGORIES if c in found)
        return _Judged(index, hunk, changed_before, changed_after, categories, Severity.MINOR)
    scores, said = _classify(changed_text)
    if "audiences" in said and not foreign and not _names_an_audience(f"{hunk.section}\n{changed_text}"):
        said.discard("audiences")  # a text addressed to a group or a region names it
    named = set(categorize_by_rules(hunk.section))
    if foreign:  # the classifier and the English rules cannot read it; the other languages' words can
        named |= set(categorize_other_language(f"{hunk.section}\n{changed_text}"))
    # The classifier files a practice stated only for one group under audiences alone, as OPP-115 does
    # (training/LABELLING.md); a reviewer also wants to know which practice it is, and the rules name it.
    # They come after the categories read and the heading's, which a finding's summary names first.
    practices = set(categorize_by_rules(changed_text)) - said - named if "audiences" in said else set()
    categories = tuple(c for c in CATEGORIES if c in said | named) + tuple(c for c in CATEGORIES if c in practices)
    # A heading is as material as the text under it: assess() decides. Otherwise a watched category must be named
    # by the heading or the words of another language, or read by the classifier with some confidence.
    sure = {c for c in said if scores[c] >= MATERIAL_AT}
    material = (
        not _is_heading(hunk)
        and bool((sure | named) & watched)
        and _may_state_practice(hunk, changed_text, watched, foreign)
    )
    if material and scores.get("contact", 0.0) >= max((scores.get(c, 0.0) for c in watched), default=1.0):
        # read as contact details at least as much as any watched practice: how to reach the vendor changed
        material = False
        categories = ("contact",)
    severity = Severity.MATERIAL if material else Severity.MINOR
    return _Judged(index, hunk, changed_before, changed_after, categories, severity)


def _classify(text: str) -> tuple[dict[str, float], set[str]]:
    """The segment classifier's probabilities for `text`, and the categories over their thresholds."""
    scores = load_model().probabilities(text)
    return scores, {c for c, p in scores.items() if p >= THRESHOLD}


def _phrase_categories(text: str) -> set[str]:
    """The categories the n-gram model reads in a few edited words. The encoder is not asked: it was fine-tuned on
    whole segments, and on bare phrases it found one more false alarm in the development set than the n-grams."""
    model = load_model()
    return {c for c, p in zip(model.categories, model.ngrams.probabilities([text])[0], strict=True) if p >= THRESHOLD}


def _names_an_audience(text: str) -> bool:
    """Whether `text` names a group of people or a region: children, an age, a jurisdiction or its law."""
    return "audiences" in categorize_by_rules(text) or any(w.name and w.text in _PLACES for w in _words(text))


def _may_state_practice(hunk: Hunk, changed_text: str, watched: frozenset[str], foreign: bool) -> bool:
    """Whether the words of a hunk can state a practice (the word lists and keyword rules read English only)."""
    if hunk.kind is HunkKind.CHANGED:
        # the changed words themselves must speak of a practice, not only the sentence around them
        return not is_rewording(hunk) and (foreign or _edit_speaks_of_practice(hunk, watched))
    # A label or a menu entry states nothing on its own. A banner or a survey that came with the page speaks of
    # no personal data and no practice, and sits under no heading of one.
    if len(_words(hunk.before or hunk.after)) < MIN_STATEMENT_WORDS:
        return False
    return foreign or _speaks_of_practice(f"{hunk.section}\n{changed_text}", watched)


# Words any statement about personal data uses, whatever the practice.
_DATA_WORDS = re.compile(
    r"\b(?:personal|your|user|customer)s?\W+(?:\w+\W+)?(?:data|information|details)\b|\bdata\b", re.I
)


def _speaks_of_practice(text: str, watched: frozenset[str]) -> bool:
    """Whether `text` uses the words of a practice: of personal data, or of a watched category's rules."""
    return bool(_DATA_WORDS.search(text)) or bool(set(categorize_by_rules(text)) & watched)


def _moved_text(hunks: list[Hunk]) -> set[int]:
    """The positions of hunks whose every deleted passage another hunk inserts and whose every inserted passage
    another hunk deletes: text moved between paragraphs (a sentence split off into its own item), not changed."""
    if len(hunks) > MAX_MOVE_HUNKS:
        return set()  # a rewrite: nothing to gain from looking for moves
    runs = [_edit_runs(hunk) for hunk in hunks]
    deleted_pool = "|".join(run for deleted, _ in runs for run in deleted)
    inserted_pool = "|".join(run for _, inserted in runs for run in inserted)
    # A passage of a word or two ("not") is found anywhere: only passages of a few words count as moved.
    return {
        k
        for k, (deleted, inserted) in enumerate(runs)
        if (deleted or inserted)
        and all(run.count(" ") > MOVED_PASSAGE_WORDS for run in deleted + inserted)
        and all(run in inserted_pool for run in deleted)
        and all(run in deleted_pool for run in inserted)
    }


def _edit_runs(hunk: Hunk) -> tuple[list[str], list[str]]:
    """The runs of words a hunk deletes and inserts (" w1 w2 "), without runs of function words only."""
    before, after = substance(hunk.before), substance(hunk.after)
    deleted: list[str] = []
    inserted: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag != "equal":
            for side, words in ((deleted, before[i1:i2]), (inserted, after[j1:j2])):
                if any(w not in _FUNCTION_WORDS for w in words):
                    side.append(f" {' '.join(words)} ")
    return deleted, inserted


def _edit_speaks_of_practice(hunk: Hunk, watched: frozenset[str]) -> bool:
    """Whether the words a changed block deletes or inserts are a practice's: a modal verb, a negation or a
    quantifier, a jurisdiction, personal data, the vocabulary of a watched category, or words the classifier
    reads as a watched practice on their own ("including your precise location", "to train our models")."""
    deleted, inserted = _edits(hunk)
    if any(w.name and w.text in _PLACES for w in deleted + inserted) or _modal_change(deleted, inserted):
        return True
    changed = (
        "\n".join(text for op, text in hunk.ops if op != 0)
        if hunk.ops
        else " ".join(w.text for w in deleted + inserted)
    )
    if _speaks_of_practice(changed, watched):
        return True
    # the classifier reads phrases, not single words: "can may" is no practice
    content = [w for w in deleted + inserted if w.text not in _FUNCTION_WORDS and w.text not in _MODAL_WORDS]
    return len(content) >= 2 and bool(_phrase_categories(changed) & watched)


# Modal verbs that say the same thing: "this can include" and "this may include" commit to the same.
_SAME_MODALITY = {"can": "may", "might": "may", "could": "may", "shall": "will"}


def _modal_change(deleted: tuple[_Word, ...], inserted: tuple[_Word, ...]) -> bool:
    """Whether an edit changes what a sentence commits to: a modal verb, a negation or a quantifier came or went
    (a mere "can" -> "may" does not)."""

    def modality(words: tuple[_Word, ...]) -> list[str]:
        return sorted(_SAME_MODALITY.get(w.text, w.text) for w in words if w.text in _MODAL_WORDS)

    return modality(deleted) != modality(inserted)


def _is_heading(hunk: Hunk) -> bool:
    """diff.py names a heading's own hunk after the heading itself."""
    return bool(hunk.section) and hunk.section in (hunk.before, hunk.after)


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
        if item.translation:
            continue
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
        unchanged_facts=functools.cache(lambda: _unchanged_facts(diff)),
        vendor=vendor,
    )


def _unchanged_facts(diff: Diff) -> frozenset[tuple[str, str]]:
    """The (kind, value) of every right, transfer mechanism and sale statement (the facts compare_located asks
    for) that the blocks no hunk touches state: text both versions share."""
    if diff.new is None:
        return frozenset()
    touched = collections.Counter(hunk.after for hunk in diff.hunks if hunk.after)
    facts = set()
    for block, section in zip(diff.new.blocks, diff.new.sections(), strict=True):
        if touched[block.text]:
            touched[block.text] -= 1
            continue
        facts.update((fact.kind, fact.value) for fact in extract_facts(block.text, section, POLICY_WIDE_KINDS))
    return frozenset(facts)


def _opening(policy: PolicyText) -> str:
    """The first LANGUAGE_SAMPLE_CHARS or so of a policy's text."""
    texts: list[str] = []
    size = 0
    for block in policy.blocks:
        if size >= LANGUAGE_SAMPLE_CHARS:
            break
        texts.append(block.text)
        size += len(block.text) + 1
    return "\n".join(texts)


def _full_text(policy: PolicyText | None) -> str | None:
    return "\n".join(block.text for block in policy.blocks) if policy is not None else None


def _generic_finding(item: _Judged, watched: frozenset[str]) -> Finding:
    """A finding for a substantive hunk without a fact: which category, where, and the changed text."""
    hunk = item.hunk
    # the heading's own category first: "sharing: paragraph changed in 'Who we share with'"
    heading = [c for c in categorize_by_rules(hunk.section) if c in item.categories and c in watched]
    category = next(
        (c for c in [*heading, *item.categories] if c in watched), item.categories[0] if item.categories else ""
    )
    is_heading = _is_heading(hunk)
    verb = {HunkKind.ADDED: "added", HunkKind.REMOVED: "removed", HunkKind.CHANGED: "changed"}[hunk.kind]
    if is_heading:
        quoted = f"'{hunk.before}' -> '{hunk.after}'" if hunk.kind is HunkKind.CHANGED else f"'{hunk.section}'"
        where = f"heading {verb}: {quoted}"
    else:
        place = {HunkKind.ADDED: "in", HunkKind.REMOVED: "from", HunkKind.CHANGED: "in"}[hunk.kind]
        where = f"paragraph {verb}" + (f" {place} '{hunk.section}'" if hunk.section else "")
    if is_rewording(hunk):
        where += " (wording only)"
    before, after = excerpt_pair(item.changed_before, item.changed_after)
    return Finding(
        category=category,
        severity=item.severity,
        summary=f"{category}: {where}" if category else where,
        before=before,
        after=after,
        section=hunk.section,
    )
