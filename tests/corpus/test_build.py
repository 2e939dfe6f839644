"""Corpora of many articles: folders (recursive .txt/.md) and JSON Lines, bad files and lines reported, the
rest indexed, on one or several processes with the same result."""
from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pytest

import qa
from conftest import SEED_PATH
from qa.corpus.build import CHUNK_ITEMS, Progress, article_names, build_index, only_articles, scan
from conftest import SEED_QUESTIONS

TYPHOON = "颱風\n\n颱風季節通常在夏天和秋天。颱風帶來強風和豪雨。"
METRO = "# 城市交通\n\n地鐵每天運送數百萬名乘客。公車路線覆蓋郊區。"


@pytest.fixture()
def folder(tmp_path):
    """A folder corpus: the seed, a Big5 article, a nested Markdown article, and files that cannot be used."""
    root = tmp_path / "articles"
    (root / "news" / "city").mkdir(parents=True)
    shutil.copy(SEED_PATH, root / SEED_PATH.name)
    (root / "news" / "typhoon.txt").write_bytes(TYPHOON.encode("big5"))
    (root / "news" / "city" / "metro.md").write_text(METRO, encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / "news" / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (root / "news" / "dots.txt").write_text("……\n！！！", encoding="utf-8")
    (root / "notes.csv").write_text("not,an,article\n", encoding="utf-8")  # not .txt/.md: not looked at
    return root


def test_folder_corpus_indexes_the_good_files_and_reports_the_bad(folder, analyzer) -> None:
    index = build_index(scan(folder), analyzer, workers=1)
    assert sorted(index.articles.names) == sorted([SEED_PATH.name, "news/city/metro.md", "news/typhoon.txt"])
    problems = "\n".join(index.problems)
    assert len(index.problems) == 3
    assert "empty.txt: the file is empty" in problems
    assert "image.txt: looks like a binary file" in problems
    assert "dots.txt: no sentences found" in problems
    assert "notes.csv" not in problems
    answer = index.ask("台风通常在什么季节？")[0]
    assert (answer.text, answer.doc, answer.title) == ("颱風季節通常在夏天和秋天。", "news/typhoon.txt", "颱風")
    assert index.ask("地铁每天运送多少乘客？")[0].doc == "news/city/metro.md"
    assert "效率業已開始下降" in index.ask("互聯網模式聯通產業前後端的效率怎樣了？")[0].text


def test_only_articles_answers_from_the_chosen_ones_and_nowhere_else(folder, analyzer) -> None:
    index = build_index(scan(folder), analyzer, workers=1)
    names = [name for name, _ in article_names(index.articles)]
    assert names == list(index.articles.names) and dict(article_names(index.articles))["news/typhoon.txt"] == "颱風"
    typhoon, seed = names.index("news/typhoon.txt"), names.index(SEED_PATH.name)
    questions = [q for q, _ in SEED_QUESTIONS] + ["台风通常在什么季节？", "地鐵每天運送多少乘客？", "颱風帶來什麼？"]
    for chosen in ([typhoon], [seed], [typhoon, seed]):
        only = only_articles(index, chosen)
        allowed = {names[i] for i in chosen}
        for question in questions:
            assert {a.doc for a in only.ask(question, top_k=5)} <= allowed, (question, chosen)
    assert only_articles(index, [typhoon]).ask("台风通常在什么季节？")[0].text == "颱風季節通常在夏天和秋天。"
    assert only_articles(index, [typhoon]).ask("地鐵每天運送多少乘客？") == []  # metro answers it, but is not chosen
    from_seed = only_articles(index, [seed])

    def found(where: qa.Index) -> set[str]:
        return {q for q, wanted in SEED_QUESTIONS if any(w in a.text for w in wanted for a in where.ask(q))}

    # The seed's own questions find their sentences as well as in the whole corpus.
    assert len(found(from_seed)) >= len(found(index)) >= len(SEED_QUESTIONS) // 2
    # Filtering a filtered index starts from the whole one; the whole index is untouched.
    again = only_articles(only_articles(index, [typhoon]), [seed])
    assert [a.text for a in again.ask(questions[0])] == [a.text for a in from_seed.ask(questions[0])]
    assert index.ask("地鐵每天運送多少乘客？")[0].doc == "news/city/metro.md"
    assert only_articles(index, []).ask("台风通常在什么季节？") == []
    with pytest.raises(ValueError, match="between 0 and 2"):
        only_articles(index, [3])


def test_only_articles_works_on_an_index_of_article_objects(seed_index: qa.Index) -> None:
    question, wanted = SEED_QUESTIONS[1]
    assert any(w in a.text for w in wanted for a in only_articles(seed_index, [0]).ask(question))
    assert only_articles(seed_index, []).ask(question) == []


def jsonl_lines() -> list[bytes]:
    good = {"title": "颱風", "text": "颱風季節通常在夏天和秋天。颱風帶來強風和豪雨。", "url": "https://example.org/typhoon"}
    return [
        b"\xef\xbb\xbf" + json.dumps(good, ensure_ascii=False).encode(),  # 1: a byte-order mark is fine
        b"   ",  # 2: blank lines are skipped silently
        json.dumps({"title": "空", "text": "  "}, ensure_ascii=False).encode(),  # 3
        b"{not json",  # 4
        json.dumps(["a list"]).encode(),  # 5
        json.dumps({"text": 42}).encode(),  # 6
        json.dumps({"title": 3, "text": "標題是數字。"}, ensure_ascii=False).encode(),  # 7
        json.dumps({"title": "城市交通", "text": "地鐵每天運送數百萬名乘客。公車路線覆蓋郊區。"}, ensure_ascii=False).encode(),  # 8
        json.dumps({"text": "夜市小吃\n\n臭豆腐是夜市最受歡迎的小吃。"}, ensure_ascii=False).encode(),  # 9: title from the text
        "標題\t壞掉".encode("big5"),  # 10: not UTF-8
    ]


def test_jsonl_corpus_reports_each_bad_line_and_indexes_the_rest(tmp_path, analyzer) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_bytes(b"\n".join(jsonl_lines()) + b"\n")
    index = build_index(scan(path), analyzer, workers=1)
    assert list(index.articles.names) == ["https://example.org/typhoon", "城市交通", "corpus.jsonl:9"]
    assert list(index.articles.titles) == ["颱風", "城市交通", "夜市小吃"]
    reasons = {int(p.split(":")[1]): p.split(": ", 1)[1] for p in index.problems}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 10]
    assert reasons[3].startswith('no "text"') and reasons[6].startswith('no "text"')
    assert reasons[4].startswith("not valid JSON") and reasons[5].startswith("expected a JSON object")
    assert reasons[7] == '"title" and "url" must be strings' and reasons[10].startswith("not UTF-8")
    answer = index.ask("臭豆腐在哪裡最受歡迎？")[0]
    assert (answer.doc, answer.title, answer.text) == ("corpus.jsonl:9", "夜市小吃", "臭豆腐是夜市最受歡迎的小吃。")
    assert index.ask("颱風帶來什麼？")[0].doc == "https://example.org/typhoon"


