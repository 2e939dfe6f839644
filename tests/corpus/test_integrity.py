"""A store that cannot be fooled: every corruption the audit found (issue 10, D1–D5) and its relatives, each refused
with one StoreError line naming the file, never a traceback, never a silently wrong answer."""
from __future__ import annotations

import json
import os
import shutil
import zlib
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from conftest import SEED_PATH
from qa.corpus import integrity, store
from qa.search.bm25 import TERM_ARRAYS, TermTable
from qa.search.table import RAW_LEVEL, raw_dictionary

EUROPE = "在歐洲"
ASIA = "在亞洲"  # the same number of UTF-8 bytes, and of zlib's (with the shipped dictionary): only a checksum can tell


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "articles"
    root.mkdir()
    shutil.copy(SEED_PATH, root / SEED_PATH.name)
    (root / "typhoon.txt").write_text("颱風\n\n颱風季節通常在夏天和秋天。颱風帶來強風和豪雨。", encoding="utf-8")
    (root / "tea.txt").write_text("紅茶\n\n飲用紅茶的習慣最早在歐洲的宮廷流行。後來才傳到民間。", encoding="utf-8")
    return root


@pytest.fixture()
def built(corpus: Path, tmp_path: Path, analyzer) -> Path:
    path = tmp_path / "index"
    store.build(corpus, path, analyzer, workers=1)
    return path


def manifest_of(path: Path) -> dict:
    return json.loads((path / store.MANIFEST).read_text(encoding="utf-8"))


