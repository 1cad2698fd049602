"""Pages for the fault-injection, delivery and crash tests, all written for these tests.

- `kestrel_policy()`: a long (1,000+ words) privacy policy of a fictional vendor, with cosmetic and material edits.
- `FAULTS`: pages that are not the policy (anti-bot interstitials, CAPTCHA walls, login walls, soft 404s, shells,
  truncations, hostile bodies, HTTP failures) and the check outcome each must be recorded as.
- `GENUINE`: real policies that only look suspicious (they name Cloudflare, carry a reCAPTCHA contact form, say
  "if the page you requested is not found", explain how you sign in) and must be read as policies.
- `SAME_TEXT`: the policy again with a wrong or missing charset: the same text, so no new version.

The anti-bot pages imitate the structure of the interstitials that Cloudflare, Akamai, Imperva, DataDome,
PerimeterX/HUMAN, AWS WAF and CAPTCHA walls serve (their titles, markup, scripts and headers), not their text.
Vendors, addresses and identifiers are made up.
"""

from __future__ import annotations

import gzip
import json
import socket
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from localserver import LocalServer, Reply, Request, Route

from watcher.cli import main
from watcher.demo.site import render_page
from watcher.models import Outcome
from watcher.store import Check, DocumentStatus, Store

HTML = {"Content-Type": "text/html; charset=utf-8"}

# ------------------------------------------------------------------------------------------ the policy

KESTREL = "Kestrel Forms"

_KESTREL_BODY = """
<h1>Kestrel Forms Privacy Policy</h1>
<p class="updated">Last updated: {updated}</p>
<p>Kestrel Forms SAS (“Kestrel”, “we”, “us”) makes an online tool for building forms, surveys and quizzes.
This policy explains what personal data we handle when you use our website, our apps and the forms our
customers publish with Kestrel, why we handle it, who we share it with, and the choices and rights you have.
Kestrel is registered in Lyon, France, under number 812 447 903, at 14 quai de la Pêcherie, 69001 Lyon.</p>

<h2>1. Who is responsible for your data</h2>
<p>For account, billing and website data, Kestrel is the controller. For the answers people submit to a form,
the customer who published the form is the controller and Kestrel processes those answers on the customer’s
behalf, under our data processing agreement. If you filled in a form and want to know what happens to your
answers, please ask the organisation that published it first; we will help them respond to you.</p>

<h2>2. What we collect</h2>
<h3>Account data</h3>
<p>When you create an account we collect your name, your e-mail address, a password (stored only as a salted
hash), the name of your organisation and, if you choose to give them, your job title and phone number. If you
sign up with a Google or Microsoft account, we receive your name, e-mail address and profile picture from that
provider, and nothing else.</p>
<h3>Form content and responses</h3>
<p>We store the forms you build and the responses they receive, including any files respondents upload. We do
not look at response data except when you ask our support team to, when we must investigate abuse of the
service, or when the law requires it.</p>
<h3>Usage and device data</h3>
<p>Our servers record the IP address, browser type, operating system, referring page, pages visited and the
date and time of each request. In the editor we record which features you use, so that we can see which parts
of the product work and which confuse people. We do not record keystrokes or the content of fields while you
type.</p>
<h3>Payment data</h3>
<p>Payments are handled by our payment provider. We receive the card brand, the last four digits, the expiry
date and the billing address, never the full card number.</p>

<h2>3. How we use personal data</h2>
<ul>
<li>To provide the service: to host your forms, deliver responses, send notifications and keep your account
secure (performance of our contract with you).</li>
<li>To support you: to answer questions and fix problems you report (performance of contract).</li>
<li>To improve the product: to understand how features are used, measured in aggregate (our legitimate
interest in building a better product).</li>
<li>To send product news and tips, only if you opted in; you can unsubscribe with one click in any message
(consent).</li>
<li>To bill customers, keep accounting records and meet tax obligations (legal obligation).</li>
<li>To detect and stop fraud, spam forms and phishing pages built with Kestrel (legitimate interest in a safe
service).</li>
</ul>
<p>We do not sell personal data, we do not share it for cross-context behavioural advertising, and we do not
use the content of forms or responses to train machine learning models.</p>

<h2>4. Who we share data with</h2>
<p>We share personal data only with service providers who process it on our behalf and under our instructions,
bound by contracts that require confidentiality and security:</p>
<ul>
<li>Amazon Web Services EMEA SARL, for hosting in the Frankfurt and Dublin regions;</li>
<li>Postmark (ActiveCampaign LLC), for transactional e-mail such as receipts and password resets;</li>
<li>Stripe Payments Europe Ltd, for payment processing;</li>
<li>Zendesk Inc., for support tickets;</li>
<li>Functional Software Inc. (Sentry), for error reports, which may contain IP addresses{extra}.</li>
</ul>
<p>We may disclose data when the law requires it, to answer a valid request from a public authority, or to
protect the rights and safety of our users and the public. If Kestrel is merged or acquired, personal data
may pass to the new owner, who will be bound by this policy; we will tell you before that happens.</p>

<h2>5. International transfers</h2>
<p>We store data in the European Union. Some of our providers can access it from the United States. Where they
do, we rely on the EU–US Data Privacy Framework where the provider is certified, and otherwise on the European
Commission’s standard contractual clauses with additional safeguards such as encryption in transit and at
rest. You can ask us for a copy of the relevant safeguards.</p>

<h2>6. How long we keep data</h2>
<p>We keep account data while your account is open. When you close your account we delete your forms and their
responses within {retention} days, and remove them from our backups within a further 35 days. Server logs are
kept for 90 days. Invoices are kept for ten years because French accounting law requires it. Support tickets are
deleted two years after they are closed.</p>

<h2>7. How we protect data</h2>
<p>All traffic to Kestrel is encrypted with TLS 1.2 or later, and data at rest is encrypted with AES-256. Staff
access to production systems requires hardware security keys and is logged and reviewed each month. We test our
defences with an independent firm every year. If a breach affects your personal data we will inform the
supervisory authority within 72 hours and tell you without undue delay.</p>

<h2>8. Your rights</h2>
<p>You have the right to access your personal data, to correct it, to delete it, to receive it in a portable
format, to restrict or object to its processing, and to withdraw consent at any time. Most of these you can
exercise yourself in your account settings; for the rest, write to us at the address below. We answer within
one month. You also have the right to complain to the CNIL or to the supervisory authority where you live.</p>

<h2>9. Cookies</h2>
<p>We use cookies that are needed to keep you signed in and to protect forms from spam. With your consent we
also use analytics cookies to measure visits to our website. You can change your choice at any time with the
“Cookie settings” link at the bottom of every page; refusing analytics cookies does not limit what you can do.</p>

<h2>10. Children</h2>
<p>Kestrel is not meant for children under 16, and we do not knowingly collect their data. Customers who build
forms for schools or youth groups are responsible for obtaining any parental consent the law requires.</p>

<h2>11. Residents of California</h2>
<p>California residents have the right to know what personal information we collect, to delete it, to correct
it, and not to be discriminated against for exercising these rights. We do not sell or share personal
information as those terms are defined in the California Consumer Privacy Act.</p>

<h2>12. Changes to this policy</h2>
<p>When we change this policy in a way that matters we will e-mail account owners at least 30 days before the
change takes effect and show a notice in the app. Earlier versions are available on request.</p>

<h2>13. Contact</h2>
<p>Our data protection officer can be reached at {email}, or by post at Kestrel Forms SAS, Data Protection
Officer, 14 quai de la Pêcherie, 69001 Lyon, France.</p>
"""


