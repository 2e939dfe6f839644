"""End to end in a real browser: `streamlit run app.py` on a free port, driven through Debian's Chromium."""
from __future__ import annotations

import functools

from pathlib import Path
from typing import Iterator

import pytest

import qa
from qa import display as d
from qa.measure.bench_app import CHROMIUM, app_server, ask_in_browser, launch_browser, reply_count, wait_for_reply

sync_api = pytest.importorskip("playwright.sync_api")
sync_api.expect.set_options(timeout=20000)  # the first visit builds the index; other jobs may share the CPU

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
FINTECH_QUESTION = "金融科技如何聯通產業前後端"
FINTECH_SECTION = "金融科技，業已成為聯通產業前后端的新方式"  # shown with a full-width comma


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


def expected_answer(question: str) -> str:
    """The best answer the engine itself gives, as shown (so the test does not hard-code the ranking)."""
    answers = seed_index().ask(question, top_k=3)
    assert answers
    return d.tidy_punctuation(answers[0].text)


REPLIES = '[data-testid="stChatMessage"]:has(.qa-reply)'  # a reply: its head and its cards


def test_ask_follow_up_and_screenshot(page, app_url: str) -> None:
    expect = sync_api.expect
    page.goto(app_url)
    expect(page.get_by_role("heading", name="文章問答")).to_be_visible()
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible()

    ask_in_browser(page, FINTECH_QUESTION)
    reply = page.locator(REPLIES).last
    expect(reply).to_contain_text(FINTECH_SECTION)
    expect(reply).to_contain_text(expected_answer(FINTECH_QUESTION))
    expect(reply.locator("mark").first).to_be_visible()
    assert "?q=" in page.url  # the address bar is the share link of the last answer

    # A follow-up chain: each short question carries the words of the one before it.
    ask_in_browser(page, "它有什麼作用")
    expect(page.locator(REPLIES).last).to_contain_text("接著上文，沿用了")
    expect(page.locator(".qa-reply").last.locator(".qa-carried").first).to_be_visible()
    ask_in_browser(page, "那京東科技呢")
    expect(page.locator(REPLIES).last.locator(".qa-card").first).to_be_visible()
    assert page.url.count("q=") >= 2  # the follow-up's link asks the questions it follows too

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
    page.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring in the picture
    page.mouse.move(1200, 880)
    page.wait_for_timeout(300)  # let the fonts and the chat's own scrolling settle before the picture
    page.locator('[data-testid="stChatMessage"]').first.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(200)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app.png"))


def card_texts(page) -> list[list[str]]:
    """The sentences each answer card of the last reply shows."""
    return page.locator('[data-testid="stChatMessage"]').last.locator(".qa-card").evaluate_all(
        "cards => cards.map(c => [...c.querySelectorAll('.qa-sentence, .qa-context')].map(p => p.innerText))")


def test_cards_and_the_reader_view_from_a_card(page, app_url: str) -> None:
    expect = sync_api.expect
    page.goto(app_url)
    ask_in_browser(page, FINTECH_QUESTION)
    shown = [t for card in card_texts(page) for t in card]
    assert shown and len(shown) == len(set(shown))  # no sentence on two cards
    figures = page.locator('[data-testid="stChatMessage"]').last.locator(".qa-pct").all_inner_texts()
    assert [int(f.rstrip("%")) for f in figures] == sorted((int(f.rstrip("%")) for f in figures), reverse=True)
    expect(page.locator(".qa-pct").first).to_be_visible()  # the figure is on screen, not in a tooltip

    page.get_by_role("button", name="在原文中閱讀").nth(1).click()  # the second card's passage in the article
    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".qa-reader")).to_be_visible()
    expect(dialog.locator("h4").first).to_be_visible()
    mark = dialog.locator("#qa-at")
    expect(mark).to_be_in_viewport()  # scrolled to the passage
    second = card_texts(page)[1]
    expect(dialog.locator(".qa-at").first).to_contain_text(second[0][:12])
    assert "at=" in page.url and "q=" in page.url
    link = page.url
    page.screenshot(path=str(ARTIFACTS / "reader.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    visitor = page.context.new_page()  # the address bar's link opens the same passage
    try:
        visitor.goto(link)
        wait_for_reply(visitor, 1)
        expect(visitor.get_by_role("dialog").locator("#qa-at")).to_be_in_viewport()
    finally:
        visitor.close()


def test_sidebar_section_opens_the_reader(page, app_url: str) -> None:
    expect = sync_api.expect
    page.goto(app_url)
    page.get_by_test_id("stSidebar").get_by_text("京東、阿里的金融科技新啟示").click()
    page.get_by_test_id("stSidebar").get_by_role("button", name="結語").click()
    heading = page.get_by_role("dialog").locator("#qa-at")
    expect(heading).to_have_text("結語")
    expect(heading).to_be_in_viewport()


def test_phone_width(browser, app_url: str) -> None:
    expect = sync_api.expect
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-TW")
    page = context.new_page()
    try:
        page.goto(app_url)
        pills = page.get_by_test_id("stButtonGroup").first.locator("button")
        expect(pills.first).to_be_visible(timeout=30000)
        for i in range(pills.count()):  # every example question is whole: nothing cut off with "…"
            box = pills.nth(i).evaluate("b => [b.scrollWidth, b.clientWidth, b.getBoundingClientRect().right]")
            assert box[0] <= box[1] + 1 and box[2] <= 390
        page.screenshot(path=str(ARTIFACTS / "phone-start.png"))
        ask_in_browser(page, FINTECH_QUESTION)
        card = page.locator(".qa-card").first
        expect(card.locator(".qa-pct")).to_be_visible()
        assert card.bounding_box()["width"] <= 390
        page.locator('[data-testid="stChatMessage"]').last.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "phone.png"))
    finally:
        context.close()


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
        expect(visitor.locator(REPLIES).first).to_contain_text(expected_answer("京東科技做了什麼"))
        assert reply_count(visitor) == 1
    finally:
        visitor.close()


def test_deep_link_in_simplified(page, app_url: str) -> None:
    expect = sync_api.expect
    page.goto(f"{app_url}/?q=金融科技如何联通产业前后端")
    wait_for_reply(page, 1)
    expect(page.locator(REPLIES).first).to_contain_text(FINTECH_SECTION)
    page.get_by_text("简体", exact=True).click()
    expect(page.locator(REPLIES).first).to_contain_text("金融科技，业已成为联通产业前后端的新方式")
    expect(page.get_by_role("heading", name="文章问答")).to_be_visible()
