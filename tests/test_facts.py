"""Fact extractors on tricky phrasings, and compare_facts' findings between two texts."""

from __future__ import annotations

import pytest

from watcher.classify.facts import (
    AGE,
    MAY_SELL,
    NO_AD_SHARING,
    NO_SALE,
    RETENTION,
    RIGHT,
    SALE,
    THIRD_PARTY,
    TRANSFER,
    compare_facts,
    excerpt_pair,
    extract_facts,
    parse_number,
    split_sentences,
)
from watcher.models import Severity


def values(text: str, kind: str, context: str = "") -> list[str]:
    return [fact.value for fact in extract_facts(text, context) if fact.kind == kind]


def summaries(old: str, new: str, section: str = "") -> list[str]:
    return [finding.summary for finding in compare_facts(old, new, section)]


# ------------------------------------------------------------------------------------------- sentences


def test_sentences_do_not_break_after_abbreviations():
    text = "We use processors (e.g. Stripe) for payments. Data stays with Acme Inc. and nobody else.\n- an item"
    assert split_sentences(text) == [
        "We use processors (e.g. Stripe) for payments.",
        "Data stays with Acme Inc. and nobody else.",
        "- an item",
    ]


@pytest.mark.parametrize(
    ("words", "number"),
    [("five", 5), ("twenty-four", 24), ("thirty six", 36), ("a", 1), ("1,000", 1000), ("one hundred", 100)],
)
def test_numbers_in_words_and_digits(words, number):
    assert parse_number(words) == number


# ------------------------------------------------------------------------------------------- retention


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("We retain account data for 30 days after you close your account.", ["30 days"]),
        ("Server logs are kept for up to 24 months.", ["up to 24 months"]),
        ("Invoices are retained for a period of five (5) years.", ["5 years"]),
        ("We keep chat transcripts for twenty-four months.", ["24 months"]),
        ("We store recordings for one year.", ["1 year"]),
        ("We will delete your data no longer than 90 days after termination.", ["up to 90 days"]),
        ("Backups are erased within 30 days of your request.", ["within 30 days"]),
        ("We retain tax records for ten (10) calendar years.", ["10 calendar years"]),
        ("We store your profile until your account is closed.", ["until the account is closed"]),
        ("We keep your files until you delete your account.", ["until the account is deleted"]),
        ("We retain your data as long as your account is active.", ["while the account is active"]),
        ("Aggregated statistics may be kept indefinitely.", ["indefinitely"]),
        ("We retain personal data for as long as necessary to provide the service.", ["as long as necessary"]),
        ("We retain usage data for a 12-month period.", ["12 months"]),
    ],
)
def test_retention_periods(sentence, expected):
    assert values(sentence, RETENTION) == expected


def test_durations_outside_a_retention_context_are_not_retention():
    assert values("Your free trial lasts 30 days.", RETENTION) == []
    assert values("In the preceding 12 months we received 40 requests.", RETENTION) == []


def test_an_age_is_not_a_retention_period():
    assert values("We delete data of children under 13 years of age.", RETENTION) == []


def test_retention_context_can_come_from_the_section_heading():
    assert values("- Support tickets: 18 months.", RETENTION, context="How long we keep data") == ["18 months"]


def test_changed_retention_period_names_both_periods_and_what_is_kept():
    (finding,) = compare_facts(
        "We retain account data for 30 days after you close your account.",
        "We retain account data for 24 months after you close your account.",
        section="Retention",
    )
    assert finding.summary == "retention: 30 days -> 24 months (account data)"
    assert finding.category == "retention"
    assert finding.severity is Severity.MATERIAL
    assert finding.before == "We retain account data for 30 days after you close your account."
    assert finding.after == "We retain account data for 24 months after you close your account."
    assert finding.section == "Retention"


def test_same_period_written_differently_is_no_finding():
    assert summaries("We keep logs for thirty (30) days.", "Logs are stored for 30 days.") == []


