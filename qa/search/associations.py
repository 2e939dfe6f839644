"""Which words of an answer sentence a question's words go with: an IBM Model 1 translation table.

A question paraphrases the sentence that answers it (哪一年 … 成立 / 創建於 1924年); the words it uses and the
words the sentence uses co-occur across many question / answer-sentence pairs. IBM Model 1 (Brown et al. 1993)
learns t(q | s), the chance that sentence word s "translates" to question word q, by a few rounds of EM over
such pairs (each question word is explained by one word of the sentence, or by nothing: the NULL word).
Trained on CMRC 2018 train by ``qa.measure.train``; the table ships as plain arrays (``to_arrays``).

A sentence is scored for a question by ``Associations.features``: the mean log chance of the question's words
given the sentence, and, for the question's words the sentence does not itself hold, how strongly the
sentence's words are associated with them (the paraphrase signal).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

NULL = ""  # the sentence word that explains question words no real word does
FLOOR = 1e-4  # a question word nothing in the sentence explains: its chance is at least this


@dataclass(frozen=True)
class Associations:
    """t(q | s) for question words q and sentence words s, as sorted keys (q id × sentence vocabulary + s id)."""

    question_words: tuple[str, ...]
    sentence_words: tuple[str, ...]  # sentence_words[0] is NULL
    keys: np.ndarray  # int64, sorted
    values: np.ndarray  # float32, t(q | s) of each key

    def __post_init__(self) -> None:
        object.__setattr__(self, "_q", {w: i for i, w in enumerate(self.question_words)})
        object.__setattr__(self, "_s", {w: i for i, w in enumerate(self.sentence_words)})

    def lookup(self, q_ids: np.ndarray, s_ids: np.ndarray) -> np.ndarray:
        """t(q | s) for every q (rows) and s (columns); 0 where the table has no entry."""
        keys = (q_ids[:, None] * len(self.sentence_words) + s_ids[None, :]).ravel()
        at = np.searchsorted(self.keys, keys)
        at = np.minimum(at, len(self.keys) - 1)
        found = self.keys[at] == keys if len(self.keys) else np.zeros(len(keys), dtype=bool)
        out = np.where(found, self.values[at] if len(self.keys) else 0.0, 0.0)
        return out.reshape(len(q_ids), len(s_ids))

    def features(self, question: Sequence[str], sentence: Sequence[str]) -> tuple[float, float, float]:
        """(mean log P(q | sentence) over the question's words, mean association of the question's words the
        sentence lacks with its best-associated word, share of the question's words the table knows)."""
        logp, paraphrase, known = self.score_many(question, [sentence])
        return float(logp[0]), float(paraphrase[0]), known

    def score_many(self, question: Sequence[str],
                   sentences: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, float]:
        """``features`` of one question against many sentences at once: (log chances, paraphrase scores, known)."""
        count = len(sentences)
        if not question or not count:
            return np.zeros(count), np.zeros(count), 0.0
        q_ids = np.array([self._q.get(w, -1) for w in question], dtype=np.int64)
        known_q = q_ids >= 0
        uniques = [list(dict.fromkeys(words)) for words in sentences]
        lengths = np.array([len(u) + 1 for u in uniques])  # with NULL
        s_ids = np.array([i for u in uniques for i in [0] + [self._s.get(w, -1) for w in u]], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        table = np.zeros((len(q_ids), len(s_ids)))
        usable = s_ids >= 0
        if known_q.any() and usable.any():
            table[np.ix_(known_q, usable)] = self.lookup(q_ids[known_q], s_ids[usable])
        present = np.array([[w in set(u) for u in uniques] for w in question])  # [question word, sentence]
        # A word the sentence holds as is explains itself, whether the table has seen it or not.
        chance = np.add.reduceat(table, starts, axis=1) / lengths
        chance = np.where(present, np.maximum(chance, 1.0 / lengths), chance)
        logp = np.log(chance + FLOOR).mean(axis=0)
        real = table.copy()
        real[:, starts] = 0.0  # NULL explains nothing of a paraphrase
        best = np.maximum.reduceat(real, starts, axis=1)
        absent = ~present
        lacking = absent.sum(axis=0)
        paraphrase = np.where(lacking > 0, (best * absent).sum(axis=0) / np.maximum(lacking, 1), 1.0)
        return logp, paraphrase, float(known_q.mean())

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays for ``np.savez`` (no pickle): the vocabularies as one joined string each."""
        return {"assoc_question_words": np.array("\n".join(self.question_words)),
                "assoc_sentence_words": np.array("\n".join(self.sentence_words)),
                "assoc_keys": self.keys, "assoc_values": self.values}

    @classmethod
    def from_arrays(cls, arrays) -> "Associations":  # noqa: ANN001 - a mapping of arrays (np.load's NpzFile)
        """The table ``to_arrays`` wrote."""
        return cls(tuple(str(arrays["assoc_question_words"]).split("\n")),
                   tuple(str(arrays["assoc_sentence_words"]).split("\n")),
                   np.asarray(arrays["assoc_keys"], dtype=np.int64), np.asarray(arrays["assoc_values"], np.float32))


def train_model1(pairs: Sequence[tuple[Sequence[str], Sequence[str]]], rounds: int = 5, keep: float = 0.01,
                 min_count: int = 2) -> Associations:
    """IBM Model 1's t(q | s) from (question words, sentence words) pairs by ``rounds`` of EM; entries below
    ``keep`` and words seen in fewer than ``min_count`` pairs are pruned (they are noise, and size)."""
    q_count: dict[str, int] = {}
    s_count: dict[str, int] = {}
    for question, sentence in pairs:
        for w in set(question):
            q_count[w] = q_count.get(w, 0) + 1
        for w in set(sentence):
            s_count[w] = s_count.get(w, 0) + 1
    q_vocab = sorted(w for w, c in q_count.items() if c >= min_count)
    s_vocab = [NULL] + sorted(w for w, c in s_count.items() if c >= min_count and w != NULL)
    q_index = {w: i for i, w in enumerate(q_vocab)}
    s_index = {w: i for i, w in enumerate(s_vocab)}
    q_rows, s_rows, groups = [], [], []
    group = 0
    for question, sentence in pairs:
        s_ids = [0] + [s_index[w] for w in dict.fromkeys(sentence) if w in s_index]
        for w in question:
            if w in q_index:
                q_rows.extend([q_index[w]] * len(s_ids))
                s_rows.extend(s_ids)
                groups.extend([group] * len(s_ids))
                group += 1
    q_rows, s_rows = np.array(q_rows, dtype=np.int64), np.array(s_rows, dtype=np.int64)
    groups = np.array(groups, dtype=np.int64)
    keys, inverse = np.unique(q_rows * len(s_vocab) + s_rows, return_inverse=True)
    key_s = keys % len(s_vocab)
    t = np.ones(len(keys))
    for _ in range(rounds):
        share = t[inverse]
        share /= np.bincount(groups, weights=share, minlength=group)[groups]  # each question word explained once
        counts = np.bincount(inverse, weights=share, minlength=len(keys))
        t = counts / np.bincount(key_s, weights=counts, minlength=len(s_vocab))[key_s]
    kept = t >= keep
    keys, t = keys[kept], t[kept]
    # Only the words some kept entry names stay in the vocabularies (NULL stays first).
    q_used = np.unique(keys // len(s_vocab))
    s_used = np.union1d([0], keys % len(s_vocab))
    q_new = np.searchsorted(q_used, keys // len(s_vocab))
    s_new = np.searchsorted(s_used, keys % len(s_vocab))
    new_keys = q_new * len(s_used) + s_new
    order = np.argsort(new_keys)
    return Associations(tuple(q_vocab[i] for i in q_used.tolist()), tuple(s_vocab[i] for i in s_used.tolist()),
                        new_keys[order].astype(np.int64), t[order].astype(np.float32))
