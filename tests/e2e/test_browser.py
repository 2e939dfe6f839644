"""End to end in a real browser: `streamlit run app.py` on a free port, driven through Debian's Chromium."""
from __future__ import annotations

import functools

from pathlib import Path
from typing import Iterator

import pytest

import qa
from qa.measure.bench_app import CHROMIUM, app_server, ask_in_browser, launch_browser, reply_count, wait_for_reply

sync_api = pytest.importorskip("playwright.sync_api")
sync_api.expect.set_options(timeout=20000)  # the first visit builds the index; other jobs may share the CPU

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
FINTECH_QUESTION = "金融科技如何聯通產業前後端"
FINTECH_SECTION = "金融科技,業已成為聯通產業前后端的新方式"


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    with app_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
    with sync_api.sync_playwright() as playwright:
        browser = launch_browser(playwright)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-TW")
    page = context.new_page()
    page.set_default_timeout(20000)
    yield page
    context.close()


@functools.lru_cache(maxsize=1)
def seed_index() -> qa.Index:
    return qa.load_corpus(ROOT / "seeds")


def expected_answer(question: str) -> qa.Answer:
    """The best answer the engine itself gives (so the test does not hard-code the ranking)."""
    answers = seed_index().ask(question, top_k=3)
    assert answers
    return answers[0]


def test_ask_follow_up_and_screenshot(page, app_url: str) -> None:
    expect = sync_api.expect
    page.goto(app_url)
    expect(page.get_by_role("heading", name="文章問答")).to_be_visible()
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible()

    ask_in_browser(page, FINTECH_QUESTION)
    reply = page.locator(".qa-reply").last
    expect(reply).to_contain_text(FINTECH_SECTION)
    expect(reply).to_contain_text(expected_answer(FINTECH_QUESTION).text)
    expect(reply.locator("mark").first).to_be_visible()
    assert "?q=" in page.url  # the address bar is the share link of the last answer

    ask_in_browser(page, "它有什麼作用")
    expect(page.locator(".qa-reply").last).to_contain_text("接著上文，沿用了")

    hostile = "<img src=x onerror=alert(1)> $x^2$ [連結](http://e.com)"
    ask_in_browser(page, hostile)
    expect(page.locator(".qa-question").last).to_have_text(hostile)  # shown as typed, not rendered
    assert page.locator('[data-testid="stChatMessage"] img[src="x"]').count() == 0

    with page.expect_download() as download:  # the chat as Markdown, made when the button is clicked
        page.get_by_role("button", name="下載對話").click()
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert markdown.startswith("# 文章問答：對話記錄") and f"## 問：{FINTECH_QUESTION}" in markdown
    assert "## 問：它有什麼作用" in markdown and "\\<img src\\=x" in markdown  # escaped, not an image

    page.get_by_role("button", name="清除對話").click()
    expect(page.locator(".qa-reply")).to_have_count(0)
    ask_in_browser(page, FINTECH_QUESTION)
    page.locator('[data-testid="stChatMessage"]').first.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring in the picture
    page.mouse.move(1200, 880)
    page.wait_for_timeout(300)  # let the fonts settle before the picture
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app.png"))
    page.locator(".qa-more summary").first.click()  # open the whole paragraph, sentence marked in place
    expect(page.locator(".qa-more .qa-here").first).to_be_visible()


def test_share_link_opens_the_same_answer(page, browser, app_url: str) -> None:
    expect = sync_api.expect
    page.goto(app_url)
    ask_in_browser(page, "京東科技做了什麼")
    page.get_by_role("button", name="分享").last.click()
    link = page.locator('[data-testid="stCode"] code').last.inner_text().strip()
    assert link.startswith(app_url) and "?q=" in link

    visitor = browser.new_page()  # someone else opening the link
    try:
        visitor.goto(link)
        wait_for_reply(visitor, 1)
        expect(visitor.locator(".qa-question").first).to_have_text("京東科技做了什麼")
        expect(visitor.locator(".qa-reply").first).to_contain_text(expected_answer("京東科技做了什麼").text)
        assert reply_count(visitor) == 1
    finally:
        visitor.close()


def test_deep_link_in_simplified(page, app_url: str) -> None:
    expect = sync_api.expect
    page.goto(f"{app_url}/?q=金融科技如何联通产业前后端")
    wait_for_reply(page, 1)
    expect(page.locator(".qa-reply").first).to_contain_text(FINTECH_SECTION)
    page.get_by_text("简体", exact=True).click()
    expect(page.locator(".qa-reply").first).to_contain_text("金融科技,业已成为联通产业前后端的新方式")
    expect(page.get_by_role("heading", name="文章问答")).to_be_visible()