def test_missing_source_is_a_problem_not_a_crash(tmp_path, analyzer) -> None:
    index = build_index(scan([tmp_path / "nowhere", SEED_PATH]), analyzer, workers=1)
    assert index.problems == (f"{tmp_path / 'nowhere'}: no such file or folder",)
    assert len(index.articles) == 1


def test_several_processes_give_the_same_index_as_one(tmp_path, analyzer) -> None:
    topics = ["颱風季節通常在夏天和秋天", "地鐵每天運送數百萬名乘客", "臭豆腐是夜市最受歡迎的小吃", "金融科技聯通產業前後端"]
    path = tmp_path / "many.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(CHUNK_ITEMS + 30):  # more than one chunk, so the worker pool is used
            text = f"第{i}篇\n\n{topics[i % 4]}。這是第{i}篇文章的第二句話。" + ("" if i % 9 else "\n\n結語\n\n完。")
            out.write(json.dumps({"title": f"文章{i}", "text": text}, ensure_ascii=False) + "\n")
    one = build_index(scan(path), analyzer, workers=1)
    two = build_index(scan(path), analyzer, workers=2)
    assert one.articles.strings == two.articles.strings and one.problems == two.problems
    for name, array in one.articles.arrays.items():
        np.testing.assert_array_equal(two.articles.arrays[name], array, err_msg=name)
    for name, scorer in one.scorers.items():
        assert two.scorers[name].term_list == scorer.term_list
        for array_name, array in scorer.arrays().items():
            np.testing.assert_array_equal(two.scorers[name].arrays()[array_name], array, err_msg=array_name)
    assert one.ask("地鐵運送多少乘客？") == two.ask("地鐵運送多少乘客？")
    assert len(one.articles) == CHUNK_ITEMS + 30 and one.articles[9].sections[1].heading == "結語"


def test_progress_line_shows_rate_and_time_left() -> None:
    out = io.StringIO()
    progress = Progress(out)
    progress.start(200)
    progress.advance(50, 20_000)
    line = progress.line()
    assert "50/200 articles" in line and "articles/s" in line and "chars/s" in line and "ETA" in line
    progress.advance(150, 60_000)
    progress.finish()
    final = out.getvalue().splitlines()[-1]
    assert "200/200 articles" in final and "done in" in final and "ETA" not in final
