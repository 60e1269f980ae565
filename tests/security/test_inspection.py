"""Attack detection on single values: known attacks found, the odd strings of M365 data not."""

from __future__ import annotations

import random

import pytest

from collectors.simulator import data
from security.choices import EventKind
from security.inspection import Finding, decoded_forms, inspect

SQLI = EventKind.SQL_INJECTION
XSS = EventKind.XSS

SQL_INJECTIONS = [
    # tautologies
    "1' OR '1'='1",
    "' OR 1=1--",
    "' OR 'a'='a",
    "') OR ('1'='1",
    "1)) OR ((1=1",
    "' OR ''='",
    "1' AND '1'='1",
    "1' or '1'='1' /*",
    "' or 1 in (select @@version)--",
    # UNION SELECT
    "1 UNION SELECT username, password FROM users--",
    "' UNION ALL SELECT NULL,NULL,NULL--",
    "-1 UNION SELECT 1,@@version,3",
    "1/**/UNION/**/SELECT/**/1,2",
    "' UnIoN SeLeCt 1,2--",
    "1 and 1=2 union select 1,table_name from information_schema.tables",
    "x UNION SELECT password FROM users",
    "%' AND 1=0 UNION SELECT user()--",
    # stacked queries
    "1; DROP TABLE users--",
    "'; DELETE FROM alerts; --",
    "'; exec xp_cmdshell('dir')--",
    "'; SHUTDOWN--",
    "1;SELECT * FROM users",
    "';DECLARE @q varchar(99);SET @q='x'; EXEC(@q);--",
    # comment sequences
    "admin'--",
    "admin' #",
    "admin'/*",
    "' OR 1=1#",
    "1' ORDER BY 3--",
    # time-based
    "1' AND SLEEP(5)--",
    "1) AND SLEEP(5) AND (1=1",
    "1 AND pg_sleep(5)",
    "'; SELECT pg_sleep(5)--",
    "1'; WAITFOR DELAY '0:0:5'--",
    "1 OR BENCHMARK(1000000,MD5(1))",
    # error-based
    "1 AND extractvalue(1,concat(0x7e,version()))",
    "1 AND updatexml(1,concat(0x7e,(SELECT user())),1)",
    "' AND GTID_SUBSET(@@version,0)--",
    "' AND 1=CONVERT(int,(SELECT @@version))--",
    "1 AND ASCII(SUBSTRING((SELECT password FROM users),1,1))>64",
    "1 rlike (select (case when (1=1) then 1 else 0x28 end))",
    # hex and CHAR() encodings
    "CHAR(39)+CHAR(79)+CHAR(82)",
    "1 UNION SELECT 0x61646d696e",
    "x' AND password=unhex('61646d696e')--",
    # encoded on the wire
    "1%27%20OR%20%271%27%3D%271",
    "1%2527%2520OR%2520%25271%2527%253D%25271",
    "1&#39; OR &#39;1&#39;=&#39;1",
    "１' ＯＲ '１'='１",
    "1' OR\u200b '1'='1",
]

CROSS_SITE_SCRIPTS = [
    # script tags
    "<script>alert(1)</script>",
    "<ScRiPt src=//evil.example/x.js></script>",
    "</script><script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</script>",
    # event handlers
    '"><img src=x onerror=alert(1)>',
    "<img src=x onerror=alert(1)//",
    "<img/src=x/onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "' onmouseover='alert(1)",
    # svg, iframe, object, embed, srcdoc
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><animate onbegin=alert(1) attributeName=x>",
    '<iframe src="javascript:alert(1)">',
    "<iframe srcdoc='<script>alert(1)</script>'>",
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<embed src="javascript:alert(1)">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    # script and data URIs
    '<a href="javascript:alert(1)">x</a>',
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:void(0)",
    "javascript://%0aalert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    '<a href="jav\tascript:alert(1)">x</a>',
    '<base href="javascript:alert(1)//">',
    '<form action="javascript:alert(1)"><button>x',
    # style
    '<div style="width:expression(alert(1))">',
    "width: expression(alert(1))",
    '<div style="-moz-binding:url(//evil.example/x.xml#x)">',
    # encoded on the wire
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "%253Cscript%253Ealert(1)%253C%252Fscript%253E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "＜script＞alert(1)＜/script＞",
    "<scr\u200bipt>alert(1)</script>",
    "java\x00script:alert(1)",
]

