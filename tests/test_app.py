"""The chat app's flows through streamlit.testing.v1.AppTest (one visitor per AppTest), on the real seed article."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
FINTECH_QUESTION = "金融科技如何聯通產業前後端"
FINTECH_SECTION = "金融科技，業已成為聯通產業前后端的新方式"  # shown with a full-width comma (the article has ",")
# A made-up article in Simplified script, with a heading, about a subject the seed never mentions.
UPLOAD = """# 火星探测的新进展

## 火星上的水

科学家在火星南极的冰层下发现了液态水的迹象。雷达数据显示，这片湖泊宽约二十公里。

## 探测器

毅力号探测器在杰泽罗陨石坑着陆，它的任务是寻找古代生命的痕迹。
""".encode("utf-8")
MARS_QUESTION = "火星南极的冰层下发现了什么"


def new_visitor(query: dict[str, str | list[str]] | None = None) -> AppTest:
    """A fresh session of the app (its own session_state), optionally opened with ?q= parameters."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception
    return at


def plain(html: str) -> str:
    """The text of some HTML (marks and tags dropped), to look for sentences in."""
    return re.sub(r"<[^>]+>", "", html)


def replies(at: AppTest) -> list[str]:
    """The HTML of each assistant reply, in order."""
    return ["".join(h.value for h in m.html) for m in at.chat_message if m.name == "assistant"]


def questions(at: AppTest) -> list[str]:
    return ["".join(h.value for h in m.html) for m in at.chat_message if m.name == "user"]


def linked(at: AppTest) -> list[str]:
    """The ?q= values the app left in the address bar."""
    value = at.query_params.get("q", [])
    return [value] if isinstance(value, str) else list(value)


def reader(at: AppTest) -> str:
    """The reader view's HTML ('' when it is closed)."""
    return "".join(h.value for h in at.get("html") if 'class="qa-reader"' in h.value)


def sidebar_text(at: AppTest) -> str:
    parts = [e.label for e in at.sidebar.expander] + [h.value for h in at.sidebar.html]
    parts += [b.label for b in at.sidebar.button]
    parts += [e.value for e in at.sidebar.error] + [e.value for e in at.sidebar.success]
    return "\n".join(parts)


def test_first_view_has_title_examples_and_articles() -> None:
    at = new_visitor()
    assert at.title[0].value == "文章問答"
    assert "找出回答問題的句子" in at.caption[0].value
    assert at.caption[1].value == "回答根據：《京東、阿里的金融科技新啟示》"
    examples = at.pills[0].options
    assert 3 <= len(examples) <= 4 and all(q.endswith("？") for q in examples)
    assert not any(q.startswith("為什麼說") for q in examples)  # not the headings reworded
    assert "京東、阿里的金融科技新啟示" in sidebar_text(at)
    assert "金融科技，業已成為新物種的競技場" in sidebar_text(at)  # the article's sections are listed (as buttons)
    assert not at.chat_message
    assert at.sidebar.button(key="clear").disabled
    # Nothing drawn by Streamlit's magic (a bare expression's value): a table of 234k words once froze the browser.
    assert not at.json and not at.get("text") and not at.exception


def test_ask_shows_answer_with_its_section() -> None:
    at = ask(new_visitor(), FINTECH_QUESTION)
    assert FINTECH_QUESTION in questions(at)[0]
    reply = replies(at)[0]
    assert reply.count('class="qa-card"') == 3
    assert FINTECH_SECTION in reply and "京東、阿里的金融科技新啟示" in reply
    assert "<mark>" in reply and "qa-rel" in reply and "qa-pct" in reply
    figures = [int(f) for f in re.findall(r'qa-pct">(\d+)%', reply)]
    assert len(figures) == 3 and figures == sorted(figures, reverse=True)  # never rising down the list
    assert [b.label for b in at.chat_message[1].button] == ["在原文中閱讀"] * 3  # one reader button per card
    assert linked(at) == [FINTECH_QUESTION]
    assert f"/?q={FINTECH_QUESTION}" in at.code[0].value  # the copyable share link


def test_number_of_answers_and_context() -> None:
    at = new_visitor()
    at.sidebar.slider(key="top_k").set_value(1)
    at.sidebar.toggle(key="context").set_value(False)
    at = ask(at, FINTECH_QUESTION)
    reply = replies(at)[0]
    assert reply.count('class="qa-card"') == 1 and "qa-context" not in reply
    at.sidebar.toggle(key="context").set_value(True).run()
    assert replies(at)[0].count("<p class=") > reply.count("<p class=")  # the sentences around join the card