def write_manifest(path: Path, manifest: object) -> None:
    (path / store.MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def rechecksum(path: Path, *names: str) -> None:
    """Update the manifest's sizes and checksums of some files: what a careful tamperer does."""
    manifest = manifest_of(path)
    for name in names:
        manifest["files"][name] = {"bytes": (path / name).stat().st_size, "sha256": store._file_digest(path / name)}
    write_manifest(path, manifest)


def edit_raw(path: Path, change: Callable[[bytes], bytes], same_size: bool = False) -> None:
    """Change the UTF-8 of the article holding EUROPE inside the stored (zlib-compressed) raw text, recompressed;
    ``same_size``: the new blob must have the old one's size, so that the file keeps its size too (a careful
    tamperer), else the offsets are rewritten and both files re-checksummed."""
    blob, ptr = np.load(path / "table.raw_bytes.npy"), np.load(path / "table.raw_ptr.npy")
    parts = [zlib.decompressobj(zdict=raw_dictionary()).decompress(blob[ptr[i]:ptr[i + 1]]) for i in range(len(ptr) - 1)]
    (at,) = [i for i, part in enumerate(parts) if EUROPE.encode() in part]
    deflate = zlib.compressobj(RAW_LEVEL, zdict=raw_dictionary())
    new = deflate.compress(change(parts[at])) + deflate.flush()
    if same_size:
        assert len(new) == ptr[at + 1] - ptr[at]
        data = blob.copy()
        data[ptr[at]:ptr[at + 1]] = np.frombuffer(new, dtype=np.uint8)
        offset = (path / "table.raw_bytes.npy").stat().st_size - len(blob)
        raw = bytearray((path / "table.raw_bytes.npy").read_bytes())
        raw[offset:] = data.tobytes()
        (path / "table.raw_bytes.npy").write_bytes(bytes(raw))
        return
    parts[at] = new
    for i, part in enumerate(parts):
        if i != at:
            parts[i] = bytes(blob[ptr[i]:ptr[i + 1]])
    np.save(path / "table.raw_bytes.npy", np.frombuffer(b"".join(parts), dtype=np.uint8), allow_pickle=False)
    np.save(path / "table.raw_ptr.npy", np.cumsum([0] + [len(part) for part in parts]), allow_pickle=False)
    rechecksum(path, "table.raw_bytes.npy", "table.raw_ptr.npy")


def europe_to_asia(path: Path) -> None:
    edit_raw(path, lambda text: text.replace(EUROPE.encode(), ASIA.encode()), same_size=True)


def resave(path: Path, name: str, change: Callable[[np.ndarray], np.ndarray]) -> None:
    """Rewrite one array with a change, checksums updated."""
    array = np.load(path / name, allow_pickle=False)
    np.save(path / name, change(array.copy()), allow_pickle=False)
    rechecksum(path, name)


def set_last(value: float) -> Callable[[np.ndarray], np.ndarray]:
    def change(array: np.ndarray) -> np.ndarray:
        array[-1] = value
        return array
    return change


def edit_manifest(change: Callable[[dict], object]) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        manifest = manifest_of(path)
        change(manifest)
        write_manifest(path, manifest)
    return damage


def unlisted(name: str) -> Callable[[dict], None]:
    return lambda m: m["files"].pop(name) and None


def claim_huge(path: Path) -> None:
    """An .npy header claiming 1e11 elements over the real (small) data."""
    file = path / "field.words.doc_low.npy"
    data = file.read_bytes()
    header_end = data.index(b"\n") + 1
    header = data[:header_end].decode("latin1")
    start = header.index("'shape': (") + len("'shape': (")
    old = header[start:header.index(")", start)]
    new_header = header.replace(f"'shape': ({old})", "'shape': (100000000000,)")
    new_header = new_header[:-1].rstrip(" ") + " " * (len(header) - len(new_header[:-1].rstrip(" ")) - 1) + "\n"
    file.write_bytes(new_header.encode("latin1") + data[header_end:])
    rechecksum(path, file.name)


def symlink_to_copy(path: Path) -> None:
    """table.names.bytes.npy replaced by a link to an identical copy outside the folder."""
    outside = path.parent / "elsewhere.npy"
    shutil.copy(path / "table.names.bytes.npy", outside)
    (path / "table.names.bytes.npy").unlink()
    os.symlink(outside, path / "table.names.bytes.npy")


def manifest_link(path: Path) -> None:
    """manifest.json replaced by a link to an identical copy outside the folder."""
    outside = path.parent / "elsewhere.json"
    shutil.copy(path / store.MANIFEST, outside)
    (path / store.MANIFEST).unlink()
    os.symlink(outside, path / store.MANIFEST)


def file_to_folder(path: Path) -> None:
    (path / "table.raw_ptr.npy").unlink()
    (path / "table.raw_ptr.npy").mkdir()


def nested(path: Path) -> None:
    (path / store.MANIFEST).write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")


def not_utf8(path: Path) -> None:
    edit_raw(path, lambda text: text.replace(EUROPE.encode(), b"\xff" + EUROPE.encode()[1:]))


def duplicate_term(path: Path) -> None:
    """The word field's second term made the first one's, its hash table rebuilt to fit (a careful tamperer)."""
    names = [f"field.words.{name}.npy" for name in TERM_ARRAYS]
    table = TermTable(*(np.load(path / name) for name in names))
    terms = list(table.terms)
    terms[1] = terms[0]
    for name, array in zip(names, TermTable.of(terms).arrays().values()):
        np.save(path / name, array, allow_pickle=False)
    rechecksum(path, *names)


def headings_gone(path: Path) -> None:
    blob, ptr = (np.load(path / f"table.headings.{part}.npy") for part in ("bytes", "ptr"))
    np.save(path / "table.headings.bytes.npy", blob[:ptr[-2]], allow_pickle=False)
    np.save(path / "table.headings.ptr.npy", ptr[:-1], allow_pickle=False)
    rechecksum(path, "table.headings.bytes.npy", "table.headings.ptr.npy")


# (damage, the words the one-line error must hold): the audit's cases first (D1, D2, D4), then their relatives.
CORRUPTIONS = {
    "D1 file unlisted, then changed": (lambda p: (edit_manifest(unlisted("table.raw_bytes.npy"))(p), europe_to_asia(p)),
                                       "does not list table.raw_bytes.npy"),
    "D1 files emptied, then changed": (lambda p: (edit_manifest(lambda m: m.update(files={}))(p), europe_to_asia(p)),
                                       "does not list"),
    "D1 changed with its checksum kept": (europe_to_asia, "table.raw_bytes.npy does not match its checksum"),
    "D2 absolute path listed": (edit_manifest(lambda m: m["files"].update({"/etc/passwd": {"bytes": 1, "sha256": "0" * 64}})),
                                "'/etc/passwd' is not a plain file name"),
    "D2 parent path listed": (edit_manifest(lambda m: m["files"].update({"../../../etc/passwd": {"bytes": 1, "sha256": "0" * 64}})),
                              "'../../../etc/passwd' is not a plain file name"),
    "D2 a file is a symlink": (symlink_to_copy, "table.names.bytes.npy is a symbolic link"),
    "D2 the manifest is a symlink": (manifest_link, "manifest.json is not a regular file"),
    "D2 a file is a folder": (file_to_folder, "table.raw_ptr.npy is not a regular file"),
    "D4 deeply nested manifest": (nested, "nested too deeply"),
    "D4 files is a list": (edit_manifest(lambda m: m.update(files=[])), "files must be an object"),
    "D4 k1 is a string": (edit_manifest(lambda m: m["bm25"].update(k1="x")), "bm25.k1 must be a number"),
    "D4 variant unknown": (edit_manifest(lambda m: m["bm25"].update(variant="bm42")), "bm25.variant must be one of"),
    "D4 analyzer setting missing": (edit_manifest(lambda m: m["analyzer"].pop("hmm")), "lacks 'hmm'"),
    "D4 NaN in the manifest": (lambda p: (p / store.MANIFEST).write_text(
        (p / store.MANIFEST).read_text(encoding="utf-8").replace('"k1": 1.2', '"k1": NaN'), encoding="utf-8"),
                               "not a JSON number"),
    "D4 manifest not an object": (lambda p: write_manifest(p, [manifest_of(p)]), "format None"),
    "D4 header claims 1e11 elements": (claim_huge, "header claims 100,000,000,000 values"),
    "D4 wrong dtype": (lambda p: resave(p, "table.sentence_start.npy", lambda a: a.astype(np.float64)),
                       "table.sentence_start.npy: holds float64"),
    "D4 wrong shape": (lambda p: resave(p, "field.words.tf_more.npy", lambda a: a.reshape(1, -1)), "expected one dimension"),
    "D4 posting outside the sentences": (lambda p: resave(p, "field.words.doc_low.npy", set_last(60_000)),
                                         "field.words.doc_low.npy: a posting points outside"),
    "D4 stepped posting outside the sentences": (lambda p: resave(p, "field.chars.doc_gaps.npy", set_last(255)),
                                                 "field.chars.doc_gaps.npy: a posting points outside"),
    "D4 postings out of order": (lambda p: resave(p, "field.words.doc_low.npy", lambda a: a[::-1].copy()),
                                 "field.words.doc_low.npy: a term's sentences are not in ascending order"),
    "D4 runs not covering the postings": (lambda p: resave(p, "field.words.run_sizes.npy", set_last(60_000)),
                                          "field.words.run_sizes.npy: a term's runs do not cover"),
    "D4 cleaned text of no sentence": (lambda p: resave(p, "table.text_ids.npy", set_last(10**6)),
                                       "table.text_ids.npy: the cleaned sentences' ids"),
    "D4 sentence past its article": (lambda p: resave(p, "table.sentence_end.npy", set_last(10**6)),
                                     "table.sentence_end.npy: a sentence ends after"),
    "D4 section id outside its article": (lambda p: resave(p, "table.paragraph_section.npy", set_last(99)),
                                          "table.paragraph_section.npy: an id points outside"),
    "D4 a sentence in two paragraphs": (lambda p: resave(p, "table.paragraph_sentence_ids.npy", set_last(0)),
                                        "table.paragraph_sentence_ids.npy: a sentence is in no paragraph or in two"),
    "D4 paragraph id negative": (lambda p: resave(p, "table.paragraph_sentence_ids.npy", set_last(-1)),
                                 "table.paragraph_sentence_ids.npy: an id points outside"),
    "D4 text offsets run past the text": (lambda p: resave(p, "table.raw_ptr.npy", set_last(10**9)),
                                          "table.raw_ptr.npy"),
    "D4 text not UTF-8": (not_utf8, "not UTF-8"),
    "D4 term listed twice": (duplicate_term, "field.words.term_bytes.npy lists a term twice"),
    "D4 hash table off its terms": (lambda p: resave(p, "field.words.term_hash.npy", set_last(1)),
                                    "field.words.term_hash.npy: the hash table does not fit"),
    "D4 idf not finite": (lambda p: resave(p, "field.words.idf_values.npy",
                                                                    lambda a: np.full_like(a, np.inf)), "field.words.idf_values.npy"),
    "D4 a posting counted once too few": (lambda p: resave(p, "field.chars.tf_values.npy", lambda a: a - 1),
                                          "field.chars.tf_values.npy"),
    "D4 a repeat bit set past the postings": (lambda p: resave(p, "field.words.tf_more.npy", lambda a: a | 0x80),
                                              "field.words.tf_more.npy"),
    "D4 a heading missing": (headings_gone, "headings"),
    "D4 sentence count differs from the manifest": (edit_manifest(lambda m: m.update(sentences=m["sentences"] + 1)),
                                                    "its manifest says"),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_every_corruption_is_refused_at_load_in_one_line(built: Path, analyzer, name: str) -> None:
    damage, words = CORRUPTIONS[name]
    damage(built)
    with pytest.raises(store.StoreError) as caught:
        store.load_index(built, analyzer)
    message = str(caught.value)
    assert words in message and "\n" not in message and len(message) < 400
    assert str(built) in message  # names the folder (and the file where one is to blame)
    assert "rebuild" in message  # ... and the fix
    status = store.check(built)
    assert status.state == "corrupt" and words in status.reason


@pytest.mark.parametrize("name", [n for n in CORRUPTIONS if n.startswith(("D1", "D2"))])
def test_a_corrupt_index_is_rebuilt_from_its_recorded_source_and_answers_truly(built: Path, analyzer, name: str) -> None:
    CORRUPTIONS[name][0](built)
    said: list[str] = []
    index = store.open_index(built, analyzer, say=said.append, workers=1)
    assert any("corrupt" in note for note in said)
    assert store.check(built).ok
    assert index.ask("飲用紅茶的習慣最早在哪裡流行？")[0].text == "飲用紅茶的習慣最早在歐洲的宮廷流行。"


def test_an_absolute_path_in_the_manifest_is_never_opened(built: Path) -> None:
    """The error must not depend on the named file's contents (it used to say 'N bytes' or 'checksum')."""
    reasons = set()
    for size, digest in ((1, "0" * 64), (os.path.getsize(built / store.MANIFEST), "f" * 64)):
        manifest = manifest_of(built)
        manifest["files"][str(built / store.MANIFEST)] = {"bytes": size, "sha256": digest}
        write_manifest(built, manifest)
        reasons.add(store.check(built).reason)
    assert len(reasons) == 1 and "is not a plain file name" in reasons.pop()


# --- D3: a rebuild never loses a good index -----------------------------------------------------------------

def test_an_emptied_source_keeps_the_good_index(built: Path, corpus: Path, analyzer) -> None:
    before = manifest_of(built)
    for file in corpus.iterdir():
        file.unlink()
    said: list[str] = []
    index = store.open_index(built, analyzer, say=said.append, workers=1)
    assert index.ask("金融科技對互聯網的頑疾有什麼作用？")  # still answers from the index as built
    assert any("no usable articles" in note and "kept" in note for note in said), said
    assert manifest_of(built) == before


def test_a_vanished_source_still_lets_the_index_answer(built: Path, corpus: Path, analyzer) -> None:
    shutil.rmtree(corpus)
    said: list[str] = []
    index = store.open_index(built, analyzer, say=said.append)
    assert index.ask("台风通常在什么季节？")[0].text == "颱風季節通常在夏天和秋天。"
    assert any("is gone" in note and "as it was built" in note for note in said), said


def test_building_from_an_empty_folder_over_a_good_index_keeps_it(built: Path, tmp_path: Path, analyzer) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    before = manifest_of(built)
    with pytest.raises(store.StoreError, match="no usable articles in .*kept as it was"):
        store.build(empty, built, analyzer, workers=1)
    assert manifest_of(built) == before and store.check(built, source=False).ok


# --- D5: a tampered manifest or marker cannot point a rebuild at another folder --------------------------------

@pytest.fixture()
def secret(tmp_path: Path) -> Path:
    folder = tmp_path / "private"
    folder.mkdir()
    (folder / "diary.txt").write_text("日記\n\n我的銀行密碼是一二三四五六。", encoding="utf-8")
    return folder


def test_a_tampered_manifest_source_is_not_indexed(built: Path, secret: Path, analyzer) -> None:
    manifest = manifest_of(built)
    manifest["sources"] = [str(secret)]
    write_manifest(built, manifest)
    said: list[str] = []
    index = store.open_index(built, analyzer, say=said.append, workers=1)
    assert any("other sources than were recorded" in note for note in said), said
    assert "diary.txt" not in index.articles.names
    assert manifest_of(built)["sources"] != [str(secret)]


def test_a_tampered_marker_source_is_not_indexed(built: Path, secret: Path, analyzer) -> None:
    (built / store.MANIFEST).unlink()
    (built / store.MARKER).write_text(json.dumps({"sources": [str(secret)]}), encoding="utf-8")
    index = store.open_index(built, analyzer, workers=1)
    assert "diary.txt" not in index.articles.names and len(index.articles) == 3


def test_an_index_with_no_recorded_source_is_not_rebuilt_from_its_manifest(built: Path, secret: Path, analyzer,
                                                                          monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QA_STATE_DIR", str(tmp_path / "another-user"))  # as if built elsewhere
    manifest = manifest_of(built)
    manifest["sources"] = [str(secret)]
    write_manifest(built, manifest)
    europe_to_asia(built)
    with pytest.raises(store.StoreError, match="no source is recorded"):
        store.open_index(built, analyzer)
    assert manifest_of(built)["sources"] == [str(secret)]  # nothing rebuilt, nothing read


def test_the_schema_and_the_loader_agree_on_a_real_manifest(built: Path) -> None:
    manifest = manifest_of(built)
    assert integrity.manifest_problem(manifest) == ""
    assert set(manifest["files"]) == integrity.required_files(manifest["fields"])


# --- properties (issue 10): whatever a manifest holds, the loader refuses it in one line or loads a true index ----

import jsonschema  # noqa: E402
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20) | st.sampled_from(["0" * 64, "a" * 64, "okapi", "table.raw_bytes.npy", "../x", "/etc/passwd"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)


def _paths(value: object, at: tuple = ()) -> list[tuple]:
    """Every place inside a JSON value (the value itself included)."""
    found = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, at + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, at + (i,))
    return found


@st.composite
def damaged_manifests(draw, manifest: dict) -> object:
    """A real manifest with one to three places replaced, removed or added to."""
    value = json.loads(json.dumps(manifest))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.sampled_from(_paths(value)))
        if not at:
            value = draw(JSON)
            continue
        parent = value
        for step in at[:-1]:
            parent = parent[step]
        how = draw(st.sampled_from(["replace", "remove", "add"]))
        if how == "replace":
            parent[at[-1]] = draw(JSON)
        elif how == "remove":
            del parent[at[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12) | st.sampled_from(["table.x.npy", "..", "a/b"]))] = draw(JSON)
        else:
            parent.insert(draw(st.integers(0, len(parent))), draw(JSON))
        if not isinstance(value, (dict, list)):
            break
    return value


