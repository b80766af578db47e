"""What a visitor sees in Chromium when Swerve rewrites real pages of every shape (issue 11).

Debian's chromium (headless, through Playwright) behind the Worker in workerd: a page with a
second ``<head>`` start tag renders whole with the bootstrap read once, and windows-1252
pages, charset declared in ``<meta>`` only or in the header only, show inserted text,
inserted script strings and the bootstrap with the characters the rules hold.
"""

import pytest
from browser_support import PERSON, VIEW
from playwright.sync_api import Browser
from reliability_support import PageOrigin, document, flag

from swerve.local_runtime import LocalEdge

GREETING = "Grüße ✓ — “quoted”"
OPS = [
    ["h1", "set_text", "Überschrift ✓ <ok>"],
    ["h1", "after", f"<p id='after'>{GREETING}</p><script>window.greeting = '{GREETING}';</script>"],
    ["h1", "set_attribute", "title", GREETING],
]
READ_BOOTSTRAP = "JSON.parse(document.getElementById('swerve-flags').textContent)"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    origin = PageOrigin()
    edge = LocalEdge(tmp_path_factory.mktemp("kv"), {"ORIGIN_URL": origin.url, "SWERVE_COOKIE_KEYS": "k"})
    flags = [flag("text", {"a": {}, "b": {"ops": OPS}}), flag("boot", {"a": {"value": "✓ Ü"}}, client=True)]
    edge.publish(document(flags), 1)
    yield f"http://127.0.0.1:{edge.url.port}"
    edge.close()
    origin.close()


@pytest.fixture
def page(browser: Browser):
    context = browser.new_context(viewport=VIEW, user_agent=PERSON)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("path", ["/doc", "/latin1-meta", "/latin1-header"])
def test_inserted_text_reads_right_whatever_the_charset(site: str, page: object, path: str) -> None:
    assert page.goto(site + path).status == 200
    assert page.inner_text("h1") == "Überschrift ✓ <ok>"
    assert page.get_attribute("h1", "title") == GREETING
    assert page.inner_text("#after") == GREETING
    assert page.evaluate("window.greeting") == GREETING
    assert page.evaluate(READ_BOOTSTRAP) == {"boot": "✓ Ü"}
    # The page's own characters are untouched: the footer renders, with its copyright sign.
    assert "© Copyright 2001-2026, Python Software Foundation." in page.inner_text("div.footer")


def test_a_page_with_two_head_start_tags_renders_whole(site: str, page: object) -> None:
    assert page.goto(site + "/two-heads").status == 200
    assert page.evaluate("document.querySelectorAll('#swerve-flags').length") == 1
    assert page.evaluate(READ_BOOTSTRAP) == {"boot": "✓ Ü"}
    assert page.inner_text("h1") == "Überschrift ✓ <ok>"
    assert "Python Software Foundation" in page.inner_text("div.footer")
