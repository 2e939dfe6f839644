"""qa.session: what a visitor's session decides, tested without a browser on the real seed article."""
from __future__ import annotations

import qa
from qa import session as s
from conftest import ROOT

MARS = "# 火星探测\n\n## 火星上的水\n\n科学家在火星南极的冰层下发现了液态水的迹象。雷达数据显示，这片湖泊宽约二十公里。\n".encode()


def test_corpus_key_changes_with_the_articles(tmp_path) -> None:
    (tmp_path / "a.txt").write_text("第一篇。", encoding="utf-8")
    before = s.corpus_key(tmp_path)
    assert s.corpus_key(tmp_path) == before
    (tmp_path / "a.txt").write_text("第一篇改了。", encoding="utf-8")
    assert s.corpus_key(tmp_path) != before


def test_uploads_are_indexed_with_the_shared_articles_and_each_file_gets_a_note(seed_index: qa.Index) -> None:
    uploads = s.index_uploads([("mars.md", MARS), ("empty.txt", b""), ("x.pdf", b"%PDF")], seed_index)
    assert [kind for kind, _, _ in uploads.notes] == ["ok", "error", "error"]
    assert uploads.names == {"mars.md"}
    assert len(uploads.index.articles) == len(seed_index.articles) + 1
    assert uploads.key == s.upload_key([("mars.md", MARS), ("empty.txt", b""), ("x.pdf", b"%PDF")])
    assert uploads.examples and all(uploads.index.ask(q, top_k=1) for q in uploads.examples)
    assert s.examples_shown(uploads, ("甲？",))[0] == uploads.examples[0]  # the visitor's own article first


def test_nothing_usable_uploaded_leaves_no_index(seed_index: qa.Index) -> None:
    uploads = s.index_uploads([("empty.txt", b"")], seed_index)
    assert uploads.index is None and not uploads.names
    assert s.examples_shown(uploads, ("甲？",)) == ("甲？",)


def test_a_turn_holds_the_answers_and_a_follow_up_carries_its_source(seed_index: qa.Index) -> None:
    first = s.answer_turn("金融科技如何聯通產業前後端", seed_index, [])
    assert first.asked and first.answers and first.share == ("金融科技如何聯通產業前後端",)
    problem = s.answer_turn("？？？", seed_index, [first])
    assert problem.problem and not problem.asked


def test_the_filter_answers_only_from_the_chosen_articles(seed_index: qa.Index) -> None:
    uploads = s.index_uploads([("mars.md", MARS)], seed_index)
    titles = s.normalised_titles(uploads.index)
    chosen = s.titles_matching(titles, "火星", uploads.index)
    assert [uploads.index.articles[i].name for i in chosen] == ["mars.md"]
    only = s.answering_index(uploads.index, chosen)
    assert s.answer_turn("金融科技如何聯通產業前後端", only, []).answers == ()
    assert "火星探测" in s.in_use_caption(uploads.index, chosen, "原文", "繁體")


def test_shared_index_is_the_seed_folder_without_a_persistent_index() -> None:
    index = s.shared_index("", ROOT / "seeds")
    assert [a.name for a in index.articles] == ["000_353909e30accdd14.txt"]
