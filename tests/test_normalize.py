"""Normalization: the policy cut out of real-looking pages, its canonical text, and what is scrubbed from it."""

from __future__ import annotations

import html
import os
import string
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from watcher import normalize as normalize_module
from watcher.models import Block, BlockKind, PolicyText
from watcher.normalize import (
    ExtractionError,
    clean_text,
    detect_format,
    normalize,
    normalize_html,
    normalize_markdown,
    normalize_plain,
    parse,
    read_policy_file,
    render,
    scrub_volatile,
)

HEADING, PARAGRAPH, ITEM, ROW = BlockKind.HEADING, BlockKind.PARAGRAPH, BlockKind.ITEM, BlockKind.ROW
FIXTURES = Path(__file__).parent / "fixtures" / "normalize"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SHAPES = ("main", "wordpress", "sections")
CF_EMAIL = "5a2a28332c3b39231a2e3b3636352d2a283f2929743f223b372a363f"  # privacy@tallowpress.example, obfuscated
CHROME_PHRASES = (
    "Northwind Cloud helps",
    "Contact sales",
    "Accept all",
    "We use cookies to give you",
    "Start your free trial",
    "Share this page",
    "Recent posts",
    "Skip to content",
    "All rights reserved",
    "Harbour Analytics",
    "Office hours",
    "Proudly powered",
    "We use cookies to ensure",
    "Edit",
    "Lumen Forms",
    "Stay in the loop",
    "Copyright",
    "I Accept",
    "We and our partners",
    "Use the code",
    "Spring sale",
    "rendered in",
)


# ------------------------------------------------------------------------------------------------ helpers


