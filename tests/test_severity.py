"""assess(): crafted pairs of policy versions and the severity, categories and findings a reader would see."""

from __future__ import annotations

from policies import policy

from watcher.classify import DEFAULT_WATCHED, assess, categorize
from watcher.classify.severity import is_cosmetic
from watcher.diff import diff_policies
from watcher.models import Assessment, Diff, Hunk, HunkKind, Severity

POLICY = """
# Acme Privacy Notice

Last updated: March 1, 2024. Read the full terms at https://acme.example/terms?v=3.

# What we collect

We collect your name, e-mail address and billing details when you create an account.

We collect usage data such as the pages you visit and the features you use.

# Who we share with

We use Mixpanel and Zendesk to run the service. We do not sell your personal information.

# How long we keep data

We retain account data for 30 days after you close your account.

# Children

The service is not directed to children under 13.

# Your rights

You have the right to access, correct and delete your data, and to data portability.

# Contact us

Write to privacy@acme.example with any question about this notice.
"""


def assess_change(old: str, new: str, **kwargs) -> Assessment:
    assert old != new, "the edit did not apply"
    return assess(diff_policies(policy(old), policy(new)), **kwargs)


def edit(old: str, new: str) -> Assessment:
    """Assess POLICY with one phrase replaced."""
    return assess_change(POLICY, POLICY.replace(old, new))


def summaries(assessment: Assessment) -> list[str]:
    return [finding.summary for finding in assessment.findings]


# ---------------------------------------------------------------------------------------- no change


def test_no_hunks_is_none():
    assessment = assess(Diff(hunks=()))
    assert assessment == Assessment(Severity.NONE)


# -------------------------------------------------------------------------------------------- cosmetic


def test_date_only_change_is_cosmetic():
    assert edit("Last updated: March 1, 2024", "Last updated: 2025-06-12").severity is Severity.COSMETIC


def test_moved_paragraph_is_cosmetic():
    moved = POLICY.replace(
        "We collect usage data such as the pages you visit and the features you use.\n\n", ""
    ).replace(
        "We retain account data",
        "We collect usage data such as the pages you visit and the features you use.\n\nWe retain account data",
    )
    diff = diff_policies(policy(POLICY), policy(moved))
    assert diff.moved == 1
    assert assess(diff) == Assessment(Severity.COSMETIC)


def test_typo_fix_is_cosmetic():
    assert edit("billing details", "biling details").severity is Severity.COSMETIC


def test_link_change_is_cosmetic():
    assert edit("https://acme.example/terms?v=3", "https://legal.acme.example/terms").severity is Severity.COSMETIC


def test_whitespace_case_and_quote_changes_are_cosmetic():
    spacing = Hunk(HunkKind.CHANGED, "", "We use Mixpanel and Zendesk.", " We  use\u00a0Mixpanel and\tZendesk. ")
    assert is_cosmetic(spacing)
    assert edit("correct and delete your data", "Correct and Delete your data").severity is Severity.COSMETIC
    assert edit("any question about this notice.", "any “question” about this notice!").severity is Severity.COSMETIC
    assert edit("e-mail address", "email address").severity is Severity.COSMETIC


def test_paragraph_split_in_two_is_cosmetic():
    split = POLICY.replace("to run the service. We do not sell", "to run the service.\n\nWe do not sell")
    assert assess_change(POLICY, split).severity is Severity.COSMETIC


def test_renumbered_heading_is_cosmetic():
    renumbered = POLICY.replace("# Children", "# 5. Children")
    before = assess_change(renumbered, renumbered.replace("# 5. Children", "# 6. Children"))
    assert before.severity is Severity.COSMETIC


def test_expanded_contraction_and_a_doubled_word_removed_are_cosmetic():
    doubled = POLICY.replace("We do not sell", "We don’t sell").replace("any question", "any any question")
    assert assess_change(doubled, POLICY).severity is Severity.COSMETIC


def test_a_changed_number_is_never_a_typo():
    hunk = Hunk(HunkKind.CHANGED, "Retention", "We keep logs for 30 days.", "We keep logs for 60 days.")
    assert not is_cosmetic(hunk)


def test_a_one_letter_change_of_meaning_is_not_a_typo():
    assert edit("We do not sell", "We do now sell").severity is Severity.MATERIAL


# -------------------------------------------------------------------------------------------- material