def kestrel_policy(
    *, retention: int = 30, processor: str = "", updated: str = "3 March 2026", linked_email: bool = False
) -> str:
    """The policy body (HTML). `retention` and `processor` make material changes, `updated` and `linked_email`
    cosmetic ones."""
    email = "privacy@kestrelforms.example"
    return _KESTREL_BODY.format(
        updated=updated,
        retention=retention,
        extra=f";</li>\n<li>{escape(processor)}" if processor else "",
        email=f'<a href="mailto:{email}">{email}</a>' if linked_email else email,
    )


def cosmetic(body: str) -> str:
    """A cosmetic edit of a policy body: another date, the e-mail address turned into a link."""
    return body.replace("Last updated: 3 March 2026", "Last updated: 21 September 2026").replace(
        "reached at privacy@kestrelforms.example,",
        'reached at <a href="mailto:privacy@kestrelforms.example">privacy@kestrelforms.example</a>,',
    )


def material(body: str) -> str:
    """A material edit of the Kestrel policy: longer retention and a new analytics provider."""
    return body.replace("within 30 days", "within 18 months").replace(
        "which may contain IP addresses.</li>",
        "which may contain IP addresses;</li>\n<li>Mixpanel Inc., for product analytics and session replay.</li>",
    )


def page(vendor: str, body: str, tick: int = 0) -> str:
    """A policy body inside a site's chrome (navigation, cookie banner, tokens that change every tick)."""
    return render_page(vendor, body, tick)


def html_reply(text: str | bytes, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, text, {**HTML, **(headers or {})})


# ------------------------------------------------------------------------------------ anti-bot pages

