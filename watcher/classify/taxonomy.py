"""The taxonomy's categories for a piece of policy text. `categorize()` asks the trained segment classifier
(model.py); readable keyword rules, one list per category, serve where a classifier reads poorly: section
headings, and text in languages other than English.
"""

from __future__ import annotations

import re

from watcher.classify.model import categorize as categorize_by_model
from watcher.models import CATEGORIES

# Changes in these categories alert at once by default; how a policy announces changes and how to reach the
# vendor matter less than what it does with data.
DEFAULT_WATCHED: frozenset[str] = frozenset(CATEGORIES) - {"policy_change", "contact"}

# Each category is a list of patterns (lower case, matched against lower-cased text); a text carries the
# category when any pattern matches. Patterns are phrases a policy uses when it talks about that practice, not
# single ambiguous words: "share" alone is sharing, but "cookies" alone is collection and only cookie
# *controls* are choices.
_RULES: dict[str, tuple[str, ...]] = {
    "collection": (
        r"\bcollect(?:s|ed|ing|ion)?\b",
        r"\b(?:we|you) (?:receive|obtain|gather|record|process)\b",
        r"\binformation (?:we|that we|you) (?:collect|receive|obtain|provide)\b",
        r"\bwe use (?:your|this|the|such|that|these) (?:personal )?(?:data|information)\b",
        r"\b(?:ip address(?:es)?|device (?:information|identifiers?|ids?)|browser type|geolocation)\b",
        r"\b(?:location|usage|log|contact|payment|billing|biometric|health) (?:data|information)\b",
        r"\blog files?\b",
        r"\bcookies?\b|\bweb beacons?\b|\btracking (?:technolog\w+|pixels?)\b|\bpixels? tags?\b",
        r"\bpurposes? (?:of|for) (?:the )?(?:processing|which)\b",
        r"\blegal bas(?:is|es)\b|\blegitimate interests?\b|\bperformance of (?:a|the|our) contract\b",
    ),
    "sharing": (
        r"\bshar(?:e|es|ed|ing)\b",
        r"\bdisclos(?:e|es|ed|ing|ure|ures)\b",
        r"\bthird[- ]part(?:y|ies)\b",
        r"\bservice providers?\b|\b(?:sub-?)?processors?\b|\bvendors?\b",
        r"\b(?:business|advertising|marketing) partners?\b|\baffiliates?\b|\badvertisers\b",
        r"\bsell(?:s|ing)?\b|\bsold\b|\bsale of\b",
        r"\blaw enforcement\b|\bsubpoenas?\b|\bcourt orders?\b|\blegal process\b",
        r"\bmergers?\b|\bacquisitions?\b|\bbusiness transfers?\b",
    ),
    "rights": (
        r"\byour (?:\w+ )?rights\b|\bdata subject\b|\b(?:privacy|consumer|data protection) rights\b",
        r"\bright (?:to|of) (?:request |obtain )?(?:access|know|correct|rectif|delet|erasure|be forgotten"
        r"|portab|data portab|object|restrict|withdraw|opt|lodge|complain|non-discriminat|appeal)",
        r"\brequest (?:access|a copy|deletion|correction|erasure)\b",
        r"\b(?:access|correct|update|rectify|delete|erase) (?:or \w+ )?(?:to )?(?:your|the|any) (?:personal )?"
        r"(?:data|information)\b",
        r"\brectif\w+\b|\berasure\b|\bportab\w+\b|\brestrict(?:ion of)? (?:the )?processing\b",
        r"\blodge a complaint\b|\bsupervisory authorit\w+\b|\bdata protection authorit\w+\b",
        r"\b(?:access|deletion|correction|privacy) requests?\b|\bverify your (?:identity|request)\b",
        r"\bauthori[sz]ed agents?\b|\bnon-?discriminat\w+\b",
    ),
    "choices": (
        r"\bopt(?:[- ]?(?:out|in))\b|\bopting (?:out|in)\b|\bunsubscrib\w*\b",
        r"\bconsent\b",
        r"\bdo[- ]not[- ]track\b|\bglobal privacy control\b|\bgpc\b",
        r"\bcookie (?:settings|preferences|banner|consent|controls?|choices)\b",
        r"\b(?:disable|block|reject|refuse|manage|delete|decline|turn off) (?:all |some |the )?cookies\b",
        r"\bbrowser(?:'s)? settings\b|\byour choices\b|\bprivacy settings\b|\b(?:ad|account) settings\b",
        r"\byou (?:can|may) (?:choose|decline|elect|control|change)\b",
        r"\binterest-based advertising\b|\bnetwork advertising initiative\b|\bdigital advertising alliance\b",
        r"\baboutads\b|\byouronlinechoices\b",
    ),
    "retention": (
        r"\bretain(?:s|ed|ing)?\b|\bretention\b",
        r"\b(?:keep|kept|store|stored|hold|held) (?:your |the |personal |this |such |it |them |data |"
        r"information )?(?:\w+ )?(?:for|until|as long as)\b",
        r"\b(?:as|so) long as (?:is |it is |we |reasonably )?(?:necessary|needed|required)\b",
        r"\bno longer (?:than|necessary|needed|required)\b",
        r"\bdelet(?:e|ed) (?:\w+ )?(?:after|within|once|when)\b",
        r"\banonymi[sz](?:e|ed|ation)\b|\bde-?identif\w+\b|\bpurg(?:e|ed)\b|\bdestroy(?:ed)?\b",
    ),
    "security": (
        r"\bsecur(?:e|ed|ity)\b|\bsafeguards?\b|\bencrypt\w*\b|\bssl\b|\btls\b|\bfirewalls?\b",
        r"\baccess controls?\b|\bunauthori[sz]ed (?:access|disclosure|use)\b|\bbreach(?:es)?\b",
        r"\b(?:technical|organi[sz]ational|administrative|physical)(?: and \w+)? (?:measures|safeguards)\b",
        r"\bpenetration test\w*\b|\biso(?:/iec)? ?27001\b|\bsoc ?2\b|\bpasswords?\b",
    ),
    "audiences": (
        r"\bchild(?:ren|ren's|'s)?\b|\bminors?\b|\bkids?\b|\bteen(?:s|agers?)?\b|\bcoppa\b",
        r"\bunder (?:the age of )?\d{1,2}\b|\byears of age\b|\byears old\b|\bparents?\b|\bguardians?\b",
        r"\bcalifornia\b|\bccpa\b|\bcpra\b|\bshine the light\b|\bnevada\b|\bvirginia\b|\bcolorado\b",
        r"\bconnecticut\b|\butah\b|\btexas\b|\bresidents? of\b",
        r"\beuropean (?:economic area|union)\b|\beea\b|\beu\b|\buk\b|\bunited kingdom\b|\bswitzerland\b",
        r"\bgdpr\b|\bbrazil\w*\b|\blgpd\b|\bcanad\w+\b|\bpipeda\b|\baustralia\w*\b|\bjapan\w*\b",
    ),
    "transfers": (
        r"\b(?:international|cross-border|overseas) (?:data )?transfers?\b",
        r"\btransfer(?:s|red|ring)? (?:\w+ ){0,3}?(?:to|outside|across|from) (?:the )?(?:united states|u\.?s\.?"
        r"|other countries|third countries|countries|jurisdictions|outside|eea|european)\b",
        r"\bstandard contractual clauses\b|\badequacy decisions?\b|\bprivacy shield\b",
        r"\bdata privacy framework\b|\bbinding corporate rules\b",
        r"\boutside (?:of )?(?:the )?(?:eea|european economic area|eu|uk|united kingdom|your country)\b",
        r"\bcountries (?:other than|outside)\b",
    ),
    "policy_change": (
        r"\b(?:changes?|updates?|modifications?|amendments?|revisions?) (?:to|of) (?:this|our|the) "
        r"(?:privacy )?(?:policy|notice|statement)\b",
        r"\b(?:update|change|modify|amend|revise)s? (?:this|our|the) (?:privacy )?(?:policy|notice|statement)",
        r"\blast (?:updated|modified|revised)\b|\beffective date\b|\bmaterial changes?\b",
        r"\b(?:notify|inform) you (?:of|about) (?:any )?(?:material )?changes\b",
    ),
    "contact": (
        r"\bcontact us\b|\b(?:e-?mail|write to|reach|call) us\b|\bmailing address\b",
        r"\bdata protection officer\b|\bdpo\b|\bprivacy officer\b|\bdata controller\b|\bcontroller\b",
        r"\bquestions (?:or \w+ )?(?:about|regarding|concerning)\b",
        r"[\w.+-]+@[\w-]+\.[\w.-]+",
        r"\b(?:phone|telephone|tel)(?: us)?(?: at|:)|\bregistered (?:office|address)\b",
        r"\brepresentative in the (?:eu|uk|european union|united kingdom)\b",
    ),
}