def test_changed_retention_period_is_material_with_the_periods():
    assessment = edit("for 30 days after", "for 24 months after")
    assert assessment.severity is Severity.MATERIAL
    assert assessment.categories == ("retention",)
    (finding,) = assessment.findings
    assert finding.summary == "retention: 30 days -> 24 months (account data)"
    assert finding.before == "We retain account data for 30 days after you close your account."
    assert finding.after == "We retain account data for 24 months after you close your account."
    assert finding.section == "How long we keep data"


def test_added_processor_is_material_sharing():
    assessment = edit("We use Mixpanel and Zendesk", "We use Mixpanel, Segment and Zendesk")
    assert assessment.severity is Severity.MATERIAL
    assert "sharing" in assessment.categories
    assert summaries(assessment) == ["new third party: Segment"]
    assert assessment.findings[0].category == "sharing"


def test_removed_right_is_material_rights():
    assessment = edit("delete your data, and to data portability.", "delete your data.")
    assert assessment.severity is Severity.MATERIAL
    assert assessment.categories == ("rights",)
    assert summaries(assessment) == ["right removed: portability"]


def test_removed_no_sale_statement_is_material_sharing():
    assessment = edit(" We do not sell your personal information.", "")
    assert assessment.severity is Severity.MATERIAL
    assert summaries(assessment) == ["sale: 'we do not sell' statement removed"]
    assert assessment.findings[0].before == "We do not sell your personal information."


def test_raised_age_threshold_is_material_audiences():
    assessment = edit("children under 13.", "children under 16.")
    assert assessment.severity is Severity.MATERIAL
    assert assessment.categories == ("audiences",)
    assert summaries(assessment) == ["age threshold: 13 -> 16"]


def test_substantive_change_without_a_fact_gets_a_finding_saying_what_changed():
    assessment = edit("to run the service.", "to run the service and to train our recommendation models.")
    assert assessment.severity is Severity.MATERIAL
    (finding,) = assessment.findings
    assert finding.summary == "sharing: paragraph changed in 'Who we share with'"
    assert finding.before == "We use Mixpanel and Zendesk to run the service."
    assert finding.after == "We use Mixpanel and Zendesk to run the service and to train our recommendation models."


def test_added_section_reports_its_heading_and_paragraph():
    added = POLICY.replace(
        "# Your rights",
        "# Security\n\nWe encrypt data at rest and in transit.\n\n# Your rights",
    )
    assessment = assess_change(POLICY, added)
    assert assessment.severity is Severity.MATERIAL
    assert summaries(assessment) == [
        "security: heading added: 'Security'",
        "security: paragraph added in 'Security'",
    ]


# ----------------------------------------------------------------------------------------------- minor


def test_contact_email_change_is_minor():
    assessment = edit("privacy@acme.example", "dpo@acme.example")
    assert assessment.severity is Severity.MINOR
    assert assessment.categories == ("contact",)
    (finding,) = assessment.findings
    assert finding.summary == "contact: paragraph changed in 'Contact us'"
    assert "dpo@acme.example" in finding.after


def test_new_e_mail_address_in_a_rights_sentence_is_a_minor_contact_change():
    with_address = POLICY.replace(
        "delete your data, and to data portability.",
        "delete your data, and to data portability: write to rights@acme.example.",
    )
    assessment = assess_change(with_address, with_address.replace("rights@acme.example", "dpo@acme.example"))
    assert assessment.severity is Severity.MINOR
    assert assessment.categories == ("contact",)


def test_company_naming_itself_differently_is_minor():
    assessment = edit("We collect your name", "The Company collects your name")
    assert assessment.severity is Severity.MINOR
    assert summaries(assessment) == ["collection: paragraph changed in 'What we collect' (wording only)"]


def test_can_and_may_say_the_same():
    assessment = edit("We use Mixpanel and Zendesk", "We can use Mixpanel and Zendesk")
    assert assessment.severity is Severity.MATERIAL  # "can" came: the sentence now commits to less
    swapped = POLICY.replace("We use Mixpanel and Zendesk", "We can use Mixpanel and Zendesk")
    assessment = assess_change(swapped, swapped.replace("We can use", "We may use"))
    assert assessment.severity is Severity.MINOR


def test_will_turned_into_may_is_material():
    with_will = POLICY.replace("We use Mixpanel and Zendesk", "We will use Mixpanel and Zendesk")
    assessment = assess_change(with_will, with_will.replace("We will use", "We may use"))
    assert assessment.severity is Severity.MATERIAL


def test_change_in_how_the_policy_announces_changes_is_minor():
    with_notice = POLICY.replace(
        "# Contact us", "# Changes to this notice\n\nWe will notify you of material changes by e-mail.\n\n# Contact us"
    )
    changed = with_notice.replace("by e-mail.", "by a notice on this page.")
    assessment = assess_change(with_notice, changed)
    assert assessment.severity is Severity.MINOR
    assert assessment.categories == ("policy_change",)


