"""qa.search.grounding and Index.reply: what a question names, the kind of answer it wants, regional words."""
from __future__ import annotations

import pytest

from qa.records import Exchange
from qa.search.grounding import wanted_kind


@pytest.mark.parametrize("question, name", [
    ("劉強東對金融科技有什麼看法？", "劉強東"),  # a person jieba does not know: its HMM joins the characters
    ("Netscape瀏覽器是誰開發的？", "Netscape"),  # a Latin name
    ("阿里巴巴的創始人是誰？", "阿里巴巴"),  # a name from jieba's dictionary (three characters or more)
])
def test_a_name_the_article_never_mentions_is_said_plainly(seed_index, question: str, name: str) -> None:
    reply = seed_index.reply(question)
    assert reply.answers == () and reply.refusal == "missing"
    assert reply.notice() == f"文章沒有提到「{name}」。"


def test_names_the_article_does_hold_are_answered(seed_index) -> None:
    reply = seed_index.reply("京東科技和螞蟻金服代表了什麼？")  # both named in the article
    assert reply.refusal == "" and reply.answers
    assert "京東科技、螞蟻金服為代表" in reply.answers[0].text


def test_a_surname_and_one_character_jieba_keeps_only_as_a_prefix_is_a_name(seed_index) -> None:
    # jieba's FREQ holds 马云 with a count of 0 (a prefix of a longer word): it does not know it as a word.
    assert seed_index.understand("馬雲怎麼看待金融科技？").names == ("马云",)
    assert seed_index.understand("萬人參加了什麼活動？").names == ()  # 万 is a surname and a numeral


def test_common_words_jieba_tags_as_places_are_not_names(seed_index) -> None:
    # jieba's dictionary tags 东西 and 城市 as places; two-character tagged words are not trusted as names.
    assert seed_index.understand("金融科技能把哪些東西聯繫在一起？").names == ()


def test_a_price_no_sentence_states_is_refused_for_its_kind(seed_index) -> None:
    reply = seed_index.reply("京東的股價是多少？")
    assert reply.answers == () and reply.refusal == "kind" and reply.kind == "price"
    assert reply.notice() == "文章沒有提到價格。"


@pytest.mark.parametrize("question, kind", [
    ("鄭成功是哪一年出生的？", "date"), ("什么时候上市？", "date"), ("窃听器多少钱一个？", "price"),
    ("美国有几个州？", "number"), ("金融科技有什么作用？", None),
])
def test_wanted_kind(analyzer, question: str, kind: str | None) -> None:
    assert wanted_kind(analyzer.normalize(question)) == kind


@pytest.mark.parametrize("question, pair, phrase", [
    ("網際網路的紅利不再時我們會反思什麼？", ("网际网路", "互联网"), "互聯網模式存在著的問題和弊端"),  # OpenCC tw2sp
    ("虛擬實境技術有什麼發展？", ("虚拟实境", "虚拟现实"), "虛擬現實技術的不斷落地"),  # a pair OpenCC lacks
    ("在資訊不對稱的情況下哪種生態能發揮作用？", ("资讯", "信息"), "信息不對稱"),
])
def test_taiwan_words_find_the_mainland_words_of_the_article(seed_index, question, pair, phrase) -> None:
    reply = seed_index.reply(question)
    assert pair in reply.query.regional
    assert phrase in reply.answers[0].text


def test_words_the_article_holds_are_not_rewritten(seed_index) -> None:
    query = seed_index.understand("互聯網模式有什麼問題？")
    assert query.regional == () and query.matching == ""


def test_a_contrast_follow_up_takes_the_earlier_frame_with_the_new_topic(seed_index) -> None:
    first = seed_index.reply("金融方面出現了哪些新物種？")
    query = seed_index.understand("那科技方面呢？", [Exchange.of(first.query.question, first.answers)])
    assert query.follow_up == "contrast" and query.carried_from == "金融方面出現了哪些新物種？"
    assert "金融" not in query.terms and "科技" in query.terms and "物种" in query.carried
    assert query.matching.startswith("科技方面出现")


def test_a_follow_up_does_not_repeat_the_earlier_answer(seed_index) -> None:
    first = seed_index.reply("互聯網模式有什麼問題？", top_k=1)
    history = [Exchange.of("互聯網模式有什麼問題？", first.answers)]
    again = seed_index.reply("那要怎麼破解這個痛點？", top_k=3, history=history)
    assert again.query.follow_up == "pronoun" and again.query.previous
    assert first.answers[0].sentence_id not in [a.sentence_id for a in again.answers]
    assert all("破解" in a.text or "痛點" in a.text for a in again.answers)  # the follow-up's own words
    # With the question strings only (the old call), it still carries the terms over.
    assert seed_index.understand("那要怎麼破解這個痛點？", ["互聯網模式有什麼問題？"]).carried