BENIGN = [
    # from the issue
    "O'Brien",
    "<3",
    "select a plan",
    "we found 1=1 mapping",
    "Tom & Jerry",
    "SELECT your licence",
    "drop-down",
    "a < b > c",
    "東京オフィス",
    "adele.vance@contoso.com",
    "AdeleV@contoso.onmicrosoft.com",
    "alex.wilber_contoso.com#EXT#@fabrikam.onmicrosoft.com",
    "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
    "{0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0}",
    "2026-01-31",
    "2026-01-31T12:00:00Z",
    "2026-01-31T21:00:00+09:00",
    "sales%20report%20q1",
    "O%27Brien",
    "caf%C3%A9",
    "Union Station",
    "I'd like to update my profile",
    # names, groups and sites as M365 holds them
    "O’Brien",
    "Mr. O'Neil; Mrs. O'Hara",
    "D'Angelo, Mary-Kate",
    "Rock 'n' Roll",
    "5' 10\"",
    "Müller",
    "Zoë Ångström",
    "Sales & Marketing",
    "R&D",
    "C# developers",
    "\"#general\"",
    "Team <Alpha>",
    "<b>bold</b>",
    "Meeting -- rescheduled",
    "Finance (EMEA); Payroll",
    "+1 (555) 010-0199",
    "（東京）本社 営業部",
    "ｶﾀｶﾅ",
    "🚀 launch 👩‍💻",
    "50% off",
    "100%",
    "where is the union office?",
    "Please select one or more users and drop them into the group",
    "delete my account please",
    "Order by date",
    "insert coin",
    "1 or 2 users",
    "and/or",
    "It's 1=1 and 2=2",
    "count > 5 and < 10",
    "email = 'x@y.com'",
    "JavaScript: tips (part 1)",
    "expression (regular)",
    "data: see attachment",
    "onedrive online=true",
    "Onboarding = done",
    "sleep well",
    "How to create a table of contents; create table in Word",
    "Budget; execute (the plan) next week",
    "cost = 5 or 6",
    "a) or (b",
    "Server room; shutdown of the old rack on Friday",
    "Update: the union meeting is Monday; select your seat",
    "Please insert into the binder (blue)",
    "Price < $100 & > $50",
    "Re: Q3 review",
    "Out of office: back 2026-02-01",
    "Accounts Payable <ap@contoso.com>",
    "Microsoft 365 E5 (no Teams)",
    "Yamada Taro (山田 太郎)",
    "María José; François; Łukasz",
    "x = y",
    "version 2.0 (beta)",
    "Tom &amp; Jerry",
    "a &lt; b",
    "--",
    "#hashtag",
    "/* draft */",
    "null",
    "'",
    '"',
    # headers and URLs
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)",
    "python-requests/2.32.3",
    "https://m365.example.com/signins/?q=O%27Brien&status=failure",
    "https://contoso.sharepoint.com/sites/Sales%20%26%20Marketing/Shared%20Documents",
    "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=1&scope=openid",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dGVzdA",
]


@pytest.mark.parametrize("value", SQL_INJECTIONS)
def test_it_finds_sql_injection(value):
    assert SQLI in {finding.kind for finding in inspect(value)}


@pytest.mark.parametrize("value", CROSS_SITE_SCRIPTS)
def test_it_finds_cross_site_scripting(value):
    assert XSS in {finding.kind for finding in inspect(value)}


def test_it_flags_nothing_in_the_benign_corpus():
    flagged = {value: inspect(value) for value in BENIGN}
    assert {value: found for value, found in flagged.items() if found} == {}


def test_it_flags_nothing_in_the_simulators_m365_vocabulary():
    # Names, departments, offices, apps, failure reasons, user agents, policies … (~370).
    values = set(_strings([getattr(data, name) for name in dir(data) if name.isupper()]))
    assert len(values) > 300
    assert {value: inspect(value) for value in values if inspect(value)} == {}


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)


def test_the_corpora_are_large_enough_to_mean_something():
    assert len(SQL_INJECTIONS) >= 40
    assert len(CROSS_SITE_SCRIPTS) >= 40
    assert len(BENIGN) >= 80


def test_findings_name_the_family_and_rule():
    assert inspect("<script>alert(1)</script>") == [
        Finding(XSS, "libinjection-xss"), Finding(XSS, "xss-script-tag"),
    ]
    assert Finding(SQLI, "sql-time-delay") in inspect("1' AND SLEEP(5)--")


def test_each_rule_is_reported_once_across_decoded_forms():
    findings = inspect("%3Cscript%3Ealert(1)%3C/script%3E <script>")
    assert len(findings) == len(set(findings))


def test_decoding_unwraps_double_url_encoding_entities_and_full_width_forms():
    assert decoded_forms("%253Cb%253E")[-1] == "<b>"
    assert decoded_forms("&lt;b&gt;")[-1] == "<b>"
    assert decoded_forms("＜ｂ＞")[-1] == "<b>"
    assert decoded_forms("a\u202eb\u200bc")[-1] == "abc"
    assert decoded_forms("&#" + "0" * 5000 + "60;b&#x00003e;")[-1] == "<b>"
    assert decoded_forms("&#" + "9" * 5000 + ";")[-1] == "\ufffd"
    assert decoded_forms("plain") == ["plain"]


@pytest.mark.parametrize("value", [
    "", "\x00", "\ud800", "\udcff<script>", "<" * 70_000, "'" * 70_000, "%" * 10_000,
    "&#" * 10_000, "&#" + "1" * 60_000, "&#x" + "f" * 60_000, "\u202e" * 1000,
    "<a " * 20_000, "javascript" * 5000,
])
def test_it_survives_hostile_input(value):
    inspect(value)


def test_it_survives_random_input():
    rng = random.Random(5)
    alphabet = "'\"`<>/=;-#*()%&\\ \t\n\x00azAZ09:@\u202e\u200b\uff1c\ud800東"
    for _ in range(2000):
        inspect("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))))