def test_no_answer_says_so_and_suggests_sections_that_open() -> None:
    at = ask(new_visitor(), "火星上有水嗎")
    reply = replies(at)[0]
    assert "qa-card" not in reply
    assert "文章裡找不到能回答這個問題的句子" in reply and "換個說法" in reply
    looks = at.chat_message[1].button
    assert looks and all(b.label.startswith("金融科技，業已成為") or b.label == "結語" for b in looks)
    looks[0].click().run()  # a suggested section is a button: it opens the reader there
    assert not at.exception and reader(at) and 'class="qa-at-heading"' in reader(at)
    assert at.query_params["at"].startswith("000_353909e30accdd14.txt:s")


def test_example_question_asks_itself() -> None:
    at = new_visitor()
    example = at.pills[0].options[0]
    at.pills[0].set_value(example).run()
    assert not at.exception
    assert example in questions(at)[0]
    assert "qa-card" in replies(at)[0]
    assert example not in at.pills[0].options  # the others stay on offer, below the chat


def test_follow_up_uses_history_and_shows_carried_words() -> None:
    at = ask(ask(new_visitor(), FINTECH_QUESTION), "它有什麼作用")
    reply = replies(at)[1]
    assert "接著上文，沿用了" in reply and "qa-carried" in reply and "聯通" in reply
    assert linked(at) == [FINTECH_QUESTION, "它有什麼作用"]
    assert at.code[1].value.endswith(f"/?q={FINTECH_QUESTION}&q=它有什麼作用")


def test_upload_adds_an_article_for_this_visitor_only() -> None:
    visitor = new_visitor()
    visitor.sidebar.file_uploader[0].upload("mars.md", UPLOAD, "text/markdown").run()
    assert not visitor.exception
    assert "已加入「火星探测的新进展」" in sidebar_text(visitor)
    assert "火星探测的新进展" in [e.label for e in visitor.sidebar.expander]
    assert "火星" in visitor.pills[0].options[0]  # examples from the uploaded article come first
    reply = replies(ask(visitor, MARS_QUESTION))[0]
    assert "火星探测的新进展" in reply and "火星上的水" in reply and "液态水" in reply
    assert any("別人打開連結時看不到" in c.value for c in visitor.caption)  # its share link cannot show it
    # Another visitor, same server process: no trace of the upload.
    other = new_visitor()
    assert "火星" not in sidebar_text(other)
    assert "qa-card" not in replies(ask(other, MARS_QUESTION))[0]


def test_article_filter_answers_only_from_the_chosen_articles() -> None:
    at = new_visitor()
    assert not at.sidebar.pills and not at.sidebar.multiselect  # one article: nothing to choose from
    at.sidebar.file_uploader[0].upload("mars.md", UPLOAD, "text/markdown").run()
    only = at.sidebar.pills(key="only")  # a few articles: buttons (no "Select all", no "No results")
    assert only.options == ["京東、阿里的金融科技新啟示", "火星探测的新进展"] and only.value == []
    only.set_value([1]).run()
    assert "回答根據：《火星探测的新进展》" in [c.value for c in at.caption]
    ask(at, FINTECH_QUESTION)
    reply = replies(at)[0]
    assert "qa-card" not in reply  # the seed answers it, but only the uploaded article may
    assert "只從《火星探测的新进展》回答" in reply  # the reply says the filter is on
    # The "no answer" suggestions are sections of the searched article only.
    assert {b.label for b in at.chat_message[1].button} <= {"火星上的水", "探测器"}
    assert "液态水" in replies(ask(at, MARS_QUESTION))[1]
    at.sidebar.pills(key="only").set_value([0]).run()
    assert "qa-card" not in replies(ask(at, MARS_QUESTION))[2]
    at.sidebar.pills(key="only").set_value([]).run()  # none chosen: every article answers again
    last = replies(ask(at, FINTECH_QUESTION))[3]
    assert last.count('class="qa-card"') == 3 and "只從" not in last


@pytest.fixture(scope="module")
def stored_index(tmp_path_factory) -> Path:
    """A persistent index (python -m qa index) of the seed and two small made-up articles."""
    from conftest import SEED_PATH
    from qa.corpus import store

    root = tmp_path_factory.mktemp("corpus")
    shutil.copy(SEED_PATH, root / SEED_PATH.name)
    (root / "typhoon.txt").write_text("颱風\n\n颱風季節通常在夏天和秋天。颱風帶來強風和豪雨。", encoding="utf-8")
    (root / "metro.md").write_text("# 城市交通\n\n地鐵每天運送數百萬名乘客。公車路線覆蓋郊區。", encoding="utf-8")
    path = tmp_path_factory.mktemp("index") / "index"
    store.build(root, path, workers=1)
    return path


