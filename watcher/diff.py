"""Compare two versions of a policy: align blocks (so moved paragraphs are not news), then diff changed
blocks word by word."""

from __future__ import annotations

import bisect
import itertools
import re
from collections import defaultdict, deque
from collections.abc import Sequence

from diff_match_patch import diff_match_patch

from watcher.models import Block, Diff, Hunk, HunkKind, PolicyText

# Two unmatched blocks in the same gap are the same block edited when their word sets overlap this much
# (Dice coefficient). Blocks under the same heading need less evidence; blocks that also moved need more,
# because their position says nothing.
PAIR_THRESHOLD = 0.5
SAME_SECTION_THRESHOLD = 0.35
MOVED_PAIR_THRESHOLD = 0.7
# One word decides the word score of a heading or a "Last updated" line: compare short blocks by character
# pairs too.
SHORT_BLOCK_WORDS = 8
# Bounds on pairing work, so that a complete rewrite stays fast: the DP inside a gap is banded and the search
# for moved-and-edited blocks is skipped when too many blocks are left over.
BAND = 40
MAX_MOVED_CANDIDATES = 40_000

_WORD = re.compile(r"\w+")
# Words and single punctuation marks, each with the whitespace before it (half as many units to diff as
# separate spaces would make), and trailing whitespace: together they reproduce the text exactly.
_TOKEN = re.compile(r"\s*(?:\w+(?:['’]\w+)*|[^\w\s])|\s+")
# Sentences with their trailing spaces: together they reproduce the text exactly.
_SENTENCE = re.compile(r"[^.!?;]*(?:[.!?;]+|$)\s*")
# Blocks longer than this (before + after) are diffed sentence by sentence first.
LONG_BLOCK_CHARS = 4000
# A backstop: past this many seconds diff-match-patch settles for a coarser (still correct) diff.
DIFF_TIMEOUT = 0.1


def diff_policies(old: PolicyText, new: PolicyText) -> Diff:
    """The hunks that turn `old` into `new`, in the new version's order, and how many blocks only moved."""
    old_side, new_side = _Side(old), _Side(new)
    exact = _exact_matches(old.blocks, new.blocks)
    anchors = _longest_increasing(exact)
    moved = len(exact) - len(anchors)
    matched_old = {i for i, _ in exact}
    matched_new = {j for _, j in exact}

    pairs: list[tuple[int, int]] = []
    for (i0, j0), (i1, j1) in zip([(-1, -1), *anchors], [*anchors, (len(old.blocks), len(new.blocks))], strict=True):
        gap_old = [i for i in range(i0 + 1, i1) if i not in matched_old]
        gap_new = [j for j in range(j0 + 1, j1) if j not in matched_new]
        pairs.extend(_pair_in_order(gap_old, gap_new, old_side, new_side))

    paired_old = matched_old | {i for i, _ in pairs}
    paired_new = matched_new | {j for _, j in pairs}
    leftover_old = [i for i in range(len(old.blocks)) if i not in paired_old]
    leftover_new = [j for j in range(len(new.blocks)) if j not in paired_new]
    pairs.extend(_pair_moved_edits(leftover_old, leftover_new, old_side, new_side))

    return Diff(hunks=_hunks(old_side, new_side, exact, pairs), moved=moved, old=old, new=new)


def word_ops(before: str, after: str) -> tuple[tuple[int, str], ...]:
    """Word-level diff-match-patch operations (-1 deleted, 0 equal, 1 inserted) turning `before` into `after`."""
    if len(before) + len(after) <= LONG_BLOCK_CHARS:
        return tuple(_merge(_unit_diff(_TOKEN.findall(before), _TOKEN.findall(after))))
    # Long blocks: diff sentences first, then words inside each replaced run of sentences (dmp's line mode,
    # one level up), so that a 5,000-word block with scattered edits stays fast.
    ops: list[tuple[int, str]] = []
    deleted: list[str] = []
    inserted: list[str] = []
    for op, text in [*_unit_diff(_sentences(before), _sentences(after)), (0, "")]:
        if op == -1:
            deleted.append(text)
        elif op == 1:
            inserted.append(text)
        else:
            if deleted and inserted:
                ops.extend(_unit_diff(_TOKEN.findall("".join(deleted)), _TOKEN.findall("".join(inserted))))
            else:
                ops.extend([(-1, "".join(deleted))] * bool(deleted) + [(1, "".join(inserted))] * bool(inserted))
            deleted, inserted = [], []
            ops.append((0, text))
    return tuple(_merge(ops))


