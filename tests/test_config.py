"""Config: the documented examples load; every mistake names the file, the key and the problem."""

from pathlib import Path

import pytest

from watcher.config import ConfigError, load_config
from watcher.models import Severity

ROOT = Path(__file__).resolve().parent.parent

SMALLEST = """\
storage: snapshots/watcher.db
fetch:
  allow_private_networks: false   # true: vendors on loopback/private addresses (tests, intranet) are allowed
slack:
  webhook_url: ${SLACK_WEBHOOK_URL}   # optional; without Slack, alerts print to the console
vendors:
  - name: Example Vendor
    url: https://example.com/privacy   # shorthand for one document; `documents:` lists several
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def error_for(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ or {})
    return caught.value


def test_smallest_config_from_the_design_loads(tmp_path):
    config = load_config(write(tmp_path, SMALLEST), {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x"})
    assert config.storage == tmp_path / "snapshots/watcher.db"
    assert config.slack and config.slack.webhook_url == "https://hooks.slack.com/services/T/B/x"
    [target] = config.targets
    assert (target.vendor, target.document, target.url) == (
        "Example Vendor",
        "Privacy Policy",
        "https://example.com/privacy",
    )
    assert config.alerts.min_severity is Severity.MATERIAL
    assert "policy_change" not in config.alerts.watched and "retention" in config.alerts.watched
    assert config.fetch.allow_private_networks is False


def test_shipped_config_yaml_is_valid_without_slack(tmp_path):
    config = load_config(ROOT / "config.yaml", {})
    assert config.slack is None  # ${SLACK_WEBHOOK_URL:-} left unset: alerts go to the console
    assert [t.document for t in config.targets if t.vendor == "Atlassian"] == [
        "Privacy Policy",
        "Sub-processors",
    ]


def test_webhook_secret_is_not_in_repr(tmp_path):
    config = load_config(write(tmp_path, SMALLEST), {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/SECRET"})
    assert "SECRET" not in repr(config)


def test_missing_environment_variable_names_variable_and_key(tmp_path):
    error = error_for(tmp_path, SMALLEST)
    assert "SLACK_WEBHOOK_URL" in str(error)
    assert error.key == "slack.webhook_url"
    assert str(error).startswith(str(tmp_path / "config.yaml"))


def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    error = error_for(tmp_path, "fetch:\n  timout: 5\nvendors:\n  - {name: A, url: 'https://a.example/p'}\n")
    assert error.key == "fetch.timout"
    assert "did you mean 'timeout'" in str(error)
    assert error.line == 2


def test_unknown_vendor_key_is_named(tmp_path):
    error = error_for(tmp_path, "vendors:\n  - name: A\n    url: https://a.example/p\n    selector: main\n")
    assert error.key == "vendors[0].selector"
    assert "did you mean 'select'" in str(error)


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("fetch:\n  timeout: fast\n", "fetch.timeout", "must be a number"),
        ("fetch:\n  retries: -1\n", "fetch.retries", "at least 0"),
        ("fetch:\n  allow_private_networks: 'yes'\n", "fetch.allow_private_networks", "true or false"),
        ("alerts:\n  min_severity: huge\n", "alerts.min_severity", "one of cosmetic, minor, material"),
        (
            "alerts:\n  categories: [retention, cookies]\n",
            "alerts.categories[1]",
            "unknown category 'cookies'",
        ),
        ("slack:\n  token: xoxb-1\n", "slack.channel", "required with slack.token"),
    ],
)
def test_bad_values_are_named(tmp_path, text, key, words):
    error = error_for(tmp_path, text + "vendors:\n  - {name: A, url: 'https://a.example/p'}\n")
    assert error.key == key
    assert words in str(error)


@pytest.mark.parametrize(
    ("vendors", "key", "words"),
    [
        ("vendors: []\n", "vendors", "non-empty list"),
        ("", "vendors", "is missing"),
        ("vendors:\n  - {name: A, url: 'ftp://a.example/p'}\n", "vendors[0].url", "http:// or https://"),
        ("vendors:\n  - {name: A}\n", "vendors[0]", "needs a url"),
        (
            "vendors:\n  - {name: A, url: 'https://a/p'}\n  - {name: a, url: 'https://b/p'}\n",
            "vendors[1].name",
            "duplicate vendor",
        ),
        (
            "vendors:\n  - name: A\n    documents:\n      - {url: 'https://a/p'}\n      - {url: 'https://a/q'}\n",
            "vendors[0].documents[0].name",
            "required when a vendor lists several",
        ),
    ],
)
def test_bad_vendors_are_named(tmp_path, vendors, key, words):
    error = error_for(tmp_path, vendors)
    assert error.key == key
    assert words in str(error)


def test_invalid_yaml_names_the_line(tmp_path):
    error = error_for(tmp_path, "vendors:\n  - name: [A\n")
    assert "invalid YAML" in str(error)
    assert error.line


def test_select_and_remove_accept_a_string_or_a_list(tmp_path):
    config = load_config(
        write(
            tmp_path,
            "vendors:\n  - name: A\n    url: https://a.example/p\n    select: main\n    remove: [.promo, '#cookie']\n",
        ),
        {},
    )
    assert config.targets[0].select == ("main",)
    assert config.targets[0].remove == (".promo", "#cookie")


def test_cli_exits_2_naming_the_key(tmp_path):
    from click.testing import CliRunner

    from watcher.cli import main

    path = write(tmp_path, "fetch:\n  timeout: soon\n  colour: blue\nvendors:\n  - {name: A, url: 'https://a/p'}\n")
    result = CliRunner().invoke(main, ["run", "--config", str(path)])
    assert result.exit_code == 2
    assert "fetch.timeout" in result.output and str(path) in result.output


def test_every_mistake_is_reported_at_once(tmp_path):
    error = error_for(
        tmp_path,
        "fetch:\n  timeout: soon\n  colour: blue\nalerts:\n  min_severity: loud\n"
        "vendors:\n  - {name: A, url: 'https://a/p', extra: 1}\n",
    )
    keys = {p.key for p in error.problems}
    assert keys == {"fetch.timeout", "fetch.colour", "alerts.min_severity", "vendors[0].extra"}
    for key in keys:
        assert key in str(error)


def test_a_secret_with_a_trailing_newline_is_refused_without_quoting_it(tmp_path):
    error = error_for(tmp_path, SMALLEST, {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/SECRET\n"})
    assert error.key == "slack.webhook_url" and "newline" in str(error)
    assert "SECRET" not in str(error)


def test_slack_timeout_is_configurable(tmp_path):
    text = SMALLEST.replace("webhook_url: ${SLACK_WEBHOOK_URL}", "webhook_url: ${SLACK_WEBHOOK_URL}\n  timeout: 2.5")
    config = load_config(write(tmp_path, text), {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x"})
    assert config.slack.timeout == 2.5
