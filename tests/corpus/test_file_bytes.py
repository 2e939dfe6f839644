"""The stored text read by slices from its file (qa/corpus/file_bytes.py) is the array np.load gives, piece by piece."""
from __future__ import annotations

import os
import pickle

import numpy as np

from qa.corpus.file_bytes import FileBytes


def stored(tmp_path, values: np.ndarray):
    file = tmp_path / "table.raw_bytes.npy"
    np.save(file, values)
    mapped = np.load(file, mmap_mode="r")
    return file, FileBytes(file, mapped.offset, mapped.size)


def test_slices_fancy_indexing_and_the_whole_array_are_the_stored_values(tmp_path) -> None:
    values = np.random.default_rng(5).integers(0, 256, 100_000).astype(np.uint8)
    file, read = stored(tmp_path, values)
    assert len(read) == read.size == read.nbytes == 100_000 and read.shape == (100_000,) and read.dtype == np.uint8
    for a, b in [(0, 10), (99_990, 100_000), (5, 5), (-20, None), (50_000, 200_000), (np.int64(7), np.int64(70))]:
        np.testing.assert_array_equal(read[a:b], values[a:b])
    np.testing.assert_array_equal(read[np.array([3, 1, 99_999])], values[[3, 1, 99_999]])
    np.testing.assert_array_equal(np.asarray(read), values)
    target = np.zeros(100_010, dtype=np.uint8)
    target[10:] = read  # as ArticleTable.concatenate copies a stored table's text
    np.testing.assert_array_equal(target[10:], values)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(read))[100:200], values[100:200])


def test_the_file_opened_stays_what_is_read_when_it_is_replaced(tmp_path) -> None:
    values = np.arange(1000, dtype=np.uint64).astype(np.uint8)
    file, read = stored(tmp_path, values)
    replacement = tmp_path / "new.npy"
    np.save(replacement, np.zeros(1000, dtype=np.uint8))
    os.replace(replacement, file)  # a rebuild replaces the index's files; an open index keeps the bytes it opened
    np.testing.assert_array_equal(read[0:1000], values)
    read.close()
    read.close()  # twice is harmless


def test_a_stored_index_reads_its_text_by_slices_and_answers_as_built(tmp_path, seed_index) -> None:
    from qa.corpus.store import build, load_index
    from conftest import ROOT

    build(ROOT / "seeds", tmp_path / "idx")
    loaded = load_index(tmp_path / "idx")
    assert isinstance(loaded.articles.arrays["raw_bytes"], FileBytes)
    assert [a.raw for a in loaded.articles] == [a.raw for a in seed_index.articles]
    question = "金融科技為什麼能聯通產業前後端？"
    assert [a.text for a in loaded.ask(question)] == [a.text for a in seed_index.ask(question)]


def test_without_pread_the_text_is_mapped_as_before(tmp_path, seed_index, monkeypatch) -> None:
    from qa.corpus.store import build, load_index
    from conftest import ROOT

    build(ROOT / "seeds", tmp_path / "idx")
    monkeypatch.delattr(os, "pread")  # Windows has none
    loaded = load_index(tmp_path / "idx")
    assert not isinstance(loaded.articles.arrays["raw_bytes"], FileBytes)
    assert [a.raw for a in loaded.articles] == [a.raw for a in seed_index.articles]
