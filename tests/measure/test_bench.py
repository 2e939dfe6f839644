"""qa.measure.bench's tokenization job: throughput rows for jieba's two modes and the engine's terms, and the
comparison of other implementations of jieba's search mode against jieba itself."""
from __future__ import annotations

import re

import jieba

from qa.measure import bench


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。！？])", text) if s.strip()][:40]


def test_the_tokenization_job_measures_both_modes_and_the_engine(seed_raw) -> None:
    out = bench.job_tokenize({"texts": sentences(seed_raw), "workers": 1})
    assert out["sentences"] == 40 and out["chars"] == sum(map(len, sentences(seed_raw)))
    assert all(out[f"{name}_{n}"] > 0 for name in ("lcut", "search", "terms") for n in "1n")


def test_a_port_is_compared_cut_for_cut_and_a_missing_one_is_left_out(seed_raw, monkeypatch) -> None:
    texts = sentences(seed_raw)
    reference = [jieba.dt.lcut_for_search(t) for t in texts]
    monkeypatch.setattr(bench, "JIEBA_PORTS", {"jieba": lambda m: m.dt.lcut_for_search,
                                               "no_such_port_installed": lambda m: m.cut})
    ports = bench._ports(texts, reference)
    assert set(ports) == {"jieba"} and ports["jieba"]["same"] == 1.0 and ports["jieba"]["chars_s"] > 0
    # Cutting differently is counted: accurate mode differs from search mode on some of these sentences.
    monkeypatch.setattr(bench, "JIEBA_PORTS", {"jieba": lambda m: m.dt.lcut})
    assert bench._ports(texts, reference)["jieba"]["same"] < 1.0


def test_resident_memory_is_split_into_anonymous_and_file_backed_pages(tmp_path) -> None:
    import numpy as np

    before = bench.rss_parts_mb()
    held = np.ones(64 * 2**20 // 8)  # 64 MB of this process's own pages
    path = tmp_path / "mapped.npy"
    np.save(path, np.ones(64 * 2**20 // 8))
    mapped = np.load(path, mmap_mode="r")
    float(mapped.sum())  # reading every page maps it in, file-backed
    after = bench.rss_parts_mb()
    assert after["anon_mb"] - before["anon_mb"] > 50 and after["file_mb"] - before["file_mb"] > 50
    del held, mapped