def test_unwatched_category_is_minor():
    watched = DEFAULT_WATCHED - {"retention"}
    assessment = assess_change(POLICY, POLICY.replace("for 30 days", "for 24 months"), watched=watched)
    assert assessment.severity is Severity.MINOR
    assert summaries(assessment) == ["retention: 30 days -> 24 months (account data)"]


# ---------------------------------------------------------------------------------------- the whole


def test_several_changes_sorted_by_severity_then_position_without_duplicates():
    changed = (
        POLICY.replace("privacy@acme.example", "dpo@acme.example")
        .replace("We use Mixpanel and Zendesk", "We use Segment and Zendesk")
        .replace("children under 13.", "children under 16.")
        .replace("Last updated: March 1, 2024", "Last updated: June 1, 2025")
    )
    assessment = assess_change(POLICY, changed)
    assert assessment.severity is Severity.MATERIAL
    assert assessment.categories == ("audiences", "contact", "sharing")
    assert summaries(assessment) == [
        "third party removed: Mixpanel",
        "new third party: Segment",
        "age threshold: 13 -> 16",
        "contact: paragraph changed in 'Contact us'",
    ]
    assert assess_change(POLICY, changed) == assessment


def test_default_watched_is_everything_but_policy_change_and_contact():
    assert "policy_change" not in DEFAULT_WATCHED
    assert "contact" not in DEFAULT_WATCHED
    assert len(DEFAULT_WATCHED) == 8


def test_categorize_is_multi_label_and_empty_for_other_text():
    assert categorize("We share your e-mail address with advertising partners.") == ("sharing",)
    assert set(categorize("We collect your e-mail address and keep it for 30 days.")) >= {"collection", "retention"}
    assert categorize("Welcome to Acme!") == ()


def test_a_third_party_already_named_elsewhere_is_not_new():
    analytics = "# Analytics\n\nWe measure usage with Mixpanel.\n\n"
    old = analytics + "# Sharing\n\nWe share data with our hosting provider."
    new = analytics + "# Sharing\n\nWe share data with our hosting provider and Mixpanel."
    assert not any("new third party" in s for s in summaries(assess_change(old, new)))


def test_a_newly_named_third_party_is_new():
    old = "# Sharing\n\nWe share data with our hosting provider."
    new = "# Sharing\n\nWe share data with our hosting provider and Segment."
    assert "new third party: Segment" in summaries(assess_change(old, new))


def test_the_vendor_itself_is_never_a_third_party():
    old = "# Sharing\n\nWe share data with our hosting provider."
    new = "# Sharing\n\nWe share data with Stripe and with Acme Payments Inc. affiliates."
    found = summaries(assess_change(old, new, vendor="Acme Payments"))
    assert "new third party: Stripe" in found
    assert not any("Acme" in s for s in found)


def test_a_right_the_policy_grants_elsewhere_is_not_added_when_a_section_repeats_it():
    eea = POLICY.replace(
        "# Contact us",
        "# EEA residents\n\nIn the EEA, you have the right to access and delete your data.\n\n# Contact us",
    )
    assert not any(s.startswith("right added") for s in summaries(assess_change(POLICY, eea)))


def test_a_right_still_granted_elsewhere_is_not_removed_when_one_statement_of_it_goes():
    eea = POLICY.replace(
        "# Contact us", "# EEA residents\n\nIn the EEA, you have the right to data portability.\n\n# Contact us"
    )
    assert not any(s.startswith("right removed") for s in summaries(assess_change(eea, POLICY)))
    assert "right removed: portability" in summaries(
        edit("delete your data, and to data portability.", "delete your data.")
    )


def test_a_transfer_mechanism_named_elsewhere_is_not_added():
    transfers = "# Transfers\n\nWe transfer data to the U.S. under Standard Contractual Clauses.\n\n"
    old = transfers + "# Processors\n\nOur processors are located in the EU."
    new = transfers + "# Processors\n\nOur processors are located in the EU or bound by Standard Contractual Clauses."
    assert not any("transfer mechanism added" in s for s in summaries(assess_change(old, new)))
    assert "transfer mechanism added: Standard Contractual Clauses" in summaries(
        assess_change("# Processors\n\nOur processors are located in the EU.", new.split("\n\n", 2)[2])
    )


