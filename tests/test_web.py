"""The history browser as people meet it: a database built by `watcher run` against a local vendor site, served by
uvicorn on 127.0.0.1, read over HTTP and clicked through in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from click.testing import CliRunner
from localserver import LocalServer, Reply
from lxml import html as lxml_html
from webserver import WebServer

from watcher.cli import main
from watcher.demo.site import render_page
from watcher.store import Store
from watcher.web import check_binding, create_app, is_loopback

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium's own connections fail on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ATOM = "{http://www.w3.org/2005/Atom}"
PUBLIC_URL = "https://watcher.example/history"

KESTREL_V1 = """<h1>Kestrel Mail Privacy Notice</h1>
<p>Last revised: 2 February 2026</p>
<p>Kestrel Mail Ltd ("Kestrel") runs a hosted mailbox service for small offices. This notice explains which personal
data Kestrel handles when you use a mailbox, our web app or our help desk, and what you can ask of us.</p>
<h2>What we collect</h2>
<p>We collect your name, your e-mail address, the messages and attachments you keep in your mailbox, and the IP
addresses you sign in from. We use sign-in records only to protect your account against takeover.</p>
<h2>Who we share it with</h2>
<p>We rely on Fastmail Relay for outbound delivery and on Stripe for billing. Neither may use your data for its own
purposes. We never sell the contents of your mailbox.</p>
<h2>How long we keep it</h2>
<p>When you close your mailbox, we erase your messages within 14 days and your billing records after seven years.</p>
<h2>Your choices and rights</h2>
<p>You can export your mailbox at any time, ask us to correct or delete your account data, and complain to your data
protection authority.</p>
<h2>Contact</h2>
<p>Kestrel Mail Ltd, 4 Quay Street, Cork. E-mail: privacy@kestrel.example.</p>
"""


def kestrel_v2(policy: str) -> str:
    """A material change: a longer retention period and a new third party that reads messages."""
    return policy.replace("we erase your messages within 14 days", "we keep your messages for 36 months").replace(
        "on Stripe for billing.", "on Stripe for billing, and Lantern Insights scans message metadata for ad targeting."
    )


# A vendor whose policy shows markup as text (an engineering blog's policy, quoting the tags it talks about):
# the normalized text holds literal tags, which must come back escaped on every page.
ANGLE_V1 = """<h1>Angle &amp; Bracket Labs Privacy Policy</h1>
<p>Last revised: 9 March 2026</p>
<p>Angle &amp; Bracket Labs publishes developer tutorials. Our examples quote tags such as
&lt;script&gt;alert("policy-xss")&lt;/script&gt; and &lt;img src=x onerror=alert(1)&gt; as plain text; our pages never
run them. This policy explains what we collect when you read the tutorials or subscribe to the newsletter.</p>
<h2>Information we collect</h2>
<p>We collect the e-mail address you give us for the newsletter and anonymous page counts. We do not build profiles
of readers and we do not use advertising cookies of any kind on the tutorial pages.</p>
<h2>Sharing</h2>
<p>Newsletter addresses are stored with Buttondown, our mailing provider. We share them with nobody else.</p>
<h2>Retention</h2>
<p>We keep newsletter addresses until you unsubscribe and page counts for 30 days.</p>
<h2>Contact</h2>
<p>Write to privacy@angle-bracket.example with any question about this policy or your data.</p>
"""


def angle_v2(policy: str) -> str:
    return policy.replace(
        "page counts for 30 days.",
        "page counts for 90 days &lt;b onmouseover=alert(2)&gt;unless&lt;/b&gt; you ask us to delete them sooner.",
    )


class History:
    """A database built the way users build theirs, and the history browser serving it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "config.yaml"
        self.db = root / "snapshots" / "watcher.db"
        self.slack_messages: list[dict] = []


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    built = History(tmp_path_factory.mktemp("history"))
    pages = {"kestrel": KESTREL_V1, "angle": ANGLE_V1}
    status = {"angle": 200}
    tick = [0]

    def page(vendor: str, name: str):
        def reply(request) -> Reply:
            if status.get(vendor, 200) != 200:
                return Reply(503, "<h1>Service Unavailable</h1>", {"Content-Type": "text/html"})
            body = render_page(name, pages[vendor], tick[0])
            return Reply(200, body, {"Content-Type": "text/html; charset=utf-8"})

        return reply

    with LocalServer() as site:
        site.route("/robots.txt", Reply(200, "User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}))
        site.route("/kestrel/privacy", page("kestrel", "Kestrel Mail"))
        site.route("/angle/privacy", page("angle", "Angle & Bracket Labs"))
        site.route("/slack/webhook", Reply(200, "ok", {"Content-Type": "text/plain"}))
        built.config.write_text(
            "storage: snapshots/watcher.db\n"
            f"public_url: {PUBLIC_URL}\n"
            "fetch: {allow_private_networks: true, per_host_delay: 0, retries: 0, backoff: 0.01}\n"
            "slack: {webhook_url: '${TEST_SLACK_WEBHOOK}'}\n"
            "vendors:\n"
            f"  - name: Kestrel Mail\n    url: {site.url('/kestrel/privacy')}\n"
            f"  - name: Angle & Bracket Labs\n    url: {site.url('/angle/privacy')}\n"
        )
        env = {"TEST_SLACK_WEBHOOK": site.url("/slack/webhook")}

        def run() -> None:
            tick[0] += 1
            result = CliRunner().invoke(main, ["run", "--config", str(built.config)], env=env)
            assert result.exit_code == 0, result.output

        run()  # first versions
        pages["kestrel"], pages["angle"] = kestrel_v2(KESTREL_V1), angle_v2(ANGLE_V1)
        run()  # the changes
        status["angle"] = 503
        run()  # a failed check
        built.slack_messages = [json.loads(r.body) for r in site.requests_to("/slack/webhook")]
    yield built


@pytest.fixture(scope="module")
def web(history: History) -> Iterator[WebServer]:
    with WebServer(create_app(history.db)) as server:
        yield server


@pytest.fixture(scope="module")
def client(web: WebServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url(""), timeout=10) as http:
        yield http


def document(response: httpx.Response):
    assert response.status_code == 200, response.text
    return lxml_html.fromstring(response.text)


def texts(tree, xpath: str) -> list[str]:
    return [" ".join(element.text_content().split()) for element in tree.xpath(xpath)]


def store_versions(history: History, vendor: str):
    """A vendor's versions, newest first."""
    with Store(history.db, readonly=True) as store:
        [(document_id, _)] = store.document_ids(vendor)
        return store.versions(document_id)


def change_id(history: History, vendor: str) -> int:
    with Store(history.db, readonly=True) as store:
        [(document_id, _)] = store.document_ids(vendor)
        return store.changes(document_id)[0].id


# ------------------------------------------------------------------------------------------- pages


def test_dashboard_lists_both_vendors_with_health_and_last_change(client):
    page = document(client.get("/"))
    rows = {texts(row, "./th")[0]: " ".join(row.text_content().split()) for row in page.xpath("//tbody/tr")}
    assert set(rows) == {"Kestrel Mail", "Angle & Bracket Labs"}
    assert "material" in rows["Kestrel Mail"] and "retention" in rows["Kestrel Mail"]
    assert "http_error" in rows["Angle & Bracket Labs"]  # the last check failed: said in words


def test_vendor_page_shows_the_timeline_with_changes_and_check_failures(client):
    page = document(client.get("/vendors/Angle%20%26%20Bracket%20Labs"))
    events = texts(page, "//table[contains(@class, 'timeline')]//tbody/tr/td[2]")
    # The test's runs fall within one second, so only the set of events is pinned, and the oldest.
    assert "check failed" in events and any(e.startswith("change #") for e in events)
    assert events[-1] == "first version"
    assert page.xpath("//form[@class='as-of']//input[@type='date']")


def test_change_page_marks_deleted_and_inserted_words(client, history):
    page = document(client.get(f"/changes/{change_id(history, 'Kestrel Mail')}"))
    deleted, inserted = " ".join(texts(page, "//del")), " ".join(texts(page, "//ins"))
    assert "14" in deleted and "36 months" in inserted
    assert "Lantern Insights" in inserted
    wording = " ".join(texts(page, "//section[contains(@class, 'hunk')]"))
    assert "When you close your mailbox, we" in wording  # unchanged words around the edit stay unmarked


def test_side_by_side_puts_the_old_wording_left_and_the_new_right(client, history):
    page = document(client.get(f"/changes/{change_id(history, 'Kestrel Mail')}?view=side"))
    old = " ".join(texts(page, "//div[contains(@class, 'side-old')]"))
    new = " ".join(texts(page, "//div[contains(@class, 'side-new')]"))
    assert "within 14 days" in old and "36 months" not in old
    assert "36 months" in new and "within 14 days" not in new
    assert not page.xpath("//div[contains(@class, 'side-old')]//ins")
    assert not page.xpath("//div[contains(@class, 'side-new')]//del")


def test_change_page_lists_findings_and_links_both_versions_and_the_source(client, history):
    page = document(client.get(f"/changes/{change_id(history, 'Kestrel Mail')}"))
    findings = " ".join(texts(page, "//ul[@class='findings']/li"))
    assert "36 months" in findings and "retention" in findings
    links = page.xpath("//dl[@class='facts']//a/@href")
    assert sum(1 for link in links if re.fullmatch(r"/versions/\d+", link)) == 2
    assert any(link.endswith("/kestrel/privacy") for link in links)
    assert "material" in texts(page, "//p[@class='marks']")[0]


def test_version_page_shows_the_text_and_its_as_of_dates(client, history):
    with Store(history.db, readonly=True) as store:
        [(document_id, _)] = store.document_ids("Kestrel Mail")
        first, latest = store.versions(document_id)[-1], store.versions(document_id)[0]
    old = document(client.get(f"/versions/{first.id}"))
    assert "within 14 days" in " ".join(texts(old, "//article[@class='policy']"))
    [period] = texts(old, "//ul[@class='periods']/li")
    assert "first recorded version" in period and "until" in period and "change #" in period
    assert old.xpath(f"//a[@href='/versions/{first.id}/raw']")
    current = document(client.get(f"/versions/{latest.id}"))
    assert "this is the current version" in " ".join(texts(current, "//ul[@class='periods']/li"))


def test_raw_page_is_a_download_never_html(client, history):
    with Store(history.db, readonly=True) as store:
        [(document_id, _)] = store.document_ids("Angle & Bracket Labs")
        version = store.versions(document_id)[0]
    response = client.get(f"/versions/{version.id}/raw")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert b"Angle &amp; Bracket Labs" in response.content  # the page exactly as fetched


def test_as_of_form_leads_to_the_version_in_force_on_that_date(client, history):
    with Store(history.db, readonly=True) as store:
        [(document_id, _)] = store.document_ids("Kestrel Mail")
        latest = store.latest_version(document_id)
    assert latest is not None
    found = client.get(f"/documents/{document_id}/as-of?date={latest.first_seen:%Y-%m-%d}")
    assert found.status_code == 303 and found.headers["location"].startswith(f"/versions/{latest.id}?")
    page = document(client.get(found.headers["location"]))
    assert "in force at" in texts(page, "//p[@class='notice']")[0]
    first = store_versions(history, "Kestrel Mail")[-1]
    claimed = document(client.get(f"/versions/{first.id}?as_of={latest.first_seen:%Y-%m-%d}"))
    assert not claimed.xpath("//p[@class='notice']")  # a crafted URL cannot make the page claim it
    before = client.get(f"/documents/{document_id}/as-of?date=2001-01-01")
    assert before.status_code == 404 and "no version was recorded yet" in before.text
    assert client.get(f"/documents/{document_id}/as-of?date=yesterday").status_code == 400


def test_search_finds_a_phrase_of_the_new_version_and_says_when_it_appeared(client, history):
    page = document(client.get("/search", params={"q": "lantern insights scans"}))
    [hit] = page.xpath("//article[@class='hit']")
    assert texts(hit, ".//h2/a") == ["Kestrel Mail"]
    assert "in the current version" in texts(hit, ".//h2")[0]
    assert [m.lower() for m in texts(hit, ".//mark")] == ["lantern insights scans"]
    assert f"change #{change_id(history, 'Kestrel Mail')}" in " ".join(texts(hit, ".//dd"))


def test_search_says_when_a_phrase_disappeared(client, history):
    page = document(client.get("/search", params={"q": "within 14 days"}))
    [hit] = page.xpath("//article[@class='hit']")
    assert "no longer in the policy" in texts(hit, ".//h2")[0]
    facts = dict(zip(texts(hit, ".//dt"), texts(hit, ".//dd"), strict=True))
    assert f"change #{change_id(history, 'Kestrel Mail')}" in facts["Disappeared"]


def test_search_without_a_match_says_so(client):
    page = document(client.get("/search", params={"q": "quantum ledger"}))
    assert "No stored version mentions" in texts(page, "//p[@class='summary']")[0]


def test_feed_is_atom_with_an_entry_per_change_linking_to_its_page(client):
    response = client.get("/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    assert any(title.startswith("Kestrel Mail / Privacy Policy: material change") for title in titles)
    for entry in entries:
        link = entry.find(f"{ATOM}link").get("href")
        assert client.get(httpx.URL(link).path).status_code == 200


def test_feed_filters_by_vendor_and_severity(client):
    def entries(**params: str) -> list[ElementTree.Element]:
        response = client.get("/feed.atom", params=params)
        assert response.status_code == 200
        return ElementTree.fromstring(response.content).findall(f"{ATOM}entry")

    assert len(entries(vendor="kestrel mail")) == 1
    assert all("material" in e.findtext(f"{ATOM}title") for e in entries(severity="material"))
    assert client.get("/feed.atom", params={"severity": "loud"}).status_code == 400
    assert client.get("/feed.atom", params={"vendor": "Nobody"}).status_code == 404


def test_api_gives_the_same_data_as_json(client, history):
    vendors = client.get("/api/vendors").json()
    assert {v["vendor"] for v in vendors} == {"Kestrel Mail", "Angle & Bracket Labs"}
    change = client.get(f"/api/changes/{change_id(history, 'Kestrel Mail')}").json()
    assert change["severity"] == "material" and any("36 months" in h["after"] for h in change["hunks"])
    found = client.get("/api/search", params={"q": "lantern insights"}).json()
    assert [r["vendor"] for r in found["results"]] == ["Kestrel Mail"]
    assert client.get("/api/search", params={"q": "?!"}).status_code == 400
    assert client.get("/api/changes/9999").json() == {"error": "no change 9999 in the history"}


def test_behind_a_proxy_links_stay_under_the_public_url_path(history):
    with WebServer(create_app(history.db, public_url=PUBLIC_URL)) as server, httpx.Client() as http:
        proxied = lxml_html.fromstring(http.get(server.url("/history/")).text)
        links = proxied.xpath("//main//a/@href")
        assert links and all(link.startswith("/history/") for link in links)
        assert http.get(server.url("/")).status_code == 200  # and straight on 127.0.0.1 too
        assert http.get(server.url(links[0])).status_code == 200
        feed = ElementTree.fromstring(http.get(server.url("/history/feed.atom")).content)
        assert feed.find(f"{ATOM}entry/{ATOM}link").get("href").startswith(f"{PUBLIC_URL}/changes/")


def test_alert_links_open_the_change_page(client, history):
    [alert] = [m for m in history.slack_messages if "Kestrel Mail" in json.dumps(m)]
    links = re.findall(re.escape(PUBLIC_URL) + r"(/changes/\d+)", json.dumps(alert))
    assert links and client.get(links[0]).status_code == 200


# ------------------------------------------------------------------------------------------ safety


def test_markup_in_policy_text_comes_back_escaped_on_every_page(client, history):
    angle = change_id(history, "Angle & Bracket Labs")
    with Store(history.db, readonly=True) as store:
        [(document_id, _)] = store.document_ids("Angle & Bracket Labs")
        version = store.versions(document_id)[0].id
    for path in (
        f"/versions/{version}",
        f"/changes/{angle}",
        f"/changes/{angle}?view=side",
        "/search?q=policy-xss",
        "/search?q=onmouseover",
        "/vendors/Angle%20%26%20Bracket%20Labs",
    ):
        body = client.get(path).text
        assert "<script>alert" not in body and "<img src=x" not in body and "<b onmouseover" not in body, path
        page = lxml_html.fromstring(body)
        assert not page.xpath("//script | //img | //*[@onerror] | //*[@onmouseover]"), path
    version_text = " ".join(texts(document(client.get(f"/versions/{version}")), "//article"))
    assert '<script>alert("policy-xss")</script>' in version_text  # shown as text, exactly as the vendor wrote it
    feed = client.get("/feed.atom", params={"vendor": "Angle & Bracket Labs"})
    ElementTree.fromstring(feed.content)  # still well-formed


def test_every_response_carries_the_security_headers(client, history):
    for path in ("/", "/search?q=x", "/feed.atom", "/api/vendors", "/static/style.css", "/nowhere"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["content-security-policy"], path
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff", path


def test_the_browser_never_writes(client):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = client.request(method, "/")
        assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD", method
    assert client.head("/").status_code == 200


def test_the_database_is_opened_read_only(history):
    app = create_app(history.db)
    try:
        with app.state.readers.reading() as store, pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.db.execute("DELETE FROM changes")
    finally:
        app.state.readers.close()


def test_templates_never_mark_text_safe():
    for template in (Path(__file__).resolve().parent.parent / "watcher" / "web").rglob("*.html"):
        source = template.read_text()
        assert "|safe" not in source.replace(" ", "") and "autoescape false" not in source, template


def test_unknown_pages_say_not_found(client):
    missing = client.get("/vendors/Nobody")
    assert missing.status_code == 404 and "no vendor &#39;Nobody&#39;" in missing.text
    assert client.get("/changes/9999").status_code == 404
    assert client.get(f"/versions/{2**70}").status_code == 404
    assert client.get("/api/nowhere").json() == {"error": "There is no such page."}


def test_a_token_is_required_when_configured(history):
    with WebServer(create_app(history.db, token="s3cret-token")) as server, httpx.Client() as http:
        assert http.get(server.url("/")).status_code == 401
        assert http.get(server.url("/"), headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert http.get(server.url("/"), headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        assert http.get(server.url("/feed.atom"), auth=("feed-reader", "s3cret-token")).status_code == 200


def test_basic_auth_is_required_when_configured(history):
    with WebServer(create_app(history.db, basic_auth=("auditor", "pa:ss"))) as server, httpx.Client() as http:
        refused = http.get(server.url("/"))
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
        assert http.get(server.url("/"), auth=("auditor", "wrong")).status_code == 401
        assert http.get(server.url("/"), auth=("auditor", "pa:ss")).status_code == 200


def test_unknown_host_names_are_refused_when_hosts_are_listed(history):
    app = create_app(history.db, allowed_hosts=["127.0.0.1", "localhost"])
    with WebServer(app) as server, httpx.Client() as http:
        assert http.get(server.url("/")).status_code == 200
        assert http.get(server.url("/"), headers={"Host": "rebound.example"}).status_code == 400


def test_serve_refuses_a_non_loopback_address_without_credentials(history):
    result = CliRunner().invoke(main, ["serve", "--db", str(history.db), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--token" in result.output
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("watcher.example")
    check_binding("0.0.0.0", token="t", basic_auth=None)  # allowed with a token


# ----------------------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser(web):
    """Chromium through Playwright's sync API, started after `web`: that API keeps an asyncio loop running in
    this thread, and `history` runs the CLI, whose asyncio.run() cannot start inside one."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests (.ci/run installs chromium)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()
    assert dialogs == [], f"policy text ran as script: {dialogs}"


def screenshot(tab, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def test_browser_clicks_from_the_dashboard_to_a_vendor_to_its_change(page, web):
    page.goto(web.url("/"))
    screenshot(page, "dashboard")
    page.get_by_role("link", name="Kestrel Mail", exact=True).click()
    page.wait_for_url(re.compile(r"/vendors/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Kestrel Mail"
    page.get_by_role("link", name=re.compile(r"^change #\d+$")).first.click()
    page.wait_for_url(re.compile(r"/changes/\d+$"))
    deleted = " ".join(page.locator("del").all_inner_texts())
    inserted = " ".join(page.locator("ins").all_inner_texts())
    assert "14" in deleted and "36 months" in inserted and "Lantern Insights" in inserted
    screenshot(page, "change-inline")
    page.get_by_role("link", name="Side by side").click()
    page.wait_for_url(re.compile(r"view=side"))
    assert "36 months" in " ".join(page.locator(".side-new ins").all_inner_texts())
    assert "36 months" not in " ".join(page.locator(".side-old").all_inner_texts())
    screenshot(page, "change-side-by-side")


def test_browser_searches_a_phrase_with_the_form(page, web):
    page.goto(web.url("/"))
    page.get_by_label("Search all versions").fill("Lantern Insights")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=Lantern"))
    assert [m.lower() for m in page.locator("article.hit mark").all_inner_texts()] == ["lantern insights"]
    assert page.locator("article.hit h2 a").all_inner_texts() == ["Kestrel Mail"]
    screenshot(page, "search")


def test_browser_shows_policy_markup_as_text_and_runs_none_of_it(page, web, history):
    with Store(history.db, readonly=True) as store:
        [(document_id, _)] = store.document_ids("Angle & Bracket Labs")
        version = store.versions(document_id)[0].id
    page.goto(web.url(f"/versions/{version}"))
    assert '<script>alert("policy-xss")</script>' in page.locator("article.policy").inner_text()
    page.goto(web.url(f"/changes/{change_id(history, 'Angle & Bracket Labs')}"))
    assert "<b onmouseover=alert(2)>" in " ".join(page.locator("ins").all_inner_texts())
    page.locator("ins").first.hover()
    screenshot(page, "markup-escaped")


def test_browser_keyboard_reaches_the_skip_link_and_content(page, web):
    page.goto(web.url("/"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_browser_reads_on_a_phone_width_screen(browser, web, history):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    tab = context.new_page()
    try:
        for name, path in (
            ("dashboard", "/"),
            ("vendor", "/vendors/Kestrel%20Mail"),
            ("change", f"/changes/{change_id(history, 'Kestrel Mail')}?view=side"),
        ):
            tab.goto(web.url(path))
            overflow = tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
            screenshot(tab, f"phone-{name}")
    finally:
        context.close()