def test_history_of_an_unknown_article_is_ignored(seed_index) -> None:
    history = [Exchange("互聯網模式有什麼問題？", (("no-such-article", 3), ("000_353909e30accdd14.txt", 10**6)))]
    assert seed_index.understand("那要怎麼破解這個痛點？", history).previous == ()


# --- follow-ups resolved against what was answered (real articles of our question set, tests/data/) -----------

@pytest.fixture(scope="module")
def set_indexes(analyzer):
    from qa.measure.evaluate import load_conversations
    from qa.search.index import index_text

    articles, _ = load_conversations()
    return {name: index_text(articles[name], name, analyzer) for name in ("drcd-鄭成功", "cmrc-窃听")}


def chain(index, *questions: str):
    """Each question asked with the chat so far; the replies."""
    history, replies = [], []
    for question in questions:
        reply = index.reply(question, 5, history)
        replies.append(reply)
        history.append(Exchange.of(question, reply.answers))
    return replies


def test_a_pointing_phrase_takes_the_earlier_answers_name(set_indexes) -> None:
    *_, reply = chain(set_indexes["drcd-鄭成功"], "鄭軍從哪裡登陸台灣？", "登陸後先攻打哪座城？", "那座城什麼時候投降的？")
    assert ("那座城", "普罗民遮城") in reply.query.resolved and "那座" not in reply.query.terms
    assert reply.query.matching.startswith("普罗民遮城什么时候投降")
    assert "即迫使普羅民遮城守軍出降" in reply.answers[0].text


def test_a_follow_up_asking_what_came_before_looks_before_the_earlier_answer(set_indexes) -> None:
    first, reply = chain(set_indexes["drcd-鄭成功"], "荷蘭人最後什麼時候退出台灣？", "在那之前揆一做了什麼？")
    assert reply.query.follow_up == "pronoun" and reply.query.direction == -1
    assert "修書予鄭成功，表示同意和談" in reply.answers[0].text


def test_a_pronoun_answered_by_the_next_sentence_alone(set_indexes) -> None:
    # 做到 is in no sentence: the answer is the one after the earlier answer, whose 他們 stands for 政府.
    *_, reply = chain(set_indexes["cmrc-窃听"], "哪些国家的政府常通过手机进行监视？", "他们能做到什么？")
    assert reply.answers and "远程启动手机上的麦克风" in reply.answers[0].text


def test_the_earlier_runners_up_may_answer_a_follow_up(set_indexes) -> None:
    first, reply = chain(set_indexes["drcd-鄭成功"], "熱蘭遮城為什麼沒有強攻下來？", "後來改用什麼策略？",
                         "荷蘭的援軍從哪裡來？")[-2:]
    assert "從巴達維亞調遣的援軍" in reply.answers[0].text  # shown fifth before: not the earlier answer
    assert reply.answers[0].sentence_id != first.answers[0].sentence_id


def test_a_contrast_follow_up_matches_the_earlier_answer_reworded(seed_index) -> None:
    first = seed_index.reply("金融方面出現了哪些新物種？")
    reply = seed_index.reply("那科技方面呢？", 3, [Exchange.of("金融方面出現了哪些新物種？", first.answers)])
    assert reply.query.parallel.startswith("对于科技来讲")
    assert "大數據技術的成熟" in reply.answers[0].text


def test_a_plural_demonstrative_makes_a_follow_up(seed_index) -> None:
    first = seed_index.reply("金融方面出現了哪些新物種？")
    query = seed_index.understand("這些新物種給產業帶來了什麼改變？", [Exchange.of(first.query.question, first.answers)])
    assert query.follow_up == "pronoun" and query.carried_from == "金融方面出現了哪些新物種？"
    assert seed_index.understand("這些新物種給產業帶來了什麼改變？").follow_up == ""  # no chat, nothing to follow


@pytest.mark.parametrize("question, junk", [
    ("香港杜鹃第一次被发现是在什么时候？", "第一次"),  # not an ordinal name (第四代 is)
    ("鄭成功圍熱蘭遮城時，一度採取強攻，但因何原因作罷?", "何原因"),  # jieba tags it as a person
    ("鄭軍圍攻漳州城一役極為慘烈，此次圍城至少持續多久以上?", "城一役"),  # the HMM's join of two words' ends
    ("羅馬化的瑞士各方面都有了大大的改變，最重要的是引入了什麼宗教?", "大大的"),  # jieba tags it as a proper noun
])
def test_odd_cuts_are_not_names(seed_index, question: str, junk: str) -> None:
    assert junk not in seed_index.understand(question).names