def test_a_no_sale_statement_that_another_paragraph_keeps_is_not_removed():
    twice = POLICY.replace("# Contact us", "# California\n\nWe do not sell your personal information.\n\n# Contact us")
    found = summaries(assess_change(twice, twice.replace(" We do not sell your personal information.", "", 1)))
    assert not any(s.startswith("sale:") for s in found)


# ------------------------------------------------------------------- noise that is not a material change


def test_an_e_mail_address_hidden_by_the_page_is_a_contact_change():
    with_address = POLICY.replace("and to data portability.", "and to data portability: write to rights@acme.example.")
    # Cloudflare replaces addresses with "[email protected]" on pages it serves
    assessment = assess_change(with_address, with_address.replace("rights@acme.example", "[email protected]"))
    assert assessment.severity is Severity.MINOR
    assert assessment.categories == ("contact",)


def test_a_link_written_without_its_scheme_is_a_link():
    with_link = POLICY.replace("with any question", "at help.acme.example/privacy with any question")
    moved_link = with_link.replace("help.acme.example/privacy", "support.acme.example/forms/privacy")
    assert assess_change(with_link, moved_link).severity is Severity.COSMETIC


def test_a_typo_across_words_written_apart_or_together_is_cosmetic():
    with_addendum = POLICY.replace("to run the service.", "to run the service. See our Third Party Services Addendum.")
    fixed = with_addendum.replace("Third Party Services Addendum", "Third-Party Service Addendum")
    assert assess_change(with_addendum, fixed).severity is Severity.COSMETIC


def test_a_renamed_product_feature_is_minor():
    with_feature = POLICY.replace(
        "# Your rights",
        "# Location\n\nYou can turn on Location History to keep a private map of where you go.\n\n# Your rights",
    )
    renamed = with_feature.replace("Location History", "Timeline")
    assert assess_change(with_feature, renamed).severity is Severity.MINOR


def test_a_new_postal_address_in_a_rights_paragraph_is_minor():
    with_address = POLICY.replace(
        "and to data portability.", "and to data portability. You can also write to us at 12 Harbour Street, Dublin 2."
    )
    moved_office = with_address.replace("12 Harbour Street, Dublin 2", "40 Quay Road, Cork T12 X4")
    assert assess_change(with_address, moved_office).severity is Severity.MINOR


def test_residents_of_more_jurisdictions_given_a_right_is_material():
    with_states = POLICY.replace(
        "# Contact us",
        "# US states\n\nIf you live in Virginia or Colorado, you may appeal our decision.\n\n# Contact us",
    )
    widened = with_states.replace("Virginia or Colorado", "Virginia, Colorado, Oregon or Texas")
    assert assess_change(with_states, widened).severity is Severity.MATERIAL


def test_a_right_added_for_one_region_names_the_region_and_the_right():
    # The classifier files a practice stated for one group under audiences alone (LABELLING.md); the heading
    # and the facts still say that it is a right.
    california = (
        "# What we collect\n\nWe collect your name and e-mail address when you create an account.\n\n"
        "# California privacy rights\n\nIf you are a California resident, you may request access to your "
        "personal information.\n"
    )
    widened = california.replace("request access to", "request access to or deletion of")
    assessment = assess_change(california, widened)
    assert assessment.severity is Severity.MATERIAL
    assert {"audiences", "rights"} <= set(assessment.categories)
    assert "right added: deletion" in summaries(assessment)


def test_a_practice_stated_for_one_group_is_named_beside_the_group():
    notice = "If you live in California, you have the right to know what we collect: see our California notice."
    assessment = assess_change(POLICY, POLICY.replace("# Contact us", f"# Other notices\n\n{notice}\n\n# Contact us"))
    assert categorize(notice) == ("audiences",)  # the classifier files it under the group alone
    assert assessment.severity is Severity.MATERIAL
    assert {"audiences", "rights"} <= set(assessment.categories)
    assert summaries(assessment)[0] == "audiences: paragraph added in 'Other notices'"  # what the classifier read


def test_a_translation_added_beside_an_english_policy_is_minor():
    translated = POLICY.replace(
        "# Contact us",
        "# Aviso de privacidad\n\nRecopilamos su nombre y su dirección de correo electrónico cuando crea una cuenta "
        "para usar el servicio, y los compartimos con nuestros proveedores.\n\n# Contact us",
    )
    assessment = assess_change(POLICY, translated)
    assert assessment.severity is Severity.MINOR
    assert not any(finding.severity is Severity.MATERIAL for finding in assessment.findings)


