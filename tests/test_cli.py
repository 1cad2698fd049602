"""The contracts other tools rely on (DESIGN.md): `watcher compare OLD NEW --json` and `watcher classify --json`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from watcher.cli import CLASSIFY_BATCH, main

OLD_HTML = """<html><head><title>Privacy</title></head><body>
<nav><a href="/">Home</a> <a href="/blog">Blog</a></nav>
<main><h1>Privacy Policy</h1><p>Last updated: January 2, 2025</p>
<h2>How long we keep data</h2><p>We keep your account data for 30 days after you close your account.</p>
<h2>Service providers</h2><p>We use Stripe to process payments and Mailchimp to send newsletters.</p>
<h2>Your rights</h2><p>You can access, correct or delete your data by writing to privacy@example.com.</p>
</main></body></html>"""


def compare(tmp_path, old: str, new: str, *args: str, suffix: str = ".html"):
    (tmp_path / f"old{suffix}").write_text(old)
    (tmp_path / f"new{suffix}").write_text(new)
    return CliRunner().invoke(main, ["compare", str(tmp_path / f"old{suffix}"), str(tmp_path / f"new{suffix}"), *args])


def test_compare_json_names_the_material_facts(tmp_path):
    new = OLD_HTML.replace("January 2", "March 3").replace("30 days after", "24 months after")
    new = new.replace("newsletters.", "newsletters, and Segment to analyse how the product is used.")
    result = compare(tmp_path, OLD_HTML, new, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"changed", "severity", "categories", "findings"}
    assert report["changed"] is True and report["severity"] == "material"
    assert {"retention", "sharing"} <= set(report["categories"])
    summaries = {finding["summary"] for finding in report["findings"]}
    assert "retention: 30 days -> 24 months (account data)" in summaries
    assert "new third party: Segment" in summaries
    for finding in report["findings"]:
        assert set(finding) == {"category", "severity", "summary", "before", "after"}
    retention = next(f for f in report["findings"] if f["category"] == "retention")
    assert "30 days" in retention["before"] and "24 months" in retention["after"]


def test_compare_json_of_a_date_only_change_is_cosmetic(tmp_path):
    result = compare(tmp_path, OLD_HTML, OLD_HTML.replace("January 2", "March 3"), "--json")
    report = json.loads(result.output)
    assert (report["changed"], report["severity"], report["findings"]) == (True, "cosmetic", [])


def test_compare_json_of_the_same_text_is_no_change(tmp_path):
    page_chrome_only = OLD_HTML.replace('<a href="/blog">Blog</a>', '<a href="/news">News</a>')
    report = json.loads(compare(tmp_path, OLD_HTML, page_chrome_only, "--json").output)
    assert report == {"changed": False, "severity": "none", "categories": [], "findings": []}


def test_compare_reads_markdown_and_plain_text(tmp_path):
    old = "# Retention\n\nWe keep server logs for 90 days.\n"
    for suffix in (".md", ".txt"):
        report = json.loads(compare(tmp_path, old, old.replace("90 days", "2 years"), "--json", suffix=suffix).output)
        assert report["severity"] == "material", suffix
        assert any(f["summary"] == "retention: 90 days -> 2 years (server logs)" for f in report["findings"])


def test_compare_in_a_pipe_marks_the_changed_words(tmp_path):
    result = compare(tmp_path, OLD_HTML, OLD_HTML.replace("30 days after", "24 months after"))
    assert result.exit_code == 0
    assert "[-30 days-]{+24 months+}" in result.output


def test_compare_a_missing_file_is_a_clear_error(tmp_path):
    (tmp_path / "old.html").write_text(OLD_HTML)
    result = CliRunner().invoke(main, ["compare", str(tmp_path / "old.html"), str(tmp_path / "gone.html"), "--json"])
    assert result.exit_code != 0
    assert "gone.html" in result.output


def test_classify_json_lines_keep_ids_and_order():
    lines = [
        {"id": "a", "text": "We keep your messages for 90 days and then delete them."},
        {"id": 2, "text": "You can ask us for a copy of your data or ask us to delete it."},
        {"id": "c", "text": ""},
        {"id": "d", "text": "Welcome to our website!"},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n\n"
    result = CliRunner().invoke(main, ["classify", "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["id"] for row in rows] == ["a", 2, "c", "d"]
    assert "retention" in rows[0]["categories"]
    assert "rights" in rows[1]["categories"]
    assert rows[2]["categories"] == [] and rows[3]["categories"] == []


@pytest.mark.parametrize("bad", ['{"id": 1}', "not json", '{"id": 1, "text": 5}', "[1, 2]"])
def test_classify_names_the_line_it_cannot_read(bad):
    stdin = json.dumps({"id": 0, "text": "We sell nothing."}) + "\n" + bad + "\n"
    result = CliRunner().invoke(main, ["classify", "--json"], input=stdin)
    assert result.exit_code == 1
    assert "line 2" in result.output
    assert json.loads(result.output.splitlines()[0])["id"] == 0  # the lines before it are answered


def test_classify_answers_every_line_of_a_long_stream():
    texts = ["We keep your messages for 90 days.", "Welcome!", "We share your address with our couriers."]
    count = 2 * CLASSIFY_BATCH + 3  # more than one batch, and a part-filled last one
    stdin = "".join(json.dumps({"id": n, "text": texts[n % 3]}) + "\n" for n in range(count))
    result = CliRunner().invoke(main, ["classify", "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["id"] for row in rows] == list(range(count))
    assert {tuple(row["categories"]) for row in rows[0::3]} == {("retention",)}
    assert {tuple(row["categories"]) for row in rows[1::3]} == {()}
    assert {tuple(row["categories"]) for row in rows[2::3]} == {("sharing",)}