def shared_file(*parts: str) -> Path:
    """A file from ../shared: skipped when absent on a developer's machine, a failure in CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI runs with ../shared beside the checkout")
        pytest.skip(f"{path} is absent (../shared is not on this machine)")
    return path


def seed_names() -> list[str]:
    return sorted(p.name for p in (SHARED / "seeds").glob("*.txt")) or ["seeds-missing"]


def blocks_to_html(blocks: tuple[Block, ...] | list[Block]) -> str:
    """HTML a CMS would serve for these blocks: h1-h6, p, nested ul/li, table rows."""
    out: list[str] = []
    depth = -1  # deepest open <ul>
    in_table = False
    for block in blocks:
        if in_table and block.kind is not ROW:
            out.append("</table>")
            in_table = False
        if block.kind is not ITEM:
            while depth >= 0:
                out.append("</li></ul>")
                depth -= 1
        text = html.escape(block.text, quote=False)
        if block.kind is HEADING:
            out.append(f"<h{block.level}>{text}</h{block.level}>")
        elif block.kind is PARAGRAPH:
            out.append(f"<p>{text}</p>")
        elif block.kind is ROW:
            if not in_table:
                out.append("<table>")
                in_table = True
            cells = "".join(f"<td>{html.escape(cell)}</td>" for cell in block.text.split(" | "))
            out.append(f"<tr>{cells}</tr>")
        elif block.level > depth:
            while depth < block.level:
                out.append("<ul><li>")
                depth += 1
            out.append(text)
        else:
            while depth > block.level:
                out.append("</li></ul>")
                depth -= 1
            out.append(f"</li><li>{text}")
    while depth >= 0:
        out.append("</li></ul>")
        depth -= 1
    if in_table:
        out.append("</table>")
    return "\n".join(out)


def in_sections(blocks: tuple[Block, ...]) -> str:
    """The policy split into sibling <section>s at its top headings, as landing-page builders do."""
    sections: list[list[Block]] = [[]]
    for block in blocks:
        if block.kind is HEADING and block.level <= 2 and sections[-1]:
            sections.append([])
        sections[-1].append(block)
    return "\n".join(f'<section class="policy-part">{blocks_to_html(part)}</section>' for part in sections)


def chrome_page(shape: str, policy: PolicyText, **values: object) -> str:
    """The policy inside one of the fixture sites, with its header, banners, sidebar and footer."""
    body = in_sections(policy.blocks) if shape == "sections" else blocks_to_html(policy.blocks)
    template = string.Template((FIXTURES / f"chrome_{shape}.html").read_text(encoding="utf-8"))
    defaults: dict[str, object] = {
        "csrf": "a8Kj29dLq0Zx7PqR1sT3vW5yB6nM",
        "nonce": "9f8e7d6c5b4a3f2e",
        "year": 2025,
        "promo": "Spring sale: 30% off annual plans",
        "ms": 17,
    }
    return template.substitute({**defaults, **values, "policy": body})


def seed_policy(name: str) -> PolicyText:
    return normalize_plain(shared_file("seeds", name).read_text(encoding="utf-8"))


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>"


def text_of(markup: str, select: Sequence[str] = (), remove: Sequence[str] = ()) -> str:
    return render(normalize_html(page(markup), select=select, remove=remove))


# ------------------------------------------------------------------------------- seeds in site chrome


@pytest.mark.shared
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", seed_names())
def test_seed_in_site_chrome_gives_exactly_the_policy(seed: str, shape: str) -> None:
    policy = seed_policy(seed)
    assert normalize_html(chrome_page(shape, policy)) == policy


@pytest.mark.shared
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", seed_names())
def test_seed_in_site_chrome_keeps_none_of_the_chrome(seed: str, shape: str) -> None:
    text = render(normalize_html(chrome_page(shape, seed_policy(seed))))
    assert [phrase for phrase in CHROME_PHRASES if phrase in text] == []


@pytest.mark.shared
@pytest.mark.parametrize("seed", seed_names())
def test_seed_headings_and_paragraphs_survive_extraction(seed: str) -> None:
    policy = seed_policy(seed)
    lines = set(render(normalize_html(chrome_page("wordpress", policy))).splitlines())
    for block in policy.blocks:
        if block.kind is HEADING:
            assert "#" * block.level + " " + block.text in lines
        elif block.kind is PARAGRAPH:
            assert block.text in lines or "\\" + block.text in lines


@pytest.mark.shared
def test_plain_seed_headings_numbered_sections_and_bullets() -> None:
    second_seed = sorted(shared_file("seeds").glob("*.txt"))[1]
    policy = normalize_plain(second_seed.read_text(encoding="utf-8"))
    assert policy.title == "Privacy Policy"
    assert Block(PARAGRAPH, "Last updated January 1, 2025") in policy.blocks
    assert Block(HEADING, "1. Information We Collect", 2) in policy.blocks
    assert Block(HEADING, "Information You Provide", 3) in policy.blocks
    assert any(b.kind is ITEM for b in policy.blocks)


# -------------------------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("shape", SHAPES)
def test_same_page_twice_gives_the_same_bytes(shape: str) -> None:
    policy = normalize_plain(fixture("emberly.txt"))
    first = render(normalize_html(chrome_page(shape, policy)))
    assert render(normalize_html(chrome_page(shape, policy))) == first


@pytest.mark.parametrize("shape", SHAPES)
def test_new_tokens_year_promo_and_timing_give_the_same_bytes(shape: str) -> None:
    policy = normalize_plain(fixture("emberly.txt"))
    before = render(normalize_html(chrome_page(shape, policy)))
    after = render(
        normalize_html(
            chrome_page(
                shape,
                policy,
                csrf="Zq81LmXk02PwR7tY4uV9",
                nonce="0a1b2c3d4e5f6789",
                year=2026,
                promo="Free month",
                ms=3,
            )
        )
    )
    assert after == before


def test_tokens_inside_the_policy_text_are_replaced_by_a_fixed_placeholder() -> None:
    one = text_of("<main><h1>Privacy</h1><p>Reference 5f2c9a7e1b3d4c6e8f0a for this page.</p></main>")
    two = text_of("<main><h1>Privacy</h1><p>Reference 0d9e8c7b6a5f4e3d2c1b for this page.</p></main>")
    assert one == two
    assert "Reference [token] for this page." in one


# ------------------------------------------------------------------------------------ canonical text


EXAMPLE = PolicyText(
    blocks=(
        Block(HEADING, "Privacy Policy", 1),
        Block(PARAGRAPH, "Last updated: May 1, 2025"),
        Block(ITEM, "Name", 0),
        Block(ITEM, "E-mail", 1),
        Block(ITEM, "Phone", 0),
        Block(ROW, "Data | Kept for"),
        Block(ROW, "Orders | 6 years"),
        Block(HEADING, "Contact", 2),
        Block(PARAGRAPH, "Write to us."),
    ),
    title="Privacy Policy",
)


def test_render_writes_one_block_per_line_with_blank_lines_between_groups() -> None:
    assert render(EXAMPLE) == (
        "# Privacy Policy\n\n"
        "Last updated: May 1, 2025\n\n"
        "- Name\n"
        "  - E-mail\n"
        "- Phone\n\n"
        "| Data | Kept for |\n"
        "| Orders | 6 years |\n\n"
        "## Contact\n\n"
        "Write to us.\n"
    )


def test_policy_text_render_is_the_module_render() -> None:
    assert EXAMPLE.render() == render(EXAMPLE)


def test_render_of_an_empty_policy_is_empty() -> None:
    assert render(PolicyText(blocks=())) == ""


@pytest.mark.parametrize(
    "text",
    ["# not a heading", "- not an item", "| not | a row |", "\\ starts with a backslash", "#hashtag", "-", "|"],
)
def test_paragraphs_that_look_like_markup_survive_the_round_trip(text: str) -> None:
    policy = PolicyText(blocks=(Block(PARAGRAPH, text),))
    assert parse(render(policy)) == policy


def _generated_policies() -> list[PolicyText]:
    """Policies built from a small grammar of awkward texts, levels and orders."""
    texts = ["Plain words.", "# hash", "- dash", "| pipe", "\\slash", "a | b", "ends with |", "Ünïcödé - ok", "x"]
    kinds = [
        (HEADING, 1),
        (HEADING, 6),
        (PARAGRAPH, 0),
        (ITEM, 0),
        (ITEM, 2),
        (ITEM, 1),
        (ROW, 0),
        (PARAGRAPH, 0),
        (ROW, 0),
    ]
    policies = []
    for shift in range(len(kinds)):
        blocks = [
            Block(kind, texts[(i + shift) % len(texts)], level)
            for i, (kind, level) in enumerate(kinds[shift:] + kinds[:shift])
        ]
        policies.append(normalize_module._policy(blocks))
    return policies


@pytest.mark.parametrize("policy", _generated_policies(), ids=lambda p: p.blocks[0].kind.value)
def test_parse_is_the_inverse_of_render(policy: PolicyText) -> None:
    assert parse(render(policy)) == policy


def test_parse_derives_the_title_from_the_first_heading() -> None:
    assert parse("Intro.\n\n## Scope\n\n# Later\n").title == "Scope"


@pytest.mark.parametrize(
    "block",
    [
        Block(PARAGRAPH, "two\nlines"),
        Block(PARAGRAPH, " padded"),
        Block(PARAGRAPH, ""),
        Block(HEADING, "Level seven", 7),
        Block(PARAGRAPH, "A paragraph with a level", 1),
        Block(ITEM, "Negative depth", -1),
    ],
)
def test_render_refuses_a_block_the_text_format_cannot_carry(block: Block) -> None:
    with pytest.raises(ValueError, match="cannot render"):
        render(PolicyText(blocks=(block,)))


def test_normalized_pages_round_trip() -> None:
    policy = normalize_html(fixture("cms_page.html"))
    assert parse(render(policy)) == policy


# -------------------------------------------------------------------------------------- HTML extraction


def test_ordinary_cms_page_gives_the_expected_text() -> None:
    assert render(normalize_html(fixture("cms_page.html"))) == fixture("cms_page.expected.txt")


def test_policy_section_with_id_cookies_is_kept_while_the_cookie_banner_goes() -> None:
    text = text_of(
        """
        <div id="cookie-banner" class="cookie-banner" role="dialog">
          <p>This site uses cookies. Choose which ones you allow.</p><button>Allow all</button>
        </div>
        <div class="cookie-consent"><p>We use cookies for analytics.</p><a class="btn accept" href="#">OK</a></div>
        <div id="onetrust-banner-sdk"><p>Your privacy matters to our partners.</p></div>
        <main>
          <h1>Privacy Policy</h1>
          <p>We explain how we handle personal data.</p>
          <section id="cookies" class="cookies">
            <h2>Cookies</h2>
            <p>We use cookies to keep you signed in and to measure visits.</p>
          </section>
          <section id="cookie-notice">
            <h2>Cookie notice</h2><p>Strictly necessary cookies cannot be refused.</p>
          </section>
        </main>
        """
    )
    assert "## Cookies\n\nWe use cookies to keep you signed in and to measure visits." in text
    assert "## Cookie notice\n\nStrictly necessary cookies cannot be refused." in text
    assert "Choose which ones" not in text
    assert "for analytics" not in text
    assert "partners" not in text


def test_policy_sections_named_like_chrome_are_kept() -> None:
    text = text_of(
        """<main><h1>Privacy</h1>
        <section id="newsletter"><h2>Newsletter</h2><p>We send it only to subscribers.</p></section>
        <section id="social"><h2>Social media</h2><p>Our pages on social networks are run by us.</p></section>
        <article><div class="header"><h2>Cookie settings</h2></div>
          <div id="cookie-notice"><p>Change your choices at any time.</p><button>Cookie settings</button></div>
          <div class="footer">Last updated: 1 May 2025</div></article>
        </main>"""
    )
    for kept in ("## Newsletter", "subscribers", "## Social media", "## Cookie settings", "any time", "1 May 2025"):
        assert kept in text


def test_site_header_and_footer_made_of_divs_are_dropped() -> None:
    text = text_of(
        """<div id="header"><div class="logo">Acme</div><p>Tools for tidy people</p></div>
        <div class="content"><h1>Privacy</h1><p>We collect your name.</p></div>
        <div class="site-footer"><p>Registered in England, company 0123456.</p></div>"""
    )
    assert text == "# Privacy\n\nWe collect your name.\n"


def test_tables_become_rows_of_cells() -> None:
    text = text_of(
        """<main><h1>Retention</h1><table>
        <caption>How long we keep data</caption>
        <tr><th>Data</th><th>Period</th></tr>
        <tr><td><strong>Invoices</strong></td><td>7&nbsp;years</td></tr>
        <tr><td>Logs</td><td><ul><li>30 days</li><li>then deleted</li></ul></td></tr>
        </table></main>"""
    )
    assert "How long we keep data\n\n| Data | Period |\n| Invoices | 7 years |\n| Logs | 30 days then deleted |" in text


def test_layout_tables_are_read_as_containers() -> None:
    text = text_of(
        """<table><tr><td class="menu"><a href="/">Home</a><br><a href="/about">About</a></td><td>
        <h1>Privacy</h1><p>We collect your name.</p><p>We keep it for a year.</p></td></tr></table>"""
    )
    assert text == "# Privacy\n\nWe collect your name.\n\nWe keep it for a year.\n"


@pytest.mark.parametrize(
    "markup",
    [
        "<p hidden>Secret text</p>",
        '<div aria-hidden="true">Secret text</div>',
        '<p style="color: red; DISPLAY: none">Secret text</p>',
        '<span style="visibility:hidden">Secret text</span>',
        "<template><p>Secret text</p></template>",
        "<noscript>Secret text</noscript>",
    ],
)
def test_hidden_elements_are_dropped(markup: str) -> None:
    text = text_of(f"<main><h1>Privacy</h1><p>We collect your name and address for delivery.</p>{markup}</main>")
    assert "Secret" not in text
    assert "We collect your name" in text


def test_a_hidden_wrapper_holding_most_of_the_page_is_read_anyway() -> None:
    # Anti-flicker snippets hide the whole page until scripts run; dropping it would drop the policy.
    text = text_of(
        '<div class="app" style="display:none"><h1>Privacy</h1><p>We collect your name and address.</p>'
        "<p>We keep them for a year.</p></div><p>Loading</p>"
    )
    assert "We collect your name and address." in text


def test_inline_elements_join_with_the_page_spacing() -> None:
    text = text_of(
        "<main><p>Read <a href='/t'>our terms</a>, then <strong>agree</strong>.</p>"
        "<p>Un<em>break</em>able words stay whole; <span>spans</span><span> keep</span> spaces.</p></main>"
    )
    assert text == "Read our terms, then agree.\n\nUnbreakable words stay whole; spans keep spaces.\n"


def test_blocks_never_run_together() -> None:
    text = text_of(
        "<main><div>One</div><div>Two<div class='promo'>Buy now</div>Three</div>"
        "<my-widget>Four</my-widget><my-widget>Five</my-widget></main>"
    )
    assert text == "One\n\nTwo\n\nThree\n\nFour\n\nFive\n"


def test_a_line_break_is_a_space_and_two_start_a_new_paragraph() -> None:
    text = text_of("<main><p>Acme Ltd<br>1 High Street<br/>Leeds</p><p>First part.<br><br>Second part.</p></main>")
    assert text == "Acme Ltd 1 High Street Leeds\n\nFirst part.\n\nSecond part.\n"


def test_definition_lists_become_term_colon_definition() -> None:
    text = text_of(
        "<main><dl><dt>Controller</dt><dd>Acme Ltd.</dd><dt>DPO:</dt><dd>Jo Bloggs</dd><dt>Orphan</dt></dl></main>"
    )
    assert text == "Controller: Acme Ltd.\n\nDPO: Jo Bloggs\n\nOrphan\n"


def test_nested_and_ordered_lists_become_items_with_depth() -> None:
    text = text_of(
        "<main><ol><li>First<ol><li>Sub one</li><li>Sub two<ul><li>Deep</li></ul></li></ol></li>"
        "<li><p>Second</p></li></ol></main>"
    )
    assert text == "- First\n  - Sub one\n  - Sub two\n    - Deep\n- Second\n"


def test_list_item_holding_a_heading_is_a_section() -> None:
    text = text_of("<main><ul><li><h3>Accordion title</h3><p>Panel text.</p></li></ul></main>")
    assert text == "### Accordion title\n\nPanel text.\n"


def test_heading_levels_are_kept_as_given() -> None:
    policy = normalize_html(page("<main><h2>Privacy</h2><p>Text.</p><h4>Detail</h4><p>More.</p></main>"))
    assert [(b.text, b.level) for b in policy.blocks if b.kind is HEADING] == [("Privacy", 2), ("Detail", 4)]
    assert policy.title == "Privacy"


def test_link_urls_are_dropped_and_link_text_kept() -> None:
    assert text_of('<main><p>See <a href="https://x.example/p?v=2">our page</a>.</p></main>') == "See our page.\n"


def test_cloudflare_obfuscated_emails_are_decoded() -> None:
    text = text_of(
        f'<main><p>Write to <a class="__cf_email__" data-cfemail="{CF_EMAIL}"'
        ' href="/cdn-cgi/l/email-protection">[email&#160;protected]</a> or '
        f'<a href="/cdn-cgi/l/email-protection#{CF_EMAIL}">[email&#160;protected]</a>.</p></main>'
    )
    assert text == "Write to privacy@tallowpress.example or privacy@tallowpress.example.\n"


def test_main_holding_little_of_the_text_is_not_trusted() -> None:
    text = text_of(
        "<main><h1>Privacy</h1></main>"
        "<div class='content'><p>We collect your name when you sign up for an account with us.</p>"
        "<p>We share it with nobody, except the payment processor that takes your money.</p>"
        "<p>You can ask us to delete it at any time by writing to the address below.</p></div>"
    )
    assert text.startswith("# Privacy\n\nWe collect your name")


def test_title_and_last_updated_line_next_to_the_content_wrapper_are_kept() -> None:
    text = text_of(
        "<div id='page'><div class='intro'><h1>Privacy</h1></div><div class='date'>Last updated: 1 May 2025</div>"
        "<div class='body'><p>We collect your name when you sign up for an account with us.</p>"
        "<p>We share it with nobody, except the payment processor that takes your money.</p></div>"
        "<div class='links'><a href='/a'>Terms</a> <a href='/b'>Cookies</a></div>"
        "<div class='legal'>© 2025 Acme</div></div>"
    )
    assert text.startswith("# Privacy\n\nLast updated: 1 May 2025\n\nWe collect")
    assert "Terms" not in text
    assert "Acme" not in text


def test_page_without_text_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError, match="no text"):
        normalize_html(page("<script>var a = 1;</script><nav><a href='/'>Home</a></nav><footer>© 2025</footer>"))


@pytest.mark.parametrize("body", ["", "   \n", "\x00"])
def test_empty_page_is_an_extraction_error(body: str) -> None:
    with pytest.raises(ExtractionError, match="empty"):
        normalize_html(body)


def test_page_nested_too_deep_to_read_whole_is_an_extraction_error() -> None:
    deep = "<div>" * 300 + "<p>Deep text.</p>" + "</div>" * 300
    with pytest.raises(ExtractionError, match="256 levels"):
        normalize_html(page(deep + "<p>Text after it.</p>"))


def test_xml_declaration_and_xhtml_are_accepted() -> None:
    xhtml = '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><body><p>Hi.</p></body></html>'
    assert render(normalize(xhtml, content_type="application/xhtml+xml")) == "Hi.\n"


# ------------------------------------------------------------------------------------------ select/remove

SELECTABLE = """
<div class="notice">Site-wide notice</div>
<div class="policy"><h1>Privacy</h1><p>Policy text.</p><div class="toc-inline">Jump to section</div></div>
<div class="sidebar-text">Sidebar words that are long enough to be taken for content by a careless tool.</div>
<p class="policy-date">Updated 2025</p>
"""


def test_select_keeps_only_the_selected_elements_in_page_order() -> None:
    text = text_of(SELECTABLE, select=["p.policy-date", "div.policy"])
    assert text == "# Privacy\n\nPolicy text.\n\nJump to section\n\nUpdated 2025\n"


def test_remove_drops_elements_before_extraction() -> None:
    text = text_of(SELECTABLE, select=["div.policy"], remove=[".toc-inline"])
    assert text == "# Privacy\n\nPolicy text.\n"


def test_select_keeps_a_selected_element_even_if_it_looks_hidden() -> None:
    assert text_of('<div class="policy" hidden><p>Collapsed text.</p></div>', select=["div.policy"]) == (
        "Collapsed text.\n"
    )


def test_select_matching_nothing_names_the_selector() -> None:
    with pytest.raises(ExtractionError, match=r"selector 'div\.missing' matched nothing on the page"):
        normalize_html(page(SELECTABLE), select=["div.missing"])


def test_invalid_selector_is_named() -> None:
    with pytest.raises(ExtractionError, match=r"invalid CSS selector 'div\['"):
        normalize_html(page(SELECTABLE), select=["div["])


def test_selectors_work_the_same_without_cssselect(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = text_of(SELECTABLE, select=["p.policy-date", "div.policy"], remove=[".toc-inline"])
    monkeypatch.setattr(normalize_module, "_HAVE_CSSSELECT", False)
    assert text_of(SELECTABLE, select=["p.policy-date", "div.policy"], remove=[".toc-inline"]) == expected
    with pytest.raises(ExtractionError, match="matched nothing"):
        normalize_html(page(SELECTABLE), select=["div.missing"])
    with pytest.raises(ExtractionError, match=r"^invalid CSS selector 'div\[': [^\n]+$"):
        normalize_html(page(SELECTABLE), remove=["div["])


# ----------------------------------------------------------------------------------------------- Markdown


def test_markdown_and_equivalent_html_give_the_same_text() -> None:
    from_markdown = normalize_markdown(fixture("quillfeather.md"))
    assert render(from_markdown) == render(normalize_html(fixture("quillfeather.html")))
    assert from_markdown.title == "Quillfeather Notes Privacy Policy"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("Title\n=====\n\nSub\n---\n\n#### Deep ####\n", "# Title\n\n## Sub\n\n#### Deep\n"),
        ("a\nb  \nc\\\nd\n", "a b c d\n"),
        ("* one\n* two\n    * three\n\n1. four\n1) five\n", "- one\n- two\n  - three\n- four\n- five\n"),
        ("- item\ncontinued lazily\n", "- item continued lazily\n"),
        ("**bold** _em_ *em* ~~gone~~ `code` snake_case_name 5 * 3\n", "bold em em gone code snake_case_name 5 * 3\n"),
        (
            '![logo](/l.png) [text](http://x.example/a_(b) "t") [ref][1] <https://y.example>\n\n[1]: /r\n',
            "text ref https://y.example\n",
        ),
        ("1\\. Not a list \\*stars\\* \\[brackets\\]\n", "1. Not a list *stars* [brackets]\n"),
        ("We said\n2024. was a year\n", "We said 2024. was a year\n"),
        ("> quoted\n> text\n\nafter\n", "quoted text\n\nafter\n"),
        ("```\ncode line\n```\n", "code line\n"),
        ("| a | b |\n|---|:-:|\n| 1<br>2 | \\| pipe |\n", "| a | b |\n| 1 2 | | pipe |\n"),
        (
            f"[\\[email protected\\]](https://x.example/cdn-cgi/l/email-protection#{CF_EMAIL})\n",
            "privacy@tallowpress.example\n",
        ),
    ],
)
def test_markdown_syntax(markdown: str, expected: str) -> None:
    assert render(normalize_markdown(markdown)) == expected


def test_empty_markdown_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError):
        normalize_markdown("\n\n![only an image](x.png)\n")


OTA_SAMPLE = ("apple", "badoo", "academia-edu", "alibaba-com", "tinder", "vodafone-ie", "booking-com", "coinbase")


def latest_ota_file(service: str) -> Path:
    folder = shared_file("corpus", "ota", service)
    return sorted(folder.glob("*.md"))[-1]


@pytest.mark.shared
@pytest.mark.parametrize("service", OTA_SAMPLE)
def test_open_terms_archive_markdown_leaves_no_markup(service: str) -> None:
    source = latest_ota_file(service).read_text(encoding="utf-8")
    text = render(normalize_markdown(source))
    for artefact in ("](", "**", "<br", "\\.", "\\[", "![", "\n* ", "\n=="):
        assert artefact not in text, artefact


@pytest.mark.shared
@pytest.mark.parametrize("service", OTA_SAMPLE)
def test_open_terms_archive_headings_and_words_are_kept(service: str) -> None:
    source = latest_ota_file(service).read_text(encoding="utf-8")
    policy = normalize_markdown(source)
    atx = sum(1 for line in source.splitlines() if line.lstrip().startswith("#") and line.lstrip("# ").strip())
    assert sum(b.kind is HEADING for b in policy.blocks) >= atx
    # Words of link URLs and markup go; the policy's own words stay.
    assert policy.word_count >= 0.8 * len(source.split()) - source.count("](")
    assert parse(render(policy)) == policy


@pytest.mark.shared
@pytest.mark.parametrize("service", ["apple", "tinder", "coinbase", "vodafone-ie", "alibaba-com", "disqus"])
def test_open_terms_archive_markdown_reads_like_its_html(service: str) -> None:
    # An independent CommonMark implementation turns the file into HTML; both routes must give the same text.
    markdown_it = pytest.importorskip("markdown_it")
    source = latest_ota_file(service).read_text(encoding="utf-8")
    as_html = markdown_it.MarkdownIt("commonmark").enable("table").render(source)
    assert render(normalize_markdown(source)) == render(normalize_html(f"<html><body>{as_html}</body></html>"))


@pytest.mark.shared
def test_open_terms_archive_tables_become_rows() -> None:
    policy = normalize_markdown(latest_ota_file("academia-edu").read_text(encoding="utf-8"))
    rows = [b for b in policy.blocks if b.kind is ROW]
    assert len(rows) >= 5
    assert all(" | " in row.text for row in rows)


# --------------------------------------------------------------------------------------------- plain text


def test_plain_text_fixture() -> None:
    assert render(normalize_plain(fixture("emberly.txt"))) == (
        "# Emberly Privacy Policy\n\n"
        "Last updated June 2, 2025\n\n"
        "Emberly makes a budgeting app. This policy says what we collect and why, in plain words. We wrote it to be "
        "read, so it is short and wrapped at seventy-six columns like an old README.\n\n"
        "## 1. Information We Collect\n\n"
        "### Account Details\n\n"
        "- Your name and e-mail address\n"
        "- The currency you budget in\n"
        "  - and the currencies of your accounts, if you add more\n"
        "- Nothing else unless you choose to share it\n"
        "- Bank connections you add, through our open-banking partner.\n\n"
        "## 2. How We Use It\n\n"
        "We use your information to run the app:\n\n"
        "To show your budget on every device you sign in on.\n\n"
        "To send the monthly summary you asked for.\n\n"
        "### Contact Us\n\n"
        "Write to privacy@emberly.example with any question.\n"
    )


def test_plain_numbered_list_is_items_not_headings() -> None:
    text = render(normalize_plain("Your Rights\n\n1. Access\n\n2. Erasure\n\n3. Objection\n\nAsk us any time.\n"))
    assert text == "# Your Rights\n\n- Access\n- Erasure\n- Objection\n\nAsk us any time.\n"


def test_empty_plain_text_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError):
        normalize_plain(" \n\n \u200b\n")


# ------------------------------------------------------------------------------------ dispatch and files


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/html; charset=utf-8", "<p>Hello <b>there</b>.</p>", "Hello there.\n"),
        ("text/markdown", "# Hello\n", "# Hello\n"),
        ("text/plain", "Hello there.\n", "Hello there.\n"),
        ("text/plain", "<!DOCTYPE html><html><body><h2>Sniffed</h2></body></html>", "## Sniffed\n"),
        ("text/plain", "# Raw Markdown\n\n## From a repository\n", "# Raw Markdown\n\n## From a repository\n"),
        ("application/octet-stream", "Just text.", "Just text.\n"),
        ("markdown", "**Bold**", "Bold\n"),
    ],
)
def test_normalize_dispatches_on_content_type(content_type: str, body: str, expected: str) -> None:
    assert render(normalize(body, content_type=content_type)) == expected


def test_normalize_refuses_pdf_with_a_reason() -> None:
    with pytest.raises(ExtractionError, match="PDF"):
        normalize("%PDF-1.7", content_type="application/pdf")


def test_selectors_on_a_non_html_document_are_an_error() -> None:
    with pytest.raises(ExtractionError, match="need an HTML page"):
        normalize("# Policy\n\n## Part\n", content_type="text/markdown", select=["main"])


@pytest.mark.parametrize(
    ("text", "filename", "expected"),
    [
        ("anything", "policy.HTML", "html"),
        ("<p>x</p>", "policy.md", "markdown"),
        ("# x", "policy.txt", "text"),
        ("<!-- saved --><!doctype html><html></html>", "", "html"),
        ("<div><p>a</p><p>b</p></div>", "", "html"),
        ("Title\n=====\n\nSee [docs](https://x.example).\n", "", "markdown"),
        ("## One\n\ntext\n\n## Two\n", "", "markdown"),
        ("Privacy Policy\n\n- item\n\n1. Numbered heading\n", "", "text"),
    ],
)
def test_detect_format(text: str, filename: str, expected: str) -> None:
    assert detect_format(text, filename) == expected


def test_read_policy_file_detects_the_format(tmp_path: Path) -> None:
    html_file = tmp_path / "old.html"
    html_file.write_text("<main><h1>Privacy</h1><p>Text.</p></main>", encoding="utf-8")
    latin_file = tmp_path / "new.txt"
    latin_file.write_bytes("Café policy\n\nWe keep données.\n".encode("latin-1"))
    assert render(read_policy_file(html_file)) == "# Privacy\n\nText.\n"
    assert "données" in render(read_policy_file(latin_file))


# -------------------------------------------------------------------------------------- text cleaning


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u201cQuoted\u201d and \u2018single\u2019", "\"Quoted\" and 'single'"),
        ("en\u2013dash em\u2014dash minus\u2212sign non\u2011breaking", "en-dash em-dash minus-sign non-breaking"),
        ("no\u00a0break\u202fthin", "no break thin"),
        ("zero\u200bwidth\u00adsoft\ufeff", "zerowidthsoft"),
        ("  many \n\t spaces  ", "many spaces"),
        ("\ufb01ne full\uff57idth", "fine fullwidth"),
        ("e\u0301", "\u00e9"),
        ("bell\x07", "bell"),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected
    assert clean_text(expected) == expected


@pytest.mark.parametrize(
    "kept",
    [
        "Last updated January 1, 2025",
        "Effective date: 2025-01-01",
        "Last updated: 2025-01-01T10:00:00Z",
        "We keep logs for 30 days (COVID-19 rules apply).",
        "Certified to ISO27001certified standards under Regulation (EU) 2016/679.",
        "Visit https://example.com/privacy?lang=en for details.",
        "Account numbers like GB29NWBK60161331926819 are never shown.",
        "Call 0800 123 4567.",
        "[email protected]",
    ],
)
def test_scrub_keeps_policy_text(kept: str) -> None:
    assert scrub_volatile(kept) == kept


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Page rendered in 123 ms", ""),
        ("Policy text. Generated in 0.42 seconds.", "Policy text."),
        ("Page generated at 2025-03-04 10:11:12 UTC", ""),
        ("Cached on Tue, March 4, 2025 at 10:11 AM", ""),
        ("Snapshot 2025-03-04T10:11:12Z of the page", "Snapshot of the page"),
        ("Session a8Kj29dLq0Zx7PqR1sT3 started", "Session [token] started"),
        ("Ray ID: 8a1b2c3d4e5f6a7b", "Ray ID: [token]"),
        ("Request 550e8400-e29b-41d4-a716-446655440000 done", "Request [token] done"),
        ("See https://x.example/p?v=123&lang=en&utm_source=mail.", "See https://x.example/p?lang=en."),
        ("Load /app.css?_=1700000000 now", "Load /app.css now"),
        ("Go to https://x.example/a;jsessionid=ABC123 now", "Go to https://x.example/a now"),
    ],
)
def test_scrub_removes_volatile_tokens(raw: str, expected: str) -> None:
    assert scrub_volatile(raw) == expected


# ------------------------------------------------------------------------------------------------- speed


def test_html_extraction_stays_in_the_millisecond_range() -> None:
    # A guard against an accidental slow path (BeautifulSoup, quadratic loops), not a benchmark:
    # bench/normalize_speed.py measures; the bound here is many times what it reports.
    policy = normalize_plain(fixture("emberly.txt"))
    blocks = policy.blocks * 60
    big = chrome_page("wordpress", PolicyText(blocks=blocks))
    assert len(big) > 50_000
    normalize_html(big)
    start = time.perf_counter()
    for _ in range(5):
        normalize_html(big)
    assert (time.perf_counter() - start) / 5 < 0.1


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("Updated over 7 months ago", "Updated [recently]"),
        ("Updated 3 days ago", "Updated [recently]"),
        ("Page last modified yesterday", "Page last modified [recently]"),
        ("Last updated: January 1, 2025", "Last updated: January 1, 2025"),  # the policy's own date stays
        (
            "We delete data you provided more than two years ago.",
            "We delete data you provided more than two years ago.",
        ),
    ],
)
def test_relative_update_stamps_are_scrubbed_but_policy_text_is_not(stamp, expected):
    assert scrub_volatile(stamp) == expected