def _compile(rules: dict[str, tuple[str, ...]]) -> dict[str, re.Pattern[str]]:
    """One pattern per category, matched against lower-cased text (IGNORECASE would double the cost)."""
    assert set(rules) == set(CATEGORIES), "every category needs rules"
    return {category: re.compile("|".join(f"(?:{p})" for p in patterns)) for category, patterns in rules.items()}


def _matching(compiled: dict[str, re.Pattern[str]], text: str) -> tuple[str, ...]:
    text = text.lower()
    return tuple(category for category in CATEGORIES if compiled[category].search(text))


_COMPILED = _compile(_RULES)


def categorize(text: str) -> tuple[str, ...]:
    """The categories `text` talks about, in taxonomy order; empty means "other". The trained segment
    classifier (model.py) decides; see training/ for its data and measured accuracy."""
    return categorize_by_model(text)


def categorize_by_rules(text: str) -> tuple[str, ...]:
    """The keyword rules: kept for short texts such as section headings, where they are more reliable."""
    return _matching(_COMPILED, text)


# The same categories in the other languages policies are most often written in here (French, German, Spanish,
# Italian, Portuguese, Dutch): the trained classifier reads English only, so a change in a policy written in one of
# them is categorized by these words. Matched against lower-cased text.
_OTHER_LANGUAGE_RULES: dict[str, tuple[str, ...]] = {
    "collection": (
        r"\bcollect(?:e|es|ons|ée|ées|és?|er)\b|\bdonnées (?:personnelles|à caractère personnel)\b|\bfinalités?\b",
        r"\bbase (?:légale|juridique)\b|\bintérêt légitime\b|\btraceurs?\b",
        r"\berhebe?n\b|\berhoben\b|\bverarbeit\w*\b|\bpersonenbezogene\w* daten\b|\brechtsgrundlage\b",
        r"\brecopil\w+\b|\brecab\w+\b|\bdatos personales\b|\bfinalidad\w*\b|\binterés legítimo\b",
        r"\braccol\w+\b|\bdati personali\b|\bfinalità\b|\blegittimo interesse\b",
        r"\bcolet\w+\b|\bdados pessoais\b|\binteresse legítimo\b",
        r"\bverzamel\w*\b|\bpersoonsgegevens\b|\bverwerk\w*\b|\bgerechtvaardigd belang\b",
    ),
    "sharing": (
        r"\bpartag\w+\b|\bdestinataires?\b|\btiers\b|\bsous-traitants?\b|\bprestataires?\b|\bvend(?:ons|re|ues?)\b",
        r"\bweitergabe\b|\bweitergegeben\b|\bempfänger\w*\b|\bdritte[nr]?\b|\bauftragsverarbeiter\w*\b",
        r"\bdienstleister\w*\b|\bcompart\w+\b|\bdestinatarios?\b|\bterceros\b|\bencargados? del tratamiento\b",
        r"\bcondivi\w+\b|\bdestinatari\b|\bterzi\b|\bresponsabili del trattamento\b",
        r"\bcompartilh\w+\b|\bpartilh\w+\b|\bterceiros\b|\bderden\b|\bverwerkers\b|\bontvangers\b",
    ),
    "rights": (
        r"\bdroits? (?:d['’]accès|de rectification|à l['’]effacement|d['’]opposition|à la portabilité|à la limitation)",
        r"\bvos droits\b|\bcnil\b|\bréclamation\b",
        r"\bauskunft\w*\b|\bberichtigung\b|\blöschung\b|\bdatenübertragbarkeit\b|\bihre rechte\b|\baufsichtsbehörde\b",
        r"\bderechos? (?:de|a) (?:acceso|rectificación|supresión|oposición|portabilidad|limitación)\b",
        r"\bsus derechos\b|\bautoridad de control\b|\breclamación\b",
        r"\bdiritt[oi] (?:di|all['’]|alla) ?(?:accesso|rettifica|cancellazione|opposizione|portabilità|limitazione)",
        r"\b(?:suoi|tuoi) diritti\b|\breclamo\b",
        r"\bdireitos? (?:de|à|ao) (?:acesso|retificação|eliminação|exclusão|oposição|portabilidade)",
        r"\bseus direitos\b|\breclamação\b",
        r"\brecht op (?:inzage|rectificatie|verwijdering|bezwaar|overdraagbaarheid|beperking)\b|\buw rechten\b",
    ),
    "choices": (
        r"\bconsentement\b|\bdésinscri\w+\b|\bdésabonn\w+\b|\bparamètres\b|\bpréférences\b",
        r"\beinwillig\w+\b|\bwiderruf\w*\b|\babmeld\w+\b|\bopt-?out\b",
        r"\bconsentimiento\b|\bdarse de baja\b|\bconfiguración\b|\bpreferencias\b",
        r"\bconsenso\b|\bdisiscri\w+\b|\bimpostazioni\b|\bpreferenze\b|\brevoca\w*\b",
        r"\bconsentimento\b|\bdescadastr\w+\b|\bconfigurações\b|\bpreferências\b|\brevogar\b",
        r"\btoestemming\b|\bafmeld\w+\b|\binstellingen\b|\bvoorkeuren\b",
    ),
    "retention": (
        r"\bconserv(?:ons|ées?|és?|er|ation)\b|\bdurée de conservation\b|\banonymis\w+\b",
        r"\bspeicherdauer\b|\baufbewahr\w+\b|\bgespeichert\b|\bgelöscht\b|\blöschfrist\w*\b|\banonymisier\w+\b",
        r"\bconserva(?:mos|rán|remos|ción)\b|\bplazo de conservación\b|\bretención\b|\banonimiz\w+\b",
        r"\bconserv(?:iamo|ati|ate|azione)\b|\bperiodo di conservazione\b|\banonimizz\w+\b",
        r"\bconserva(?:mos|remos|ção|dos)\b|\bretenção\b|\bprazo de\b|\barmazenad\w+\b",
        r"\bbewaar\w*\b|\bbewaartermijn\w*\b|\banonimis\w+\b",
    ),
    "security": (
        r"\bsécurité\b|\bchiffr\w+\b|\bmesures techniques\b|\bviolation de données\b",
        r"\bsicherheit\w*\b|\bverschlüssel\w+\b|\btechnische\w* und organisatorische\w*\b",
        r"\bseguridad\b|\bcifrad\w+\b|\bencripta\w+\b|\bmedidas técnicas\b",
        r"\bsicurezza\b|\bcrittogra\w+\b|\bmisure tecniche\b|\bsegurança\b|\bcriptogra\w+\b",
        r"\bbeveilig\w+\b|\bversleutel\w+\b",
    ),
    "audiences": (
        r"\benfants?\b|\bmineurs?\b|\bmoins de \d+ ans\b",
        r"\bkinder[n]?\b|\bminderjährig\w*\b|\bunter \d+ jahren\b",
        r"\bniños?\b|\bmenores de\b|\bmenos de \d+ años\b",
        r"\bbambini\b|\bminori\b|\bmeno di \d+ anni\b|\bcrianças\b|\bmenos de \d+ anos\b",
        r"\bkinderen\b|\bminderjarig\w*\b|\bjonger dan \d+\b",
    ),
    "transfers": (
        r"\btransferts? (?:de données|hors|vers|internationa\w+)|\bhors de l['’](?:ue|union européenne|eee)\b",
        r"\bclauses contractuelles types\b|\bdécision d['’]adéquation\b",
        r"\bdrittl(?:and|änder\w*)\b|\bstandardvertragsklauseln\b|\bangemessenheitsbeschluss\b",
        r"\btransferencias? internacional\w*\b|\bterceros países\b|\bcláusulas contractuales tipo\b",
        r"\btrasferiment[oi] (?:internazional\w+|verso|al di fuori)|\bpaesi terzi\b|\bclausole contrattuali\b",
        r"\btransferências? internaciona\w+\b|\bpaíses terceiros\b|\bcláusulas contratuais\b",
        r"\bdoorgifte\b|\bderde landen\b|\b(?:model|standaard)contractbepalingen\b",
    ),
    "policy_change": (
        r"\bmodifi\w+ (?:de |à )?(?:la|cette|notre) (?:présente )?politique\b",
        r"\bänderung\w* (?:dieser|der) datenschutz\w*\b",
        r"\bcambios? (?:en|a) (?:esta|la|nuestra) política\b",
        r"\bmodifiche (?:alla|della) (?:presente )?(?:informativa|politica)\b",
        r"\balteraç\w+ (?:nesta|desta|na) política\b|\bwijziging\w* (?:in|van) (?:dit|deze) privacy\w*\b",
    ),
    "contact": (
        r"\bcontactez-nous\b|\bnous contacter\b|\bdélégué à la protection des données\b|\bresponsable du traitement\b",
        r"\bkontakt\w*\b|\bdatenschutzbeauftragte\w*\b|\bverantwortliche\w*\b",
        r"\bcontáctenos\b|\bdelegado de protección de datos\b|\bresponsable del tratamiento\b",
        r"\bresponsabile della protezione dei dati\b|\btitolare del trattamento\b",
        r"\bencarregado\b|\bfunctionaris voor gegevensbescherming\b|\bverwerkingsverantwoordelijke\b",
        r"[\w.+-]+@[\w-]+\.[\w.-]+",
    ),
}
_OTHER_LANGUAGES_COMPILED = _compile(_OTHER_LANGUAGE_RULES)


def categorize_other_language(text: str) -> tuple[str, ...]:
    """The categories a text in French, German, Spanish, Italian, Portuguese or Dutch talks about, by keywords."""
    return _matching(_OTHER_LANGUAGES_COMPILED, text)