# ---------------------------------------------------------------------------------------- third parties


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("We use Segment to route analytics events.", ["Segment"]),
        (
            "We share data with processors such as Stripe, Google Analytics and Mixpanel.",
            ["Stripe", "Google Analytics", "Mixpanel"],
        ),
        ("Our in-app chat is powered by Intercom.", ["Intercom"]),
        ("Customer records are shared with Salesforce.", ["Salesforce"]),
        ("We rely on payment providers such as Paymentez and Kuna Pay Ltd.", ["Paymentez", "Kuna Pay"]),
        ("Our website uses the Facebook Pixel and Amazon Web Services (AWS).", ["Meta Pixel", "Amazon Web Services"]),
    ],
)
def test_named_third_parties(sentence, expected):
    assert values(sentence, THIRD_PARTY) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Segment your contacts by region in the dashboard.",
        "We share data with Law Enforcement when the law requires it.",
        "We use Cookies and similar Technologies on the Site.",
        "We use SCCs for transfers.",
        "HOW WE USE YOUR INFORMATION",
        "Follow us on Instagram",
        "Like us on Facebook",
        "View on YouTube",
    ],
)
def test_ordinary_capitalised_words_are_not_third_parties(sentence):
    assert values(sentence, THIRD_PARTY) == []


def test_a_sentence_that_shares_data_with_a_social_network_still_names_it():
    sentence = "Follow us on Instagram: when you do, we share your e-mail address with Facebook."
    assert values(sentence, THIRD_PARTY) == ["Instagram", "Meta"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Northwind is now part of the Contoso, Inc. group of companies.", ["Contoso"]),
        ("Where needed to deliver your order, Contoso, Inc. is also a controller of your personal data.", ["Contoso"]),
        ("Fabrikam Ltd and Tailspin GmbH are joint controllers for this processing.", ["Fabrikam", "Tailspin"]),
        ("We are the controller of your personal data.", []),
        ("You are the controller of the files you upload.", []),
    ],
)
def test_another_controller_or_a_new_parent_company_is_named(sentence, expected):
    assert values(sentence, THIRD_PARTY) == expected


def test_excerpts_of_a_long_paragraph_start_near_the_change():
    head = "We collect the information you give us when you create an account or contact support. " * 6
    before, after = excerpt_pair(head + "We keep logs for 30 days.", head + "We keep logs for 5 years.")
    assert before.startswith("… ") and after.startswith("… ")
    assert "30 days" in before and "5 years" in after
    assert before != after


def test_excerpts_of_a_change_near_the_start_keep_the_start():
    before, after = excerpt_pair("We keep logs for 30 days.", "We keep logs for 5 years.")
    assert (before, after) == ("We keep logs for 30 days.", "We keep logs for 5 years.")
    assert excerpt_pair("", "A new paragraph.") == ("", "A new paragraph.")


def test_added_and_removed_processors():
    assert summaries(
        "We use Mixpanel and Zendesk to run the service.",
        "We use Segment and Zendesk to run the service.",
    ) == ["third party removed: Mixpanel", "new third party: Segment"]


# ----------------------------------------------------------------------------------------------- ages


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The service is not directed to children under the age of 13.", ["13"]),
        ("We do not knowingly collect data from children under 16.", ["16"]),
        ("You must be at least 18 years old to create an account.", ["18"]),
        ("Users must be thirteen (13) years of age or older.", ["13"]),
        ("We do not knowingly collect information from minors.", ["minors"]),
        ("Children under 13 (or 16 in the EEA) may not use the app.", ["13", "16"]),
    ],
)
def test_age_thresholds(sentence, expected):
    assert values(sentence, AGE) == expected


def test_numbers_that_are_not_ages():
    assert values("We have offices in over 20 countries and serve adults.", AGE) == []


def test_raised_age_threshold():
    (finding,) = compare_facts(
        "The service is not directed to children under 13.", "The service is not directed to children under 16."
    )
    assert finding.summary == "age threshold: 13 -> 16"
    assert finding.category == "audiences"


# ----------------------------------------------------------------------------------------------- sale


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("We do not sell your personal information.", [NO_SALE]),
        ("We do not and will not sell your personal data.", [NO_SALE]),
        ("We don’t sell or rent customer lists.", [NO_SALE]),
        ("We will never sell your information.", [NO_SALE]),
        ("We have not sold personal information in the past 12 months.", [NO_SALE]),
        ("We may sell your personal information to data brokers.", [MAY_SELL]),
        ("We may share your data with partners, but we do not sell it.", [NO_SALE]),
        ("We do not share data for advertising, but we may sell aggregated data.", [MAY_SELL]),
        ("You have the right to opt out of the sale of your personal information.", []),
        ("Use the Do Not Sell My Personal Information link in the footer.", []),
        ("If we are involved in a merger or sale of assets, your data may be transferred.", []),
    ],
)
def test_sale_statements(sentence, expected):
    assert values(sentence, SALE) == expected