def _unit_diff(units_a: list[str], units_b: list[str]) -> list[tuple[int, str]]:
    """diff-match-patch over sequences of units (words or sentences), each unit encoded as one character: the
    linesToChars trick, so that the diff (and cleanupSemantic) never cuts a unit in pieces."""
    vocabulary: dict[str, str] = {}
    units: list[str] = []

    def encode(sequence: list[str]) -> str:
        chars = []
        for unit in sequence:
            char = vocabulary.get(unit)
            if char is None:
                char = vocabulary[unit] = _unit_char(len(units))
                units.append(unit)
            chars.append(char)
        return "".join(chars)

    dmp = diff_match_patch()
    dmp.Diff_Timeout = DIFF_TIMEOUT
    diffs = dmp.diff_main(encode(units_a), encode(units_b), False)
    dmp.diff_cleanupSemantic(diffs)
    return [(op, "".join(units[_unit_index(c)] for c in chars)) for op, chars in diffs]


def _sentences(text: str) -> list[str]:
    return [sentence for sentence in _SENTENCE.findall(text) if sentence]


def _merge(ops: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Adjacent operations of one kind joined; the space that every edit of a run starts with moved into the
    equal text before it, so that the edit reads "30 days", not " 30 days"."""
    merged: list[tuple[int, str]] = []
    for op, text in ops:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    for k in range(1, len(merged)):
        op, text = merged[k]
        space = text[: len(text) - len(text.lstrip())]
        if op == 0 or not space or not text.strip() or merged[k - 1][0] != 0:
            continue
        after = merged[k + 1] if k + 1 < len(merged) else (0, "")
        if after[0] != 0 and after[1].startswith(space) and after[1].strip():
            # a replacement: both sides start with the space, which is common text
            merged[k - 1] = (0, merged[k - 1][1] + space)
            merged[k] = (op, text[len(space) :])
            merged[k + 1] = (after[0], after[1][len(space) :])
        elif after[0] == 0 and after[1].startswith(space):
            # a pure insertion or deletion: rotate the space to its end ("Hello" + " big" + " world")
            merged[k - 1] = (0, merged[k - 1][1] + space)
            merged[k] = (op, text[len(space) :] + space)
            merged[k + 1] = (0, after[1][len(space) :])
    return merged


# ------------------------------------------------------------------------------------------- alignment


class _Side:
    """One version's blocks with what alignment needs: sections, and word and character-pair sets computed on
    first use (most blocks match exactly and never need them)."""

    def __init__(self, policy: PolicyText) -> None:
        self.blocks = policy.blocks
        self.sections = policy.sections()
        self._words: dict[int, frozenset[str]] = {}
        self._bigrams: dict[int, frozenset[str]] = {}

    def words(self, index: int) -> frozenset[str]:
        words = self._words.get(index)
        if words is None:
            words = self._words[index] = frozenset(_WORD.findall(self.blocks[index].text.lower()))
        return words

    def bigrams(self, index: int) -> frozenset[str]:
        """Character pairs of a block's words: "Secuirty" and "Security" share most of theirs."""
        pairs = self._bigrams.get(index)
        if pairs is None:
            letters = " ".join(_WORD.findall(self.blocks[index].text.lower()))
            pairs = self._bigrams[index] = frozenset(letters[k : k + 2] for k in range(len(letters) - 1))
        return pairs


def _exact_matches(old: Sequence[Block], new: Sequence[Block]) -> list[tuple[int, int]]:
    """(old, new) index pairs of blocks with identical text; the k-th copy of a text matches the k-th copy."""
    positions: dict[str, deque[int]] = defaultdict(deque)
    for j, block in enumerate(new):
        positions[block.text].append(j)
    matches = []
    for i, block in enumerate(old):
        queue = positions.get(block.text)
        if queue:
            matches.append((i, queue.popleft()))
    return matches


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The largest subset of `pairs` (sorted by old index) whose new indices also increase: blocks that kept
    their relative order. Every other exact match is a moved block."""
    tails: list[int] = []  # tails[k] = smallest new index ending an increasing run of length k + 1
    tail_at: list[int] = []  # index into pairs of that run's last element
    previous: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[pos] = j
            tail_at[pos] = k
        previous[k] = tail_at[pos - 1] if pos else -1
    run = []
    k = tail_at[-1] if tail_at else -1
    while k != -1:
        run.append(pairs[k])
        k = previous[k]
    return run[::-1]


def _similarity(old: _Side, i: int, new: _Side, j: int) -> float:
    a, b = old.words(i), new.words(j)
    if not a or not b:
        return 0.0
    if len(a) <= SHORT_BLOCK_WORDS and len(b) <= SHORT_BLOCK_WORDS:
        chars_a, chars_b = old.bigrams(i), new.bigrams(j)
        char_score = 2 * len(chars_a & chars_b) / (len(chars_a) + len(chars_b)) if chars_a and chars_b else 0.0
        return max(char_score, 2 * len(a & b) / (len(a) + len(b)))
    if 2 * min(len(a), len(b)) < SAME_SECTION_THRESHOLD * (len(a) + len(b)):
        return 0.0  # sizes too different for the word sets to overlap enough: skip the set arithmetic
    return 2 * len(a & b) / (len(a) + len(b))


def _pair_in_order(gap_old: list[int], gap_new: list[int], old: _Side, new: _Side) -> list[tuple[int, int]]:
    """Pairs of similar blocks between two anchors, keeping their order and maximising total similarity."""
    m, n = len(gap_old), len(gap_new)
    if not m or not n:
        return []
    # score[a][b]: best total similarity pairing gap_old[:a] with gap_new[:b]
    score = [[0.0] * (n + 1) for _ in range(m + 1)]
    take: dict[tuple[int, int], float] = {}
    for a in range(1, m + 1):
        i = gap_old[a - 1]
        centre = (a - 1) * n // m
        low, high = max(1, centre + 1 - BAND), min(n, centre + 1 + BAND)
        row, above = score[a], score[a - 1]
        # Left of the band nothing can be paired, so the row equals the one above; right of it, it is a running
        # maximum. Only the band needs similarities.
        row[:low] = above[:low]
        for b in range(low, high + 1):
            best = max(above[b], row[b - 1])
            j = gap_new[b - 1]
            sim = _similarity(old, i, new, j)
            threshold = SAME_SECTION_THRESHOLD if old.sections[i] == new.sections[j] else PAIR_THRESHOLD
            if sim >= threshold and above[b - 1] + sim > best:
                best = above[b - 1] + sim
                take[(a, b)] = sim
            row[b] = best
        row[high:] = itertools.accumulate(above[high + 1 :], max, initial=row[high])
    pairs = []
    a, b = m, n
    while a and b:
        if (a, b) in take and score[a][b] == score[a - 1][b - 1] + take[(a, b)]:
            pairs.append((gap_old[a - 1], gap_new[b - 1]))
            a, b = a - 1, b - 1
        elif score[a][b] == score[a - 1][b]:
            a -= 1
        else:
            b -= 1
    return pairs[::-1]


def _pair_moved_edits(
    leftover_old: list[int], leftover_new: list[int], old: _Side, new: _Side
) -> list[tuple[int, int]]:
    """Pairs of blocks that were both moved and edited: very similar, wherever they are."""
    if not leftover_old or not leftover_new or len(leftover_old) * len(leftover_new) > MAX_MOVED_CANDIDATES:
        return []
    candidates = []
    for i in leftover_old:
        for j in leftover_new:
            sim = _similarity(old, i, new, j)
            if sim >= MOVED_PAIR_THRESHOLD:
                candidates.append((-sim, i, j))
    candidates.sort()
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((i, j))
    return pairs


# ----------------------------------------------------------------------------------------------- hunks


def _hunks(old: _Side, new: _Side, exact: list[tuple[int, int]], pairs: list[tuple[int, int]]) -> tuple[Hunk, ...]:
    """Changed, added and removed blocks as hunks, in the new version's order; a removed block goes right
    after the new position of the old block it followed."""
    new_position = dict(exact) | dict(pairs)
    keyed: list[tuple[float, int, Hunk]] = []
    for i, j in pairs:
        before, after = old.blocks[i].text, new.blocks[j].text
        hunk = Hunk(HunkKind.CHANGED, new.sections[j], before, after, word_ops(before, after))
        keyed.append((j, i, hunk))
    paired_new = {j for _, j in exact} | {j for _, j in pairs}
    for j, block in enumerate(new.blocks):
        if j not in paired_new:
            keyed.append((j, -1, Hunk(HunkKind.ADDED, new.sections[j], "", block.text)))
    anchor = -1.0
    for i, block in enumerate(old.blocks):
        if i in new_position:
            anchor = new_position[i]
        else:
            keyed.append((anchor + 0.5, i, Hunk(HunkKind.REMOVED, old.sections[i], block.text, "")))
    keyed.sort(key=lambda entry: (entry[0], entry[1]))
    return tuple(hunk for _, _, hunk in keyed)


def _unit_char(index: int) -> str:
    # Private-use code points: neither letters nor spaces, so cleanupSemantic's boundary scoring stays neutral.
    return chr(0xE000 + index) if index < 0x1900 else chr(0xF0000 + index - 0x1900)


def _unit_index(char: str) -> int:
    code = ord(char)
    return code - 0xE000 if code < 0xF0000 else code - 0xF0000 + 0x1900