def test_qa_index_answers_from_a_persistent_index_loaded_once(stored_index, monkeypatch, tmp_path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(stored_index, copy)
    monkeypatch.setenv("QA_INDEX", str(copy))
    at = new_visitor()
    assert not at.sidebar.file_uploader  # uploads are for the seed articles only
    only = at.sidebar.pills(key="only")
    assert sorted(only.options) == sorted(["京東、阿里的金融科技新啟示", "城市交通", "颱風"])
    reply = replies(ask(at, "台风通常在什么季节？"))[0]
    assert "颱風季節通常在夏天和秋天" in plain(reply) and reply.count('class="qa-card"') >= 1
    assert "qa-card" in replies(ask(at, FINTECH_QUESTION))[1]
    only = at.sidebar.pills(key="only")
    only.set_value([only.options.index("京東、阿里的金融科技新啟示")]).run()
    assert "qa-card" not in replies(ask(at, "台风通常在什么季节？"))[2]
    # Loaded once per process: a second visitor is answered from memory even with the folder gone.
    shutil.rmtree(copy)
    other = new_visitor()
    assert "颱風季節通常在夏天和秋天" in plain(replies(ask(other, "颱風季節是什麼時候？"))[0])


def test_past_a_thousand_articles_the_filter_is_a_title_search(monkeypatch, tmp_path) -> None:
    import json

    from qa.corpus import store

    corpus = tmp_path / "many.jsonl"
    with corpus.open("w", encoding="utf-8") as out:
        for i in range(1000):
            out.write(json.dumps({"title": f"第{i}篇", "text": f"這是第{i}篇文章的第一句。"}, ensure_ascii=False) + "\n")
        out.write(json.dumps({"title": "颱風", "text": "颱風季節通常在夏天和秋天。颱風帶來強風和豪雨。"},
                             ensure_ascii=False) + "\n")
        out.write(json.dumps({"title": "城市交通", "text": "地鐵每天運送數百萬名乘客。公車路線覆蓋郊區。"},
                             ensure_ascii=False) + "\n")
    store.build(corpus, tmp_path / "index", workers=1)
    monkeypatch.setenv("QA_INDEX", str(tmp_path / "index"))
    at = new_visitor()
    assert not at.sidebar.multiselect and not at.sidebar.pills and len(at.sidebar.expander) == 30  # capped too
    at.sidebar.text_input(key="only_search").set_value("台风").run()  # Simplified finds the Traditional title
    assert "1 篇文章符合" in [c.value for c in at.sidebar.caption]
    assert "颱風季節通常在夏天和秋天" in plain(replies(ask(at, "台风通常在什么季节？"))[0])
    assert "qa-card" not in replies(ask(at, "地鐵每天運送多少乘客？"))[1]  # 城市交通 does not match the search
    at.sidebar.text_input(key="only_search").set_value("").run()
    assert "地鐵每天運送數百萬名乘客" in plain(replies(ask(at, "地鐵每天運送多少乘客？"))[2])


def test_qa_index_that_cannot_be_used_says_how_to_build_one(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("QA_INDEX", str(tmp_path / "no-index-here"))
    at = new_visitor()
    assert [e.value for e in at.error] and "索引無法使用" in at.error[0].value
    assert "qa index SOURCE" in at.code[0].value  # the details and the command, as they are
    assert not at.chat_message


@pytest.mark.parametrize("name, data, message", [
    ("empty.txt", b"", "檔案是空的"),
    ("blank.md", b"   \n\n  ", "檔案是空的"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "這不是文字檔"),
    ("big.txt", "金融。".encode() * 600_000, "檔案太大"),
    ("punct.txt", "。。。！！！\n".encode("utf-8"), "找不到任何句子"),
])
def test_bad_upload_gets_a_clear_message(name: str, data: bytes, message: str) -> None:
    at = new_visitor()
    at.sidebar.file_uploader[0].upload(name, data, "text/plain").run()
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == 1 and message in errors[0] and name.split(".")[0] in errors[0]
    assert not re.search(r"[a-z]{4,}", errors[0].replace(name.split(".")[0], ""))  # no English words
    assert [e.label for e in at.sidebar.expander] == ["京東、阿里的金融科技新啟示"]


def test_good_and_bad_uploads_together() -> None:
    at = new_visitor()
    at.sidebar.file_uploader[0].set_value([("mars.md", UPLOAD, "text/markdown"), ("empty.txt", b"", "text/plain")]).run()
    assert not at.exception
    assert len(at.sidebar.error) == 1 and len(at.sidebar.success) == 1
    assert not at.sidebar.code  # nothing but the messages (no stray output)


def test_script_toggle_converts_what_is_shown() -> None:
    at = ask(new_visitor(), FINTECH_QUESTION)
    at.sidebar.segmented_control(key="script").set_value("简体").run()
    assert not at.exception
    reply = replies(at)[0]
    assert "金融科技，业已成为联通产业前后端的新方式" in reply and FINTECH_SECTION not in reply
    assert "<mark>" in reply and "相关度" in reply
    assert at.title[0].value == "文章问答"
    assert "京东、阿里的金融科技新启示" in sidebar_text(at)
    at.sidebar.segmented_control(key="script").set_value("繁體").run()
    assert FINTECH_SECTION.replace("后", "後") in replies(at)[0] and at.title[0].value == "文章問答"


def test_simplified_question_finds_traditional_article() -> None:
    at = ask(new_visitor(), "金融科技如何联通产业前后端")
    assert FINTECH_SECTION in replies(at)[0]


def test_deep_link_asks_at_once() -> None:
    at = new_visitor({"q": FINTECH_QUESTION})
    assert FINTECH_QUESTION in questions(at)[0] and FINTECH_SECTION in replies(at)[0]
    at.run()  # a rerun (any widget) must not ask the linked question again
    assert len(replies(at)) == 1


def test_deep_link_of_a_follow_up() -> None:
    at = new_visitor({"q": [FINTECH_QUESTION, "它有什麼作用"]})
    assert len(replies(at)) == 2 and "接著上文" in replies(at)[1]


def test_clear_chat() -> None:
    at = ask(new_visitor(), FINTECH_QUESTION)
    at.sidebar.button(key="clear").click().run()
    assert not at.exception
    assert not at.chat_message and not linked(at)
    assert at.pills  # back to the examples


@pytest.mark.parametrize("question", [
    "<script>alert('x')</script>金融科技",
    "<img src=x onerror=alert(1)> 金融科技",
    "[點我](javascript:alert(1)) ![圖](http://example.com/a.png) 金融科技",
    "$x^2$ **金融科技** :red[產業]",
])
def test_hostile_question_shows_as_plain_text(question: str) -> None:
    at = ask(new_visitor(), question)
    shown = questions(at)[0]
    assert "<script" not in shown and "<img" not in shown
    assert shown == f'<div class="qa-question">{question.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(chr(34), "&quot;").replace(chr(39), "&#x27;")}</div>'
    assert "<script" not in replies(at)[0] and "<img" not in replies(at)[0]


def test_hostile_article_shows_as_plain_text() -> None:
    hostile = ("<b>粗體</b>標題 [連結](http://e.com) $x$\n\n"
               "## <img src=x onerror=alert(1)>火星章節\n\n"
               "火星上有<script>alert(1)</script>液態水，還有 ![圖](http://e.com/a.png) 與 $y^2$ 的記號。\n").encode()
    at = new_visitor()
    at.sidebar.file_uploader[0].upload("hostile.txt", hostile, "text/plain").run()
    assert not at.exception
    label = next(e.label for e in at.sidebar.expander if "標題" in e.label)
    assert "\\<b\\>" in label and "\\[" in label and "\\$" in label  # Markdown labels escaped
    assert "\\<img src\\=x onerror\\=alert\\(1\\)\\>火星章節" in sidebar_text(at)  # a section's button, escaped
    reply = replies(ask(at, "火星上有液態水嗎"))[0]
    assert "qa-card" in reply and "<script" not in reply and "<img" not in reply
    assert "&lt;script&gt;" in reply and "$y^2$" in reply


@pytest.mark.parametrize("question, message", [
    ("   ", "請輸入問題"),
    ("？？！！。。", "問題只有標點符號"),
])
def test_empty_or_punctuation_question_gets_a_gentle_message(question: str, message: str) -> None:
    at = ask(new_visitor(), question)
    reply = replies(at)[0]
    assert message in reply and "qa-card" not in reply and "/ " not in reply
    assert not linked(at)
    # It is not history: a following question is understood on its own.
    assert "沿用" not in replies(ask(at, FINTECH_QUESTION))[1]


def test_very_long_question_is_truncated_with_notice() -> None:
    at = ask(new_visitor(), FINTECH_QUESTION + "產業" * 5000)
    reply = replies(at)[0]
    assert "問題太長，只用了前 500 個字。" in reply
    assert len(linked(at)[0]) == 500


def test_download_and_clear_are_enabled_after_a_question() -> None:
    at = ask(new_visitor(), FINTECH_QUESTION)
    assert not at.sidebar.button(key="clear").disabled
    assert not at.sidebar.get("download_button")[0].proto.disabled


def test_a_card_opens_the_reader_at_its_passage_and_the_link_reopens_it() -> None:
    at = ask(new_visitor(), FINTECH_QUESTION)
    assert not reader(at)
    card = re.findall(r'data-at="([^"]+)"', replies(at)[0])[1]
    at.chat_message[1].button[1].click().run()  # the second card's 在原文中閱讀
    assert not at.exception
    view = reader(at)
    assert 'id="qa-at"' in view and "qa-at-best" in view and "<h4" in view and FINTECH_SECTION in view
    assert at.query_params["at"] == card and linked(at) == [FINTECH_QUESTION]
    link = next(c.value for c in at.code if "&at=" in c.value)
    assert link.endswith(f"/?q={FINTECH_QUESTION}&at={card.replace(':', '%3A').replace('@', '%40')}")
    # Someone opening that link: the question is asked and the reader opens at the same passage.
    other = new_visitor({"q": FINTECH_QUESTION, "at": card})
    assert len(replies(other)) == 1 and 'id="qa-at"' in reader(other)
    assert "<mark>" in reader(other)  # the linked question's words are marked in the passage
    first, last = (int(x) for x in card.split(":")[1].split("@")[0].split("-"))
    assert reader(other).count('class="qa-at') == last - first + 1


def test_sidebar_sections_open_the_reader() -> None:
    at = new_visitor()
    button = next(b for b in at.sidebar.button if b.label == "金融科技，業已成為新物種的競技場")
    button.click().run()
    view = reader(at)
    assert 'class="qa-at-heading"' in view and "新物種的競技場" in view.split('id="qa-at"')[1][:80]
    assert at.query_params["at"].endswith(":s3")


def test_a_link_to_something_not_here_says_so() -> None:
    at = new_visitor({"at": "someone-elses-upload.txt:3-4@3"})
    assert not at.exception and not reader(at)
    assert any("找不到連結裡的段落" in w.value for w in at.warning)


def test_a_blank_question_gets_its_bubble() -> None:
    at = ask(new_visitor(), "   ")
    assert len(questions(at)) == 1 and "（空白）" in questions(at)[0]
    assert "請輸入問題" in replies(at)[0]


def test_utf16_without_a_byte_order_mark_is_read_as_text() -> None:
    at = new_visitor()
    at.sidebar.file_uploader[0].upload("mars16.txt", UPLOAD.decode("utf-8").encode("utf-16-le"), "text/plain").run()
    assert not at.exception and not at.sidebar.error
    assert "已加入「火星探测的新进展」" in sidebar_text(at)


def test_examples_come_back_after_clear() -> None:
    at = new_visitor()
    examples = at.pills[0].options
    at.pills[0].set_value(examples[0]).run()
    at.sidebar.button(key="clear").click().run()
    assert at.pills[0].options == examples


def test_the_interface_is_chinese() -> None:
    at = ask(new_visitor(), FINTECH_QUESTION)
    labels = [w.label for w in [*at.sidebar.slider, *at.sidebar.toggle, *at.sidebar.segmented_control,
                                *at.sidebar.button]]
    uploader = at.sidebar.file_uploader[0]
    labels += [uploader.label, uploader.help or "", *(c.value for c in at.sidebar.caption)]
    english = [t for t in labels if re.search(r"[A-Za-z]{3,}", re.sub(r"Markdown|\.txt|\.md|MB", "", t))]
    assert not english
    assert at.sidebar.segmented_control(key="script").label == "文字"
    css = "".join(h.value for h in at.get("html") if "stFileUploaderDropzone" in h.value)
    assert "選擇檔案" in css  # the uploader's English button text is replaced (see docs/app.md)


def test_a_name_the_article_never_mentions_is_said_plainly() -> None:
    at = ask(new_visitor(), "劉強東是誰？")
    reply = replies(at)[0]
    assert "文章沒有提到「劉強東」" in reply and "qa-card" not in reply
    at.sidebar.segmented_control(key="script").set_value("简体").run()
    assert "文章没有提到「刘强东」" in replies(at)[0]  # the engine's notice in the interface's script


def test_a_follow_up_chain_links_every_question_it_needs() -> None:
    at = ask(ask(ask(new_visitor(), FINTECH_QUESTION), "它有什麼作用"), "那京東科技呢")
    assert len(replies(at)) == 3 and "qa-card" in replies(at)[2]
    chain = linked(at)
    assert chain[-1] == "那京東科技呢" and len(chain) >= 2
    again = new_visitor({"q": chain})  # the link, opened by someone else, reads the last question the same way
    assert plain(replies(again)[-1]) == plain(replies(at)[2])
