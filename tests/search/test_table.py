"""qa.search.table: articles stored column-wise come back exactly — cleaned sentence texts included — when built,
joined (an upload beside the seeds) and chosen from (a shard, a filter)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import qa
from qa.search.table import ArticleTable


@pytest.fixture(scope="module")
def articles(seed_article, analyzer) -> list[qa.Article]:
    tea = qa.index_text("紅茶\n\n飲用紅茶的習慣最早在歐洲的宮廷流行。後來才傳到民間。", "tea.txt", analyzer).articles[0]
    garbled = qa.index_text("火星\n\n火(huǒ)星(xīng)是太陽(yáng)系的第四顆行星。它的表面呈紅色。", "mars.txt",
                            analyzer).articles[0]
    return [seed_article, tea, garbled]


def cleaned(article: qa.Article) -> int:
    return sum(article.raw[s.start:s.end] != s.text for s in article.sentences)


def sentence_texts(table: ArticleTable) -> list[str]:
    return [table.sentence_text(g) for g in range(int(table.sentence_counts().sum()))]


def test_a_table_gives_back_every_article_and_keeps_only_the_cleaned_texts(articles) -> None:
    assert cleaned(articles[0]) > 0 and cleaned(articles[2]) > 0 and cleaned(articles[1]) == 0
    table = ArticleTable.from_articles(articles)
    assert [table[i] for i in range(len(articles))] == articles
    assert len(table.arrays["text_ids"]) == sum(map(cleaned, articles)) < sum(len(a.sentences) for a in articles)
    assert sentence_texts(table) == [s.text for a in articles for s in a.sentences]


def test_joined_and_chosen_tables_keep_each_sentences_own_text(articles) -> None:
    whole = ArticleTable.from_articles(articles)
    joined = ArticleTable.concatenate([ArticleTable.from_articles(articles[:1]), ArticleTable.from_articles(articles[1:])])
    for name, array in whole.arrays.items():
        np.testing.assert_array_equal(joined.arrays[name], array, err_msg=name)
    chosen = whole.select([2, 0])
    assert [chosen[0], chosen[1]] == [articles[2], articles[0]]
    assert sentence_texts(chosen) == [s.text for a in (articles[2], articles[0]) for s in a.sentences]
    assert list(chosen.arrays["text_ids"]) == sorted(chosen.arrays["text_ids"])


def test_a_sentences_paragraph_and_section_come_from_the_paragraph_that_holds_it(articles) -> None:
    table = ArticleTable.from_articles(articles)
    assert "sentence_paragraph" not in table.arrays and "sentence_section" not in table.arrays
    firsts = np.cumsum([0] + [len(a.paragraphs) for a in articles])
    expected = [firsts[i] + s.paragraph for i, a in enumerate(articles) for s in a.sentences]
    assert table.sentence_paragraphs().tolist() == expected
    # An article whose sentence names a paragraph that does not hold it cannot be stored without loss: refused.
    seed = articles[0]
    moved = dataclasses.replace(seed.sentences[0], paragraph=seed.sentences[0].paragraph + 1)
    broken = dataclasses.replace(seed, sentences=(moved, *seed.sentences[1:]))
    with pytest.raises(ValueError, match="not held once"):
        ArticleTable.from_articles([broken])