# The hand validator is stricter than the JSON Schema standard in one way: 1.0 is a number, never an integer.
STRICT = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)))


@pytest.fixture(scope="module")
def stored(tmp_path_factory, analyzer) -> Path:
    """One index built for the property tests (hypothesis runs many examples against it; each puts it back)."""
    root = tmp_path_factory.mktemp("property-articles")
    shutil.copy(SEED_PATH, root / SEED_PATH.name)
    (root / "tea.txt").write_text("紅茶\n\n飲用紅茶的習慣最早在歐洲的宮廷流行。後來才傳到民間。", encoding="utf-8")
    path = tmp_path_factory.mktemp("property-index") / "index"
    store.build(root, path, analyzer, workers=1)
    return path


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_hand_validator_agrees_with_jsonschema(stored: Path, data) -> None:
    manifest = data.draw(damaged_manifests(manifest_of(stored)))
    problem = integrity.schema_problem(manifest, integrity.MANIFEST_SCHEMA)
    assert (problem == "") == STRICT(integrity.MANIFEST_SCHEMA).is_valid(manifest), problem
    assert "\n" not in problem


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_manifest_is_refused_in_one_line_or_loads_a_true_index(stored: Path, analyzer, data) -> None:
    original = (stored / store.MANIFEST).read_bytes()
    manifest = data.draw(damaged_manifests(json.loads(original)))
    raw = data.draw(st.sampled_from(["json", "bytes"]))
    try:
        if raw == "json":
            write_manifest(stored, manifest)
        else:  # or the manifest's bytes cut, or changed in a few places
            blob = bytearray(original[:data.draw(st.integers(0, len(original)))])
            for _ in range(data.draw(st.integers(0, 3))):
                if blob:
                    blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
            (stored / store.MANIFEST).write_bytes(bytes(blob))
        try:
            index = store.load_index(stored, analyzer)
        except store.StoreError as error:
            assert "\n" not in str(error) and str(stored) in str(error)
            assert not store.check(stored, source=False).ok
        else:  # only what the answers never read was changed: the index answers as built
            assert index.ask("飲用紅茶的習慣最早在哪裡流行？")[0].text == "飲用紅茶的習慣最早在歐洲的宮廷流行。"
    finally:
        (stored / store.MANIFEST).write_bytes(original)