def test_a_policy_written_in_another_language_is_still_judged():
    french = (
        "# Politique de confidentialité\n\nNous collectons votre nom et votre adresse e-mail lorsque vous créez un "
        "compte.\n\n# Partage des données\n\nNous partageons vos données avec nos prestataires de paiement."
    )
    shared_more = french.replace(
        "prestataires de paiement.",
        "prestataires de paiement et avec nos partenaires publicitaires pour vous montrer des annonces ciblées.",
    )
    assert assess_change(french, shared_more).severity is Severity.MATERIAL


def test_a_heading_added_over_unchanged_text_is_minor():
    assessment = assess_change(POLICY, POLICY.replace("# Children", "# Children's privacy\n\n# Children"))
    assert assessment.severity is Severity.MINOR
    assert summaries(assessment) == ["audiences: heading added: 'Children's privacy'"]


def test_a_sentence_moved_to_another_section_is_not_material():
    moved = POLICY.replace(" We do not sell your personal information.", "").replace(
        "the features you use.", "the features you use.\n\nWe do not sell your personal information."
    )
    assessment = assess_change(POLICY, moved)
    assert assessment.severity is Severity.MINOR
    assert not any("sale" in finding.summary for finding in assessment.findings)


def test_changed_words_that_state_no_practice_are_minor():
    with_reply = POLICY.replace("after you close your account.", "after you close your account; we reply to questions.")
    assessment = assess_change(with_reply, with_reply.replace("we reply to", "we respond to"))
    assert assessment.severity is Severity.MINOR
    assert assessment.categories == ("retention",)


def test_an_added_example_that_widens_a_practice_is_material():
    assessment = edit("usage data such as the pages", "usage data, including your precise location, such as the pages")
    assert assessment.severity is Severity.MATERIAL
    assert assessment.categories == ("collection",)


def test_a_site_banner_captured_with_the_policy_is_minor():
    with_banner = POLICY.replace(
        "# Acme Privacy Notice\n",
        "# Acme Privacy Notice\n\nSign up for our newsletter and get 10% off your first order!\n",
    )
    assert assess_change(POLICY, with_banner).severity is Severity.MINOR


def test_a_label_or_menu_entry_added_is_minor():
    with_label = POLICY.replace("# Who we share with", "Download PDF\n\n# Who we share with")
    assert assess_change(POLICY, with_label).severity is Severity.MINOR


def test_a_new_item_in_a_list_of_collected_data_is_material():
    with_item = POLICY.replace("the features you use.", "the features you use.\n\n- Photos and videos you upload")
    assessment = assess_change(POLICY, with_item)
    assert assessment.severity is Severity.MATERIAL
    assert assessment.categories == ("collection",)


def test_a_paragraph_read_as_contact_details_is_a_minor_contact_change():
    representative = "If you are located in Brazil, please contact our representative by e-mail at brazil@acme.example."
    with_representative = POLICY.replace("and to data portability.", f"and to data portability.\n\n{representative}")
    assessment = assess_change(POLICY, with_representative)
    assert assessment.severity is Severity.MINOR
    assert summaries(assessment) == ["contact: paragraph added in 'Your rights'"]


def test_a_change_written_in_capitals_is_read():
    shouted = POLICY + "\n\n# Disclaimer\n\nWE MAY SHARE YOUR DATA WITH OUR PARTNERS."
    assessment = assess_change(shouted, shouted.replace("OUR PARTNERS.", "OUR PARTNERS AND ADVERTISERS."))
    assert assessment.severity is Severity.MATERIAL
    assert "sharing" in assessment.categories


FRENCH_POLICY = """
# Politique de confidentialité

Dernière mise à jour : 1er mars 2024.

# Données collectées

Nous collectons votre nom, votre adresse e-mail et vos coordonnées de facturation lors de la création du compte.

# Durée de conservation

Nous conservons les données de votre compte pendant un an après la clôture du compte, puis nous les supprimons.

# Vos droits

Vous disposez d'un droit d'accès, de rectification et d'effacement de vos données.
"""


def test_a_change_in_a_policy_in_another_language_is_categorized_by_its_words():
    changed = FRENCH_POLICY.replace(
        "supprimons.", "supprimons, sauf les factures que nous gardons dix ans pour nos obligations comptables."
    )
    assessment = assess_change(FRENCH_POLICY, changed)
    assert assessment.severity is Severity.MATERIAL
    assert "retention" in assessment.categories


def test_a_date_change_in_a_policy_in_another_language_is_cosmetic():
    assessment = assess_change(FRENCH_POLICY, FRENCH_POLICY.replace("1er mars 2024", "2 avril 2025"))
    assert assessment.severity is Severity.COSMETIC
