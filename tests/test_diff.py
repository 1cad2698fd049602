"""diff_policies: block alignment (moves are not hunks), pairing of edited blocks, word-level operations."""

from __future__ import annotations

import time

from policies import policy

from watcher.diff import diff_policies, word_ops
from watcher.models import HunkKind

BASE = """
# Privacy Policy

Last updated: March 1, 2024

# What we collect

We collect your name, e-mail address and billing details when you sign up.

We collect usage data such as pages visited and features used.

# Who we share with

We share data with service providers that host and support the service.

# How long we keep data

We retain account data for 30 days after you close your account.
"""


def test_identical_policies_have_no_hunks():
    diff = diff_policies(policy(BASE), policy(BASE))
    assert diff.hunks == ()
    assert diff.moved == 0
    assert not diff.changed


def test_moved_unchanged_paragraph_is_counted_not_reported():
    moved = BASE.replace("We collect usage data such as pages visited and features used.\n\n", "").replace(
        "We share data with service providers that host and support the service.",
        "We share data with service providers that host and support the service.\n\n"
        "We collect usage data such as pages visited and features used.",
    )
    diff = diff_policies(policy(BASE), policy(moved))
    assert diff.hunks == ()
    assert diff.moved == 1


def test_edited_paragraph_is_one_changed_hunk_with_word_ops_and_its_section():
    edited = BASE.replace("for 30 days after", "for 24 months after")
    (hunk,) = diff_policies(policy(BASE), policy(edited)).hunks
    assert hunk.kind is HunkKind.CHANGED
    assert hunk.section == "How long we keep data"
    assert hunk.before == "We retain account data for 30 days after you close your account."
    assert hunk.after == "We retain account data for 24 months after you close your account."
    assert (-1, "30 days") in hunk.ops
    assert (1, "24 months") in hunk.ops


def test_word_ops_never_split_a_word():
    ops = word_ops("We retain logs.", "We retained logs.")
    assert ops == ((0, "We "), (-1, "retain"), (1, "retained"), (0, " logs."))


def test_word_ops_rebuild_both_texts():
    before = "We share data with Stripe, Inc. and—sometimes—with “partners”."
    after = "We share personal data with Stripe and with our partners."
    ops = word_ops(before, after)
    assert "".join(text for op, text in ops if op <= 0) == before
    assert "".join(text for op, text in ops if op >= 0) == after


def test_word_ops_on_a_long_block_diff_sentences_first_and_rebuild_both_texts():
    sentences = [f"Sentence {n} says that we keep record {n} for {n} days." for n in range(200)]
    before = " ".join(sentences)
    after = " ".join([*sentences[:50], "A new sentence about Segment.", *sentences[50:120], *sentences[121:]])
    after = after.replace("record 7 for 7 days", "record 7 for 9 days")
    ops = word_ops(before, after)
    assert "".join(text for op, text in ops if op <= 0) == before
    assert "".join(text for op, text in ops if op >= 0) == after
    assert (-1, "7") in ops and (1, "9") in ops
    assert any(op == 1 and "Segment" in text for op, text in ops)


def test_added_paragraph_sits_under_its_new_heading():
    added = BASE.replace(
        "# How long we keep data",
        "We share analytics events with Segment.\n\n# How long we keep data",
    )
    (hunk,) = diff_policies(policy(BASE), policy(added)).hunks
    assert hunk.kind is HunkKind.ADDED
    assert hunk.section == "Who we share with"
    assert (hunk.before, hunk.after) == ("", "We share analytics events with Segment.")


def test_removed_paragraph_keeps_its_old_heading_and_position():
    removed = BASE.replace("We share data with service providers that host and support the service.\n\n", "")
    added_elsewhere = removed.replace("Last updated: March 1, 2024", "Last updated: March 1, 2024\n\nHello.")
    hunks = diff_policies(policy(BASE), policy(added_elsewhere)).hunks
    assert [(h.kind, h.section) for h in hunks] == [
        (HunkKind.ADDED, "Privacy Policy"),
        (HunkKind.REMOVED, "Who we share with"),
    ]


def test_dissimilar_replacement_is_a_removal_and_an_addition():
    replaced = BASE.replace(
        "We share data with service providers that host and support the service.",
        "Our offices are closed on public holidays in Portugal.",
    )
    kinds = sorted(h.kind for h in diff_policies(policy(BASE), policy(replaced)).hunks)
    assert kinds == [HunkKind.ADDED, HunkKind.REMOVED]


def test_short_heading_with_a_typo_fix_pairs_by_characters():
    fixed = BASE.replace("# Who we share with", "# Who we shar with")
    (hunk,) = diff_policies(policy(fixed), policy(BASE)).hunks
    assert hunk.kind is HunkKind.CHANGED
    assert (hunk.before, hunk.after) == ("Who we shar with", "Who we share with")


def test_paragraph_moved_and_edited_is_one_changed_hunk():
    moved_and_edited = BASE.replace("We collect usage data such as pages visited and features used.\n\n", "").replace(
        "We retain account data for 30 days after you close your account.",
        "We retain account data for 30 days after you close your account.\n\n"
        "We collect usage data such as the pages visited and the features used.",
    )
    (hunk,) = diff_policies(policy(BASE), policy(moved_and_edited)).hunks
    assert hunk.kind is HunkKind.CHANGED
    assert hunk.section == "How long we keep data"


def test_block_kind_change_with_same_text_is_not_a_hunk():
    as_item = BASE.replace(
        "We collect usage data such as pages visited and features used.",
        "- We collect usage data such as pages visited and features used.",
    )
    assert diff_policies(policy(BASE), policy(as_item)).hunks == ()


def synthetic_policy(sections: int = 40, seed_word: str = "data") -> str:
    """About 40 KB of policy-like text: numbered sections of varied paragraphs and list items."""
    parts = []
    for s in range(sections):
        parts.append(f"# Section {s}: how we handle {seed_word} of kind {s}")
        for p in range(4):
            parts.append(
                f"Paragraph {p} of section {s} explains that we process category {s}-{p} {seed_word} to provide, "
                f"secure and improve the service, keep records for {p + s} months, and share them only with "
                f"vendor number {s * 7 + p} under a written contract that limits its use of the {seed_word}."
            )
        parts.append("\n".join(f"- item {i} of section {s}: {seed_word} element {i * s}" for i in range(3)))
    return "\n\n".join(parts)


def test_speed_on_a_40_kb_policy_pair():
    old_text = synthetic_policy()
    new_text = old_text.replace("keep records for 7 months", "keep records for 9 months", 1)
    new_text = new_text.replace("vendor number 70 ", "vendor number 70 and Segment ", 1)
    new_text = new_text.replace("# Section 12", "New paragraph about cookies.\n\n# Section 12")
    old, new = policy(old_text), policy(new_text)
    assert len(old_text) > 35_000
    start = time.perf_counter()
    diff = diff_policies(old, new)
    elapsed_ms = (time.perf_counter() - start) * 1000
    print(f"\ndiff_policies on {len(old_text) // 1024} KB, {len(old.blocks)} blocks: {elapsed_ms:.1f} ms")
    assert [h.kind for h in diff.hunks] == [HunkKind.CHANGED, HunkKind.CHANGED, HunkKind.ADDED]

    rewritten = policy(synthetic_policy(seed_word="information"))
    start = time.perf_counter()
    diff_policies(old, rewritten)
    elapsed_ms = (time.perf_counter() - start) * 1000
    print(f"diff_policies, every block edited: {elapsed_ms:.1f} ms")