CLOUDFLARE_JUST_A_MOMENT = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta http-equiv="X-UA-Compatible" content="IE=Edge">
<meta name="robots" content="noindex,nofollow">
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15}body{display:flex;flex-direction:column}
.main-wrapper{align-items:center;display:flex;flex:1}.spacer{margin:2rem 0}</style>
<meta http-equiv="refresh" content="390"></head>
<body class="no-js"><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">kestrelforms.example</h1>
<h2 id="challenge-running" class="h2">Checking if the site connection is secure</h2>
<noscript><div id="challenge-error-title"><div class="h2"><span class="icon-wrapper"></span>
<span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></div></noscript>
<div id="trk_jschal_js"
style="display:none;background-image:url('/cdn-cgi/images/trace/managed/nojs/transparent.gif?ray=8a1f03c2e9d14b7a')">
</div>
<div id="challenge-body-text" class="core-msg spacer">kestrelforms.example needs to review the security of
your connection before proceeding.</div>
<form id="challenge-form" action="/privacy?__cf_chl_f_tk=Qm9ndXNUb2tlbjEyMzQ1Njc4OTA" method="POST"
enctype="application/x-www-form-urlencoded"><input type="hidden" name="md" value="c2FtcGxldmFsdWU"></form>
</div></div>
<script>(function(){window._cf_chl_opt={cvId:'3',cZone:"kestrelforms.example",cType:'managed',
cNounce:'41502',cRay:'8a1f03c2e9d14b7a',cHash:'5a2b9c0d1e7f3a46'};var cpo=document.createElement('script');
cpo.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8a1f03c2e9d14b7a';
document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>
<div class="footer" role="contentinfo"><div class="footer-inner"><div class="clearfix diagnostic-wrapper">
<div class="ray-id">Ray ID: <code>8a1f03c2e9d14b7a</code></div></div>
<div class="text-center" id="footer-text">Performance &amp; security by Cloudflare</div></div></div>
</body></html>"""

CLOUDFLARE_ATTENTION_REQUIRED = """<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<!--[if gt IE 8]><!--> <html class="no-js" lang="en-US"> <!--<![endif]-->
<head><title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8" /><meta name="robots" content="noindex, nofollow" />
<link rel="stylesheet" id="cf_styles-css" href="/cdn-cgi/styles/cf.errors.css" />
</head><body><div id="cf-wrapper">
<div class="cf-alert cf-alert-error cf-cookie-error" id="cookie-alert" data-translate="enable_cookies">Please
enable cookies.</div>
<div id="cf-error-details" class="cf-error-details-wrapper"><div class="cf-wrapper cf-header cf-error-overview">
<h1 data-translate="block_headline">Sorry, you have been blocked</h1>
<h2 class="cf-subheadline"><span data-translate="unable_to_access">You are unable to access</span>
kestrelforms.example</h2></div>
<div class="cf-section cf-wrapper"><div class="cf-columns two">
<div class="cf-column"><h2 data-translate="blocked_why_headline">Why have I been blocked?</h2>
<p data-translate="blocked_why_detail">This site uses a protection service against automated attacks. Something
in your request matched one of its rules, for example a phrase, an unusual header or a malformed query.</p></div>
<div class="cf-column"><h2 data-translate="blocked_resolve_headline">What can I do to resolve this?</h2>
<p data-translate="blocked_resolve_detail">You can write to the site owner and tell them you were blocked. Say what
you were doing when this page came up and quote the Cloudflare Ray ID shown at the bottom of this page.</p></div>
</div></div>
<div class="cf-error-footer cf-wrapper w-240 lg:w-full py-10 sm:py-4 sm:px-8 mx-auto text-center">
<p class="text-13"><span class="cf-footer-item sm:block sm:mb-1">Cloudflare Ray ID:
<strong class="font-semibold">8a1f04d7be2255c1</strong></span> <span class="cf-footer-separator">&bull;</span>
<span id="cf-footer-item-ip" class="cf-footer-item">Your IP: <span class="hidden" id="cf-footer-ip">192.0.2.41</span>
</span> <span class="cf-footer-item"><span>Performance &amp; security by</span>
<a rel="noopener noreferrer" href="https://www.cloudflare.com/" target="_blank">Cloudflare</a></span></p></div>
</div></div></body></html>"""

AKAMAI_ACCESS_DENIED = """<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>

You don't have permission to access "http&#58;&#47;&#47;www&#46;kestrelforms&#46;example&#47;legal&#47;privacy"
on this server.<P>
Reference&#32;&#35;18&#46;5c2e1002&#46;1767225600&#46;2b9f11a4
<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;5c2e1002&#46;1767225600&#46;2b9f11a4</P>
</BODY>
</HTML>
"""

IMPERVA_INCIDENT = """<html style="height:100%"><head>
<META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW"><meta name="format-detection" content="telephone=no">
<meta name="viewport" content="initial-scale=1.0"><meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">
</head><body style="margin:0px;height:100%">
<iframe id="main-iframe"
src="/_Incapsula_Resource?CWUDNSAI=27&xinfo=11-48213377-0&incident_id=1190000410283746-556610493281&edet=15&mth=GET"
frameborder=0 width="100%" height="100%" marginheight="0px" marginwidth="0px">Request unsuccessful. Incapsula
incident ID: 1190000410283746-556610493281</iframe></body></html>"""

DATADOME_CAPTCHA = """<html lang="en"><head><title>kestrelforms.example</title>
<style>#cmsg{animation: A 1.5s;}@keyframes A{0%{opacity:0;}99%{opacity:0;}100%{opacity:1;}}</style></head>
<body style="margin:0"><p id="cmsg">Please enable JS and disable any ad blocker</p>
<script data-cfasync="false">var dd={'rt':'c','cid':'AHrlqAAAAAMAq7x-6dQdbxwAcQ2x0w==','hsh':'A4F1C9B27E36D05A',
't':'fe','s':41727,'e':'0b6c3f1e2d9a4c8b','host':'geo.captcha-delivery.com','cookie':'b7Yc~pQ3'}</script>
<script data-cfasync="false" src="https://ct.captcha-delivery.com/c.js"></script>
</body></html>"""

PERIMETERX_PRESS_AND_HOLD = """<!DOCTYPE html><html lang="en"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="px-captcha">
<title>Access to this page has been denied</title>
<style>.px-container{align-items:center;display:flex;flex:1;justify-content:space-between;flex-direction:column}
.page-title-wrapper{flex-grow:2}.page-title{flex-direction:column-reverse}</style>
<script>window._pxAppId = 'PXk3Xw9QaZ';window._pxJsClientSrc = '/k3Xw9QaZ/init.js';
window._pxFirstPartyEnabled = true;window._pxVid = '';window._pxUuid = '4e0f5a7c-9b1d-11ef-8c2a-0242ac120002';
window._pxHostUrl = '/k3Xw9QaZ/xhr';</script>
<script>var s = document.createElement('script');s.src = '/k3Xw9QaZ/captcha/captcha.js?a=c&u=4e0f5a7c&m=0';
var p = document.getElementsByTagName('head')[0];p.insertBefore(s, null);</script></head>
<body><section class="px-container"><div class="page-title-wrapper"><div class="page-title">
<h1 class="main-title">Before we continue...</h1></div></div>
<div class="content-wrapper"><div class="content">
<div id="px-captcha-wrapper"><div class="px-loader-wrapper"><div class="px-loader"></div></div>
<div id="px-captcha"></div></div>
<p id="px-captcha-text">Press &amp; Hold to confirm you are<br>a human (and not a bot).</p></div></div>
<div class="page-footer-wrapper"><div class="page-footer"><span class="footer-text">Reference ID
4e0f5a7c-9b1d-11ef-8c2a-0242ac120002</span></div></div></section></body></html>"""

RECAPTCHA_WALL = """<!doctype html><html><head><meta charset="utf-8"><title>Security check</title>
<script src="https://www.google.com/recaptcha/api.js" async defer></script></head>
<body><main class="check"><h1>One moment, please</h1>
<p>We noticed unusual activity from your network. Please complete the security check to access this page.</p>
<form action="/challenge/verify" method="post"><div class="g-recaptcha" data-sitekey="6LcX7n8pAAAAAF0x-QwErTyUiOp"
data-callback="onPass"></div><input type="hidden" name="return" value="/legal/privacy">
<button type="submit">Continue</button></form></main></body></html>"""

HCAPTCHA_WALL = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>One more step</title>
<script src="https://js.hcaptcha.com/1/api.js" async defer></script></head>
<body><div class="wrap"><h1>One more step</h1>
<h2>Please complete the security check to continue</h2>
<form method="post" action="/.well-known/captcha"><div class="h-captcha" data-sitekey="c7a2e5f0-41b3-4d9e-8a6c"></div>
<input type="submit" value="Submit"></form>
<p class="small">Why am I seeing this? Requests from your address looked automated.</p></div></body></html>"""

AWS_WAF_CHALLENGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title></title>
<style>body{font-family:"Arial"}</style>
<script type="text/javascript">window.awsWafCookieDomainList = [];
window.gokuProps = {"key":"AQIDAHjcYu/GjX+QlghicBgQ/7bFaQZ+m5FKCMDnO+vTbNg96AG","iv":"CgAHWzQ6KAAAAcx1",
"context":"pvMf0rZZ1a8jQ7w3xV+9CkYb6q2N8tF"};</script>
<script src="https://3c1f0e2a9b44.edge.sdk.awswaf.com/3c1f0e2a9b44/5d7e8f90a1b2/challenge.js"></script></head>
<body><div id="challenge-container"></div>
<script type="text/javascript">AwsWafIntegration.saveReferrer();
AwsWafIntegration.checkForceRefresh().then((forceRefresh) => { if (forceRefresh) {
AwsWafIntegration.forceRefreshToken().then(() => { window.location.reload(true); }); } else {
AwsWafIntegration.getToken().then(() => { window.location.reload(true); }); } });</script>
<noscript><h1>JavaScript is disabled</h1>In order to continue, we need to check that you are not a robot.
This requires JavaScript. Enable JavaScript and then reload the page.</noscript></body></html>"""

GENERIC_HUMAN_CHECK = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Verify you are human</title>
<link rel="stylesheet" href="/assets/shield.css"></head>
<body><div class="shield"><img src="/assets/logo.svg" alt="Kestrel Forms">
<h1>Verify you are human</h1>
<p>We need to make sure you are a person and not an automated program before you continue to
kestrelforms.example.</p><button id="verify" type="button">I am human</button>
<p class="fine">This check protects our site from bots. It takes a few seconds.</p>
<script src="/assets/shield.js?v=7"></script></div></body></html>"""

CLOUDFLARE_CHECKING_BROWSER = """<!DOCTYPE HTML><html lang="en-US"><head><meta charset="UTF-8" />
<meta http-equiv="X-UA-Compatible" content="IE=Edge,chrome=1" /><meta name="robots" content="noindex, nofollow" />
<title>Please Wait... | Cloudflare</title><style type="text/css">#cf-content{margin:0 auto}</style></head>
<body><table width="100%" height="100%" cellpadding="20"><tr><td align="center" valign="middle">
<div class="cf-browser-verification cf-im-under-attack"><noscript><h1 style="color:#bd2426;">Please turn JavaScript on
and reload the page.</h1></noscript><div id="cf-content"><h1>Checking your browser before accessing
kestrelforms.example.</h1><p>This process is automatic. Your browser will redirect to your requested content
shortly.</p><p>Please allow up to 5 seconds&hellip;</p></div>
<form class="challenge-form" id="challenge-form" method="POST"
action="/legal/privacy?__cf_chl_jschl_tk__=pmd_7f3a.21c9">
<input type="hidden" name="r" value="b4d0e1f2a3"/></form></div>
<div class="attribution">DDoS protection by Cloudflare<br />Ray ID: 8a1f05e0c3a977d2</div></td></tr></table>
</body></html>"""

# ------------------------------------------------------------------------------------------ login walls

LOGIN_FORM = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign in · Kestrel Forms</title>
<link rel="stylesheet" href="/static/auth.css"></head>
<body class="auth"><div class="auth-card"><img src="/static/logo.svg" alt="Kestrel Forms">
<h1>Sign in to continue</h1>
<p>Use your work e-mail to sign in to Kestrel Forms.</p>
<form method="post" action="/session"><input type="hidden" name="authenticity_token" value="Yt7Pq0a9Lm2Xc5">
<label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password"
autocomplete="current-password"><button type="submit">Sign in</button></form>
<p><a href="/password/new">Forgot your password?</a></p>
<p>New to Kestrel? <a href="/signup">Create an account</a></p>
<div class="sso"><a href="/auth/google">Continue with Google</a> <a href="/auth/microsoft">Continue with
Microsoft</a></div></div></body></html>"""

# ------------------------------------------------------------------------------------------ soft 404s

NOT_FOUND_BODY = """<h1>Page not found</h1>
<p>Sorry, we couldn’t find that page. It may have been moved, or the link you followed may be broken.</p>
<p><a href="/">Go to the home page</a> or <a href="/help">visit the help centre</a>.</p>"""

OOPS_BODY = """<article class="error-404 not-found"><header class="page-header">
<h1 class="page-title">Oops! That page can’t be found.</h1></header>
<div class="page-content"><p>It looks like nothing was found at this location. Maybe try one of the links below
or a search?</p><form role="search" method="get" action="/"><input type="search" name="s">
<button type="submit">Search</button></form></div></article>"""

GERMAN_NOT_FOUND = """<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">
<title>Seite nicht gefunden – Kestrel Forms</title></head>
<body><header class="site-header"><a href="/">Kestrel Forms</a></header>
<main><h1>Hoppla!</h1><p>Die angeforderte Seite wurde leider nicht gefunden. Vielleicht wurde sie verschoben
oder gelöscht.</p><p><a href="/">Zur Startseite</a></p></main>
<footer class="site-footer">© 2026 Kestrel Forms SAS</footer></body></html>"""

# ---------------------------------------------------------------------------------------- empty, shells

LOADING_SHELL = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Kestrel Forms</title>
<link rel="preload" href="/static/js/main.8c1d2e.js" as="script">
<link href="/static/css/main.41f0.css" rel="stylesheet">
</head><body><noscript>You need to enable JavaScript to run this app.</noscript>
<div id="root"><div class="spinner" aria-busy="true">Loading...</div></div>
<script src="/static/js/runtime.5b2a.js"></script><script src="/static/js/vendor.0e9d77.js"></script>
<script src="/static/js/main.8c1d2e.js"></script></body></html>"""

# A PNG image (signature, IHDR and the start of IDAT): what a misconfigured CDN serves as text/html.
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x90\x00\x00\x00\xc8\x08\x06\x00\x00\x00"
    + bytes(range(256)) * 24
    + b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def gzip_bomb(megabytes: int = 40) -> bytes:
    """`megabytes` MB of zeros in well under 100 KB of gzip."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1 << 20)
    return b"".join(squeeze.compress(block) for _ in range(megabytes)) + squeeze.flush()


def truncated(body: str, words: int = 150) -> str:
    """The first `words` words of the policy's text, as a page whose markup stops mid-way (a cut transfer)."""
    kept: list[str] = []
    count = 0
    for line in body.strip().splitlines():
        count += len(line.split())
        kept.append(line)
        if count >= words:
            break
    return "<!DOCTYPE html><html><head><title>Privacy</title></head><body><main>\n" + "\n".join(kept)


def first_part(body: str, share: float) -> str:
    """The policy body's first `share` of lines: what a page shows when its content stops loading part-way."""
    lines = body.strip().splitlines()
    return "\n".join(lines[: int(len(lines) * share)])


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Fault:
    """A broken page: the routes that serve it in place of the policy at `path`, and how the check must end.

    `routes(path)` maps paths to routes; `path` itself is the policy's address. `reason` is a phrase the
    recorded failure reason must contain (lower case), so that a person knows what went wrong.
    """

    name: str
    outcome: Outcome
    reason: str
    routes: Callable[[str], dict[str, Route]] = field(repr=False)


def _at(reply: Reply) -> Callable[[str], dict[str, Route]]:
    return lambda path: {path: reply}


def _login_redirect(path: str) -> dict[str, Route]:
    return {
        path: Reply(302, b"", {"Location": f"/login?returnUrl={path.replace('/', '%2F')}"}),
        "/login": html_reply(LOGIN_FORM),
    }


def _sso_redirect(path: str) -> dict[str, Route]:
    # Through the site's own sign-in page to an identity provider's, as single sign-on does.
    return {
        path: Reply(302, b"", {"Location": f"/users/sign_in?return_to={path.replace('/', '%2F')}"}),
        "/users/sign_in": Reply(302, b"", {"Location": "/sso/authorize?client_id=web&next=%2Flegal%2Fprivacy"}),
        "/sso/authorize": html_reply(LOGIN_FORM.replace("Sign in to continue", "Kestrel single sign-on")),
    }


def _redirect_loop(path: str) -> dict[str, Route]:
    return {
        path: Reply(301, b"", {"Location": f"{path}/"}),
        f"{path}/": Reply(301, b"", {"Location": f"{path}/index.html"}),
        f"{path}/index.html": Reply(302, b"", {"Location": path}),
    }


def _to_closed_port(path: str) -> dict[str, Route]:
    return {path: Reply(301, b"", {"Location": f"http://127.0.0.1:{closed_port()}{path}"})}


CLOUDFLARE_HEADERS = {"Server": "cloudflare", "CF-RAY": "8a1f03c2e9d14b7a-CDG"}

FAULTS: tuple[Fault, ...] = (
    # anti-bot pages, with the statuses and headers they come with ...
    Fault(
        "cloudflare-just-a-moment",
        Outcome.CHALLENGE,
        "cloudflare",
        _at(html_reply(CLOUDFLARE_JUST_A_MOMENT, 403, {**CLOUDFLARE_HEADERS, "cf-mitigated": "challenge"})),
    ),
    Fault(
        "cloudflare-attention-required",
        Outcome.CHALLENGE,
        "cloudflare",
        _at(html_reply(CLOUDFLARE_ATTENTION_REQUIRED, 403, CLOUDFLARE_HEADERS)),
    ),
    Fault(
        "cloudflare-checking-browser-503",
        Outcome.CHALLENGE,
        "cloudflare",
        _at(html_reply(CLOUDFLARE_CHECKING_BROWSER, 503, CLOUDFLARE_HEADERS)),
    ),
    Fault(
        "akamai-access-denied",
        Outcome.CHALLENGE,
        "akamai",
        _at(html_reply(AKAMAI_ACCESS_DENIED, 403, {"Server": "AkamaiGHost", "Mime-Version": "1.0"})),
    ),
    Fault(
        "imperva-incident-200",
        Outcome.CHALLENGE,
        "imperva",
        _at(html_reply(IMPERVA_INCIDENT, 200, {"X-Iinfo": "11-48213377-0 0NNN RT(1767225600123 32) q(0 -1 -1 -1)"})),
    ),
    Fault(
        "datadome-captcha",
        Outcome.CHALLENGE,
        "datadome",
        _at(html_reply(DATADOME_CAPTCHA, 403, {"X-DataDome": "protected", "X-DD-B": "2"})),
    ),
    Fault(
        "perimeterx-press-and-hold",
        Outcome.CHALLENGE,
        "perimeterx",
        _at(html_reply(PERIMETERX_PRESS_AND_HOLD, 403)),
    ),
    Fault("recaptcha-wall", Outcome.CHALLENGE, "recaptcha", _at(html_reply(RECAPTCHA_WALL))),
    Fault("hcaptcha-wall-429", Outcome.CHALLENGE, "hcaptcha", _at(html_reply(HCAPTCHA_WALL, 429))),
    Fault(
        "aws-waf-challenge-202",
        Outcome.CHALLENGE,
        "aws waf",
        _at(html_reply(AWS_WAF_CHALLENGE, 202, {"x-amzn-waf-action": "challenge"})),
    ),
    Fault("verify-you-are-human", Outcome.CHALLENGE, "bot check", _at(html_reply(GENERIC_HUMAN_CHECK))),
    # ... and the same pages served as a plain 200 by a proxy that drops the telltale status and headers
    Fault("bare-just-a-moment-200", Outcome.CHALLENGE, "cloudflare", _at(html_reply(CLOUDFLARE_JUST_A_MOMENT))),
    Fault(
        "bare-attention-required-200", Outcome.CHALLENGE, "cloudflare", _at(html_reply(CLOUDFLARE_ATTENTION_REQUIRED))
    ),
    Fault("bare-akamai-200", Outcome.CHALLENGE, "akamai", _at(html_reply(AKAMAI_ACCESS_DENIED))),
    Fault("bare-datadome-200", Outcome.CHALLENGE, "datadome", _at(html_reply(DATADOME_CAPTCHA))),
    Fault("bare-perimeterx-200", Outcome.CHALLENGE, "perimeterx", _at(html_reply(PERIMETERX_PRESS_AND_HOLD))),
    Fault("bare-aws-waf-200", Outcome.CHALLENGE, "aws waf", _at(html_reply(AWS_WAF_CHALLENGE))),
    # login walls
    Fault("login-redirect", Outcome.LOGIN_WALL, "sign in", _login_redirect),
    Fault("sso-redirect", Outcome.LOGIN_WALL, "sign in", _sso_redirect),
    Fault("login-form-200", Outcome.LOGIN_WALL, "sign in", _at(html_reply(LOGIN_FORM))),
    # soft 404s
    Fault("page-not-found-200", Outcome.SOFT_404, "not found", _at(html_reply(page(KESTREL, NOT_FOUND_BODY)))),
    Fault("oops-cant-be-found-200", Outcome.SOFT_404, "not found", _at(html_reply(page(KESTREL, OOPS_BODY)))),
    Fault("localized-not-found-200", Outcome.SOFT_404, "not found", _at(html_reply(GERMAN_NOT_FOUND))),
    # empty, tiny, truncated
    Fault("empty-body", Outcome.EMPTY, "empty", _at(html_reply(b""))),
    Fault("whitespace-body", Outcome.EMPTY, "empty", _at(html_reply(b"\n\n   \r\n"))),
    Fault("loading-shell", Outcome.EMPTY, "javascript", _at(html_reply(LOADING_SHELL))),
    Fault("truncated-policy", Outcome.TEXT_LOSS, "truncated", _at(html_reply(truncated(kestrel_policy())))),
    Fault(
        "policy-stops-at-two-thirds",
        Outcome.TEXT_LOSS,
        "truncated",
        _at(html_reply(page(KESTREL, first_part(kestrel_policy(), 0.66), 2))),
    ),
    # hostile bodies
    Fault("png-as-text-html", Outcome.NOT_A_DOCUMENT, "binary", _at(html_reply(PNG_BYTES))),
    Fault(
        "binary-octet-stream",
        Outcome.NOT_A_DOCUMENT,
        "not a document",
        _at(Reply(200, PNG_BYTES, {"Content-Type": "application/octet-stream"})),
    ),
    Fault("image-png", Outcome.NOT_A_DOCUMENT, "image/png", _at(Reply(200, PNG_BYTES, {"Content-Type": "image/png"}))),
    Fault(
        "gzip-bomb",
        Outcome.TOO_LARGE,
        "fetch.max_bytes",
        _at(html_reply(gzip_bomb(), 200, {"Content-Encoding": "gzip"})),
    ),
    Fault(
        "corrupt-gzip",
        Outcome.HTTP_ERROR,
        "corrupt gzip",
        _at(html_reply(b"\x1f\x8b\x08\x00" + b"not really gzip" * 20, 200, {"Content-Encoding": "gzip"})),
    ),
    Fault("too-large", Outcome.TOO_LARGE, "fetch.max_bytes", _at(html_reply("<p>" + "padding " * 40_000 + "</p>"))),
    Fault(
        "slow-drip",
        Outcome.TIMEOUT,
        "fetch.timeout",
        _at(Reply(200, headers=HTML, chunks=[b"<p>We collect</p>"] * 30, chunk_delay=0.1)),
    ),
    Fault("no-answer", Outcome.TIMEOUT, "fetch.timeout", _at(Reply(200, kestrel_policy(), HTML, delay=2.5))),
    Fault(
        "cut-connection",
        Outcome.CONNECTION_ERROR,
        "connection",
        _at(Reply(200, b"<html><body><p>We coll", {**HTML, "Content-Length": "9000", "Connection": "close"})),
    ),
    Fault("refused-connection", Outcome.CONNECTION_ERROR, "could not get", _to_closed_port),
    Fault("redirect-loop", Outcome.REDIRECT_LOOP, "redirect loop", _redirect_loop),
    # plain HTTP failures
    Fault(
        "http-403", Outcome.HTTP_ERROR, "403", _at(html_reply("<html><body><h1>403 Forbidden</h1></body></html>", 403))
    ),
    Fault("http-404", Outcome.HTTP_ERROR, "404", _at(html_reply("<h1>Not Found</h1>", 404))),
    Fault(
        "http-429",
        Outcome.HTTP_ERROR,
        "429",
        _at(html_reply("<h1>Too Many Requests</h1>", 429, {"Retry-After": "1"})),
    ),
    Fault("http-500", Outcome.HTTP_ERROR, "500", _at(html_reply("<h1>Internal Server Error</h1>", 500))),
)


# ------------------------------------------------------------------------- genuine policies that look odd

_LARKSPUR = """<h1>Larkspur Analytics — Privacy Notice</h1>
<p>Effective 1 February 2026. Larkspur Analytics Ltd (“Larkspur”) provides dashboards that help online shops
understand their sales. This notice covers the personal data we handle about the people who use Larkspur.</p>
<h2>Data we collect</h2>
<p>We collect the name and work e-mail address of each user, the shop domains they connect, and the IP address and
browser of every visit to our dashboard. Shops send us order totals and product identifiers; we ask them not to
send names or addresses of their customers, and we discard such fields if they arrive.</p>
<h2>Service providers</h2>
<p>We use the following processors to run the service:</p>
<ul>
<li>Cloudflare, Inc., which delivers our website and dashboard and filters malicious traffic. Cloudflare sees the
IP address and request details of every visit, and may show a challenge page to traffic that looks automated.
It sets the __cf_bm cookie to tell people from bots.</li>
<li>Hetzner Online GmbH, which hosts our servers in Falkenstein, Germany.</li>
<li>Brevo (Sendinblue SAS), which sends our e-mails.</li>
</ul>
<p>We do not sell personal data and we do not use it for advertising.</p>
<h2>Retention</h2>
<p>User accounts are kept while the subscription runs and deleted 45 days after it ends. Access logs, including
those kept by Cloudflare on our behalf, are deleted after 30 days.</p>
<h2>Security</h2>
<p>Data is encrypted in transit and at rest. Only two engineers can reach production systems, with hardware keys.</p>
<h2>Your rights</h2>
<p>You may ask to access, correct, export or delete your personal data, and object to its processing. Write to
privacy@larkspur.example. You may also complain to the Information Commissioner’s Office.</p>
<h2>International transfers</h2>
<p>Cloudflare may process request data in the United States; it is certified under the Data Privacy Framework and
we have signed standard contractual clauses with it as well.</p>
<h2>Contact</h2>
<p>Larkspur Analytics Ltd, 4 Mill Yard, Leeds LS1 4AB, United Kingdom. privacy@larkspur.example</p>
"""

# A Cloudflare-fronted site injects its bot-detection script into every page, challenge or not.
_CLOUDFLARE_JSD = (
    "<script>(function(){function c(){var b=a.contentDocument||a.contentWindow.document;if(b){var d=b.createElement"
    "('script');d.innerHTML=\"window.__CF$cv$params={r:'8a1f0612ab3c4d5e',t:'MTc2NzIyNTYwMA=='};var a=document."
    "createElement('script');a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';document.getElementsByTagName"
    "('head')[0].appendChild(a);\";b.getElementsByTagName('head')[0].appendChild(d)}}var a=document.createElement"
    "('iframe');a.height=1;a.width=1;a.style.display='none';document.body.appendChild(a);c()})();</script>"
)

_FERNWOOD = """<h1>Privacy Policy</h1>
<p>Fernwood Physiotherapy Clinic books appointments online and keeps the records needed to treat you. This policy
explains what we collect, why, and for how long.</p>
<h2>What we collect</h2>
<p>When you book, we collect your name, date of birth, phone number, e-mail address and the reason for your visit.
During treatment our physiotherapists keep clinical notes. When you use the contact form we collect what you
write and your e-mail address.</p>
<h2>Why we use it</h2>
<p>We use your data to arrange and provide treatment, to send appointment reminders by text message, and to meet
our legal duties as a health care provider. We do not use your data for marketing.</p>
<h2>Spam protection</h2>
<p>Our contact form uses Google reCAPTCHA to verify that you are a human and not a bot. reCAPTCHA collects
hardware and software information, such as device and application data, and sends it to Google for analysis.
Its use is subject to Google’s privacy policy and terms of service.</p>
<h2>Who we share it with</h2>
<p>We share clinical information only with your GP or another clinician when you agree to it, or when the law
requires it. Our booking system is provided by Cliniko, and text messages are sent through Twilio.</p>
<h2>How long we keep it</h2>
<p>Clinical records are kept for eight years after your last appointment, or until your 25th birthday if you
were treated as a child, whichever is later. Contact form messages are deleted after one year.</p>
<h2>Your rights</h2>
<p>You can ask for a copy of your records, ask us to correct them, and, where the law allows, ask us to delete
them. Contact our practice manager at hello@fernwood-physio.example.</p>
<h2>Contact us</h2>
<form class="contact-form" action="/contact" method="post"><label>Your e-mail <input type="email" name="email">
</label><label>Message <textarea name="message"></textarea></label>
<div class="g-recaptcha" data-sitekey="6LfQ2k0pAAAAAJ7vB1c9X-zKeEp"></div>
<button type="submit">Send</button></form>
<script src="https://www.google.com/recaptcha/api.js" async defer></script>
"""

_QUARRY = """<h1>Quarry Lane Books Privacy Policy</h1>
<p>Quarry Lane Books is an independent bookshop with an online store. We collect as little about you as we can.</p>
<h2>Orders</h2>
<p>To deliver an order we need your name, delivery address, e-mail address and phone number. Card payments are
handled by Adyen; we never see your full card number. Order records are kept for six years for tax purposes.</p>
<h2>Server logs</h2>
<p>Like every website, ours keeps a log of requests: the address you asked for, the time, your IP address, your
browser, and the result, for example a 404 status if the page you requested is not found. We use these logs to
fix broken links and to defend the shop against attacks, and delete them after 14 days.</p>
<h2>Newsletter</h2>
<p>If you subscribe to our newsletter we store your e-mail address and the date you subscribed. Each newsletter
has an unsubscribe link; we delete your address when you use it. The newsletter is sent with Buttondown.</p>
<h2>Cookies</h2>
<p>We use one cookie to remember your basket and, if you agree, Plausible Analytics to count visits without
cookies or personal identifiers.</p>
<h2>Sharing</h2>
<p>We give your address to the courier who delivers your parcel (Royal Mail or DPD) and nothing to anyone else.
We never sell or rent customer data.</p>
<h2>Your rights</h2>
<p>You can ask for a copy of what we hold about you, ask us to correct it or delete it, and object to the
newsletter at any time. Write to books@quarrylane.example. If you are unhappy with our answer you can complain
to the Information Commissioner’s Office.</p>
<h2>Changes</h2>
<p>If this policy changes, we will post the new version here and mention it in the next newsletter.</p>
"""

_TESSELLATE = """<h1>Tessellate HR privacy statement</h1>
<p>Tessellate HR B.V. provides software for holiday requests, payslips and performance reviews. Employers use it
to manage their staff; this statement is for the employees whose data it holds.</p>
<h2>Signing in</h2>
<p>When you sign in to your account we check your e-mail address and password, or your employer’s single sign-on.
We keep a record of each sign-in with its time, IP address and device for 12 months to spot account takeovers.
If your session has expired you will be asked to log in again. We will never ask you to enter your password by
e-mail or phone.</p>
<h2>What your employer stores</h2>
<p>Your employer decides what goes into Tessellate: typically your name, job title, manager, salary, bank account,
absence records and review notes. Tessellate processes this data on your employer’s behalf.</p>
<h2>Your choices</h2>
<p>You can log in to access, correct or download most of your personal data yourself under Profile. Requests to
delete data go to your employer, who controls it. You can turn off e-mail notifications in your settings.</p>
<h2>Processors</h2>
<p>We host on Microsoft Azure in the Netherlands, send e-mail with Mailjet and store payslip PDFs in Azure Blob
Storage. Support is given by our own staff in Utrecht.</p>
<h2>Retention</h2>
<p>Your data is deleted 30 days after your employer removes you from Tessellate, unless your employer must keep
payroll records longer under Dutch law.</p>
<h2>Security</h2>
<p>Data is encrypted at rest and in transit, and we are certified against ISO 27001.</p>
<h2>Contact</h2>
<p>Tessellate HR B.V., Oudegracht 201, Utrecht. Data protection officer: dpo@tessellate.example.</p>
"""

_HEADER_LOGIN = """<form class="header-login" action="/session" method="post"><input type="email" name="email"
placeholder="E-mail"><input type="password" name="password" placeholder="Password"><button>Log in</button></form>"""

_MARLOWE = """<h1>Cookie Policy</h1>
<p>Marlowe Travel uses cookies and similar technologies on marlowe-travel.example. This policy lists them and
explains how to control them.</p>
<h2>Strictly necessary cookies</h2>
<p>These cookies keep the site working and secure. They cannot be switched off. Several of them come from the
bot-protection services that stop automated booking and card testing: when traffic looks automated, those
services may ask the visitor to press and hold a button or solve a puzzle before continuing.</p>
<table><thead><tr><th>Cookie</th><th>Provider</th><th>Purpose</th><th>Duration</th></tr></thead><tbody>
<tr><td>session_id</td><td>Marlowe Travel</td><td>Keeps your basket and search between pages</td><td>Session</td></tr>
<tr><td>__cf_bm</td><td>Cloudflare</td><td>Tells people from bots</td><td>30 minutes</td></tr>
<tr><td>_abck, bm_sz</td><td>Akamai Bot Manager</td><td>Detects automated traffic</td><td>1 year</td></tr>
<tr><td>datadome</td><td>DataDome</td><td>Protects booking forms from bots</td><td>1 year</td></tr>
<tr><td>_px3, _pxvid</td><td>HUMAN (PerimeterX)</td><td>Checks that the visitor is human</td><td>1 year</td></tr>
<tr><td>incap_ses_*, visid_incap_*</td><td>Imperva Incapsula</td><td>Load balancing and protection</td>
<td>1 year</td></tr>
<tr><td>aws-waf-token</td><td>Amazon Web Services</td><td>Proof that a browser passed a challenge</td>
<td>4 days</td></tr>
</tbody></table>
<h2>Analytics cookies</h2>
<p>With your consent we use Matomo, hosted by us, to count visits and see which pages are used. The _pk_id
cookie lasts 13 months and _pk_ses 30 minutes. Matomo data is kept for 25 months.</p>
<h2>Marketing cookies</h2>
<p>With your consent, Meta and Google place cookies that measure whether our adverts lead to bookings. They may
combine this with what they know about you from other sites.</p>
<h2>Your choices</h2>
<p>You can accept or refuse analytics and marketing cookies in the banner, and change your choice at any time
through the Cookie settings link in the footer. You can also delete cookies in your browser settings.</p>
<h2>Contact</h2>
<p>Questions about cookies: privacy@marlowe-travel.example.</p>
"""

_DATADOME_TAG = (
    '<script>window.ddjskey = "9C1F3A4B5D6E7F80A1B2C3D4E5F6A7"; window.ddoptions = {};</script>'
    '<script src="https://js.datadome.co/tags.js" async></script>'
)


@dataclass(frozen=True)
class Genuine:
    """A real policy page that only looks suspicious: `body` is the policy, `html(body, tick)` the served page,
    `material(body)` a change that must alert."""

    name: str
    vendor: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    extra_head: str = ""  # markup the site adds to the <head> of every page (scripts)
    extra_body: str = ""  # ... and to the top of its <body> (a login form in the header)

    def html(self, body: str, tick: int) -> str:
        served = render_page(self.vendor, body, tick)
        served = served.replace("</head>", self.extra_head + "</head>", 1)
        return served.replace("<body>", "<body>" + self.extra_body, 1)


GENUINE: tuple[Genuine, ...] = (
    Genuine(
        "names-cloudflare-and-is-served-through-it",
        "Larkspur Analytics",
        _LARKSPUR,
        headers={**CLOUDFLARE_HEADERS, "Set-Cookie": "__cf_bm=a1b2c3; path=/; HttpOnly"},
        extra_head=_CLOUDFLARE_JSD,
    ),
    Genuine("recaptcha-on-its-contact-form", "Fernwood Physiotherapy", _FERNWOOD),
    Genuine("says-page-you-requested-is-not-found", "Quarry Lane Books", _QUARRY),
    Genuine("explains-how-you-sign-in", "Tessellate HR", _TESSELLATE),
    Genuine("lists-bot-protection-cookies", "Marlowe Travel", _MARLOWE, extra_head=_DATADOME_TAG),
    Genuine(
        "served-with-a-header-login-form",
        "Tessellate Payroll",
        _TESSELLATE.replace("statement</h1>", "statement for payroll</h1>"),
        extra_body=_HEADER_LOGIN,
    ),
)


def genuine_material(body: str) -> str:
    """A material edit for any GENUINE policy: a new processor that receives personal data for advertising."""
    return body.replace(
        "</h1>",
        "</h1>\n<p>We now share your e-mail address and browsing history with AdNexus Media Ltd, a data broker, "
        "which uses them for targeted advertising and may sell them to its partners.</p>",
        1,
    )


# ------------------------------------------------------------------------ the same text, other bytes


@dataclass(frozen=True)
class Recoded:
    """The Kestrel policy page served with other bytes or labels; it must read as the same text."""

    name: str
    reply: Callable[[str], Reply]  # from the page's HTML (str)


SAME_TEXT: tuple[Recoded, ...] = (
    Recoded(
        "windows-1252-labelled-utf-8",
        lambda html: Reply(200, html.encode("cp1252", "replace"), {"Content-Type": "text/html; charset=utf-8"}),
    ),
    Recoded(
        "windows-1252-meta-utf-8",
        lambda html: Reply(200, html.encode("cp1252", "replace"), {"Content-Type": "text/html"}),
    ),
    Recoded(
        "windows-1252-without-charset",
        lambda html: Reply(
            200, html.replace('<meta charset="utf-8">', "").encode("cp1252", "replace"), {"Content-Type": "text/html"}
        ),
    ),
    Recoded(
        "utf-8-without-charset",
        lambda html: Reply(200, html.replace('<meta charset="utf-8">', "").encode(), {"Content-Type": "text/html"}),
    ),
    Recoded(
        "gzip-utf-8",
        lambda html: Reply(200, gzip.compress(html.encode()), {**HTML, "Content-Encoding": "gzip"}),
    ),
)


# ---------------------------------------------------------------------------- a watched site, run by CLI

# Fast and bounded: every host is on loopback, and a test must not wait for politeness or long timeouts.
FAST_FETCH = {
    "allow_private_networks": True,
    "per_host_delay": 0,
    "retries": 0,
    "backoff": 0.01,
    "timeout": 1.0,
    "max_bytes": 200_000,
    "max_retry_after": 0.2,
    "respect_robots": False,
}


class SlackStandIn:
    """Slack's incoming webhook on a LocalServer: answers with `answer` and keeps every message it accepted
    (an HTTP 200 "ok"), in order, as Slack would show them in the channel."""

    def __init__(self, server: LocalServer, path: str = "/slack/webhook") -> None:
        self.path = path
        self.url = server.url(path)
        self.answer = Reply(200, "ok", {"Content-Type": "text/plain"})
        self.accepted: list[dict] = []
        self.refused = 0
        server.route(path, self._handle)

    def _handle(self, request: Request) -> Reply:
        answer = self.answer
        if answer.status == 200 and answer.payload() == b"ok":
            self.accepted.append(json.loads(request.body))
        else:
            self.refused += 1
        return answer


def message_text(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


class Watch:
    """A config file watching vendors on a LocalServer and alerting its SlackStandIn; `run()` is `watcher run`."""

    def __init__(
        self,
        tmp_path: Path,
        server: LocalServer,
        vendors: dict[str, str],
        *,
        fetch: dict[str, object] | None = None,
        slack: SlackStandIn | None = None,
        extra: str = "",
    ) -> None:
        self.server = server
        self.slack = slack or SlackStandIn(server)
        self.database = tmp_path / "snapshots" / "watcher.db"
        self.config = tmp_path / "config.yaml"
        settings = {**FAST_FETCH, **(fetch or {})}
        listed = "".join(f"  - name: {name}\n    url: {server.url(path)}\n" for name, path in vendors.items())
        self.config.write_text(
            "storage: snapshots/watcher.db\n"
            f"fetch: {json.dumps(settings)}\n"
            "slack: {webhook_url: '${TEST_SLACK_WEBHOOK}'}\n"
            f"{extra}"
            f"vendors:\n{listed}"
        )
        self.env = {"TEST_SLACK_WEBHOOK": self.slack.url}

    def run(self) -> list[dict]:
        """One `watcher run`; returns the Slack messages accepted during it."""
        before = len(self.slack.accepted)
        result = CliRunner().invoke(main, ["run", "--config", str(self.config)], env=self.env)
        assert result.exit_code == 0, result.output
        return self.slack.accepted[before:]

    def status(self, vendor: str) -> DocumentStatus:
        with Store(self.database, readonly=True) as store:
            return next(s for s in store.statuses() if s.vendor == vendor)

    def last_check(self, vendor: str) -> Check:
        with Store(self.database, readonly=True) as store:
            return store.checks(self.status(vendor).id, limit=1)[0]

    def cli(self, *args: str) -> Any:
        """Another command against the same config, e.g. cli("vendors", "--json"); JSON output is parsed."""
        result = CliRunner().invoke(main, [*args, "--config", str(self.config)], env=self.env)
        assert result.exit_code == 0, result.output
        return json.loads(result.output) if "--json" in args else result.output