def test_a_sales_team_and_a_seasonal_sale_are_not_sale_statements():
    assert values("Contact our Sales team for a quote. Our annual sale starts in May.", SALE) == []


def test_sharing_for_cross_context_advertising():
    sentence = "We do not sell or share your personal information for cross-context behavioral advertising."
    assert values(sentence, SALE) == [NO_SALE, NO_AD_SHARING]


def test_removed_no_sale_statement():
    (finding,) = compare_facts(
        "We use your data to run the service. We do not sell your personal information.",
        "We use your data to run the service.",
    )
    assert finding.summary == "sale: 'we do not sell' statement removed"
    assert finding.category == "sharing"
    assert finding.before == "We do not sell your personal information."
    assert finding.after == ""


def test_no_sale_turned_into_may_sell():
    assert summaries("We never sell personal data.", "We may sell personal data to partners.") == [
        "sale: 'we do not sell' -> 'we may sell'"
    ]


def test_reworded_no_sale_statement_is_no_finding():
    assert summaries("We do not sell your personal information.", "We will never sell personal data.") == []


# --------------------------------------------------------------------------------------------- rights


def test_rights_in_a_list_sentence():
    sentence = "You have the right to access, rectify, erase, restrict or object to processing, and to portability."
    assert values(sentence, RIGHT) == ["access", "rectification", "deletion", "portability", "objection", "restriction"]


def test_consent_complaint_and_us_state_rights():
    text = (
        "You may withdraw your consent at any time and lodge a complaint with a supervisory authority. "
        "California residents have the right to opt out of the sale of personal information and will not be "
        "discriminated against for exercising it."
    )
    assert values(text, RIGHT) == [
        "withdraw consent",
        "complaint to a supervisory authority",
        "opt out of sale",
        "non-discrimination",
    ]


def test_access_to_the_service_is_not_the_right_of_access():
    assert values("From May, you may need to sign in with a linked account to get full access to Acme.", RIGHT) == []
    assert values("You may request access to the personal information we hold about you.", RIGHT) == ["access"]


def test_deleting_data_is_not_a_right_without_a_rights_context():
    assert values("We delete logs after 90 days.", RIGHT) == []
    assert values("If we would like to delete old logs, we do so after 90 days.", RIGHT) == []


def test_a_request_the_user_may_make_is_a_right():
    text = "If you would like to access, delete or rectify your data, please submit your request through our form."
    assert values(text, RIGHT) == ["access", "rectification", "deletion"]


def test_removed_right():
    assert summaries(
        "You have the right to access, correct and delete your data, and to data portability.",
        "You have the right to access, correct and delete your data.",
    ) == ["right removed: portability"]


# ------------------------------------------------------------------------------------------ transfers


def test_transfer_mechanisms():
    text = "Transfers rely on Standard Contractual Clauses and the EU-U.S. Data Privacy Framework."
    assert values(text, TRANSFER) == ["Standard Contractual Clauses", "Data Privacy Framework"]


def test_an_adequacy_determination_is_an_adequacy_decision():
    text = "We transfer data to countries with an adequacy determination by the European Commission."
    assert values(text, TRANSFER) == ["adequacy decision"]


def test_a_mechanism_no_longer_relied_on_is_not_a_mechanism():
    assert values("We no longer rely on the Privacy Shield.", TRANSFER) == []


def test_privacy_shield_replaced_by_data_privacy_framework():
    assert summaries(
        "We transfer data to the U.S. under the EU-U.S. Privacy Shield.",
        "We transfer data to the U.S. under the EU-U.S. Data Privacy Framework.",
    ) == ["transfers: Privacy Shield -> Data Privacy Framework"]


def test_porting_data_is_portability_only_when_the_user_asks():
    assert values("You may request that we port your data to another provider.", RIGHT) == ["portability"]
    assert values("We will port the data to our new data center next year.", RIGHT) == []
