"""One searchable index over the sentences of many articles, and the answers it gives."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from qa.search.bm25 import BM25, BM25Settings, select_top_k
from qa.text.cleaning import clean_text, garble_finder
from qa.text.loading import LoadError, article_files, path_text, read_article
from qa.search.query import understand
from qa.search.fanout import Candidates, Peaks, Plan, answer_question, relevance_of_cosine, reranks
from qa.search.rerank import shipped_model
from qa.search import dictionary, semantic
from qa.search.ranking import (GRAM_FIELDS, ParagraphLayout, RankingSettings, coverage, field_peaks, field_scores, follow_on, fuse, near_answer,
                               neighbour_scores, paragraph_runs, spread, spread_at, spread_top_k, year_source)
from qa.records import Answer, Article, Closeness, Exchange, Query, Reply
from qa.search.grounding import KIND_TEXT, Grounding, firm_name, wanted_kind
from qa.text.structure import structure_article
from qa.search.table import sentence_refs
from qa.search.tokens import Analyzer, AnalyzerSettings, han_ngrams, shared_analyzer


def build_article(raw: str, name: str, analyzer: Analyzer) -> Article:
    """Clean and structure one raw article."""
    cleaned = clean_text(raw, garble_finder(analyzer.vocabulary, analyzer.to_simplified))
    return structure_article(cleaned, name)


def sentence_terms(articles: Sequence[Article], analyzer: Analyzer) -> dict[str, list[list[str]]]:
    """Each scoring field's terms for every sentence, in global sentence order.

    ``words``: the sentence's jieba terms (what ``Answer.matched`` reports). ``chars``/``bigrams``: Han
    characters and character pairs of the article title, the section heading and the sentence — a sentence
    seldom names the topic it is about, and characters match across words jieba cuts differently.
    """
    fields: dict[str, list[list[str]]] = {"words": [], **{name: [] for name in GRAM_FIELDS}}
    words = fields["words"]
    for article in articles:
        # Every text of the article normalised in one pass, each once (the words and the grams share it).
        texts = analyzer.normalize_many([f"{article.title} {section.heading}" for section in article.sections]
                                        + [sentence.text for sentence in article.sentences])
        contexts, normalized = texts[:len(article.sections)], texts[len(article.sections):]
        words.extend(map(analyzer.normalized_terms, normalized))
        for name, n in GRAM_FIELDS.items():
            context_grams = [han_ngrams(c, n) for c in contexts]
            fields[name].extend(context_grams[sentence.section] + han_ngrams(text, n)
                                for sentence, text in zip(article.sentences, normalized))
    return fields


class Asking:
    """How a question is read and replied to, over an index's primitives: ``Index`` (one in this process) and the
    sharded indexes of ``qa.corpus`` (in shards here, or on a cluster) reply alike.

    A subclass gives ``analyzer``, ``ranking``, ``sentence_count``, ``fields`` and ``parts()`` (the index's parts,
    ready for one question: ``qa.search.fanout``), ``held_grams``, ``holds`` and ``_global_id``.
    """

    analyzer: Analyzer
    ranking: RankingSettings

    def understand(self, question: str, history: Sequence[str | Exchange] = ()) -> Query:
        """How the engine reads a question: its terms, and what a follow-up takes over from ``history`` (earlier
        questions, as strings or as Exchanges that also hold the sentences they were answered with)."""
        if semantic.foreign_question(question):
            # An English question over Chinese articles: no follow-ups, regional words or names to read in it.
            query = replace(understand(question, self.analyzer), foreign=True)
            # Its dictionary words help only beside the semantic score: without sentence vectors it is refused,
            # saying why, and reading CC-CEDICT (~100 MB) would buy nothing (XQuAD en: 1% hit@1 so).
            translated = self.translations(question) if self.ranking.foreign_translations and self.has_vectors else ()
            return replace(query, terms=query.terms + translated, translated=translated) if translated else query
        query = understand(question, self.analyzer, history, self._regional)
        if query.follow_up and history and isinstance(history[-1], Exchange):
            query = replace(query, previous=tuple(i for i in map(self._global_id, history[-1].answers) if i >= 0),
                            answered=tuple(history[-1].answers[:1]))
        names = self.grounding.names(query.matching or self.analyzer.normalize(query.question))
        return replace(query, names=tuple(names)) if names else query

    def ask(self, question: str, top_k: int = 3, history: Sequence[str | Exchange] = ()) -> list[Answer]:
        """The top_k answer sentences for a question, best first; [] when nothing answers it."""
        return list(self.reply(question, top_k, history).answers)

    def reply(self, question: str, top_k: int = 3, history: Sequence[str | Exchange] = ()) -> Reply:
        """The reply to a question: how it was read, its answers, and why there are none when there are none."""
        query = self.understand(question, history)
        return self.respond(query, top_k, self.missing_names(query) if self.ranking.refuse_missing_names else ())

    def _as_written(self, query: Query, names: Sequence[str]) -> tuple[str, ...]:
        """Normalised names as the question wrote them (劉強東 for 刘强东), where the lengths allow."""
        normalized = self.analyzer.normalize(query.question)
        if len(normalized) != len(query.question):
            return tuple(names)
        written = []
        for name in names:
            start = normalized.find(name)
            written.append(query.question[start:start + len(name)] if start >= 0 else name)
        return tuple(written)

    def answer(self, query: Query, top_k: int = 3) -> list[Answer]:
        """Answers for an already understood query (ranking: see qa/search/ranking.py and qa/search/fanout.py)."""
        return list(self.respond(query, top_k).answers)

    def respond(self, query: Query, top_k: int = 3, missing: tuple[str, ...] = ()) -> Reply:
        """The reply for an already understood query: ranked answers, or why there are none (``missing``: names of
        the question the index never holds, ``missing_names``). Refusals are judged on the engine's own best
        answers, before the learned re-ranker orders them (``fanout.Answered``)."""
        parts = self.parts()
        vector = self.question_vector(query)
        answered = answer_question(query, top_k, parts, self.analyzer, self.ranking, self.sentence_count,
                                   self.fields, vector, query.foreign)
        answers, engine = answered.shown, answered.engine
        # A name the article never mentions, unless an answer covers most of the question all the same (jieba's
        # HMM makes a "name" of a typo or an odd phrasing now and then).
        # A Latin name or an ordinal (Netscape, 第四代) is no such accident (``grounding.firm_name``).
        if missing and (not engine or engine[0].relevance < self.ranking.named_relevance
                        or any(map(firm_name, missing))):
            return Reply(query, refusal="missing", missing=self._as_written(query, missing))
        unsearched = self.unsearched(parts)
        used = vector is not None
        if not answers or self.far_in_meaning(query, engine):
            return Reply(query, refusal="relevance", unsearched=unsearched, semantic=used)
        # A price / date / number question none of whose answers holds one: the article does not say.
        # Not for a contrast follow-up: its frame's kind (何時… → 那Gopher呢？) may be answered otherwise.
        wanted = None if query.follow_up == "contrast" else wanted_kind(self.analyzer.normalize(query.question))
        if wanted and self.ranking.kind_pool and not any(KIND_TEXT[wanted].search(self.analyzer.normalize(a.text))
                                                         for a in engine):
            return Reply(query, refusal="kind", kind=wanted, unsearched=unsearched, semantic=used)
        # What the question asks (出生, 墓) is nowhere in the article, and no answer is more than its title's words.
        absent = self.absent_terms(query, engine) if self.ranking.refuse_absent else ()
        if absent:
            return Reply(query, refusal="absent", missing=self._as_written(query, absent), unsearched=unsearched,
                         semantic=used)
        return Reply(query, tuple(answers), unsearched=unsearched, semantic=used)

    def translations(self, question: str) -> tuple[str, ...]:
        """Chinese words CC-CEDICT gives for the English question's words, those the index holds (at most
        ``foreign_translations`` an English word, the shortest glosses' words first)."""
        found: list[str] = []
        for english in sorted(dictionary.english_words(question)):
            words = [self.analyzer.normalize(w) for w in dictionary.chinese_for(english) if len(w) > 1]
            held = [w for w in dict.fromkeys(words) if self.holds(w)]
            found += sorted(held, key=len)[:self.ranking.foreign_translations]
        return tuple(dict.fromkeys(found))

    @property
    def has_vectors(self) -> bool:
        """Whether every sentence has a sentence vector (``qa.search.semantic``)."""
        return False

    def question_vector(self, query: Query) -> np.ndarray | None:
        """The question's vector when the semantic score can take part: the index has sentence vectors, the model
        loads, and the ranking weighs it for this kind of question or the semantic re-ranker reads it."""
        weight = self.ranking.foreign_semantic_weight if query.foreign else self.ranking.semantic_weight
        # A Chinese question's cosines are read by the learned re-ranker's semantic model, where it re-ranks.
        reread = not query.foreign and self.ranking.rerank_semantic and reranks(query, self.ranking) \
            and shipped_model(semantic=True) is not None
        if not (weight or reread) or not self.has_vectors:
            return None
        model = semantic.embedder()
        return model.question(query.question) if model is not None else None

    def missing_names(self, query: Query) -> tuple[str, ...]:
        """The names of the question (not carried ones) that no sentence, title or heading of the index holds."""
        if "bigrams" not in self.fields or not query.names:
            return ()
        # A name counts as held when half its character pairs are somewhere in the index: the article may write
        # it a little differently (韩国公司 ~ 韩国的公司), while a name it never mentions shares almost none.
        return tuple(name for name in query.names if not self.holds_half(name))

    def far_in_meaning(self, query: Query, answers: Sequence[Answer]) -> bool:
        """Whether no sentence of the answers' articles comes within ``semantic_floor`` cosine of the question (with
        sentence vectors): an unrelated question whose words a long article holds by chance. Not for a follow-up
        (its vector is of a few words, 那科技方面呢) or a question in another script (``foreign_floor`` judges it)."""
        floor = self.ranking.semantic_floor
        best = [a.closeness.article_best for a in answers if a.closeness is not None]
        return bool(floor and best) and not (query.foreign or query.follow_up) and max(best) < floor

    def close_in_meaning(self, answers: Sequence[Answer]) -> bool:
        """Whether some answer's sentence is within ``absent_cosine`` of the question; True without sentence vectors
        (nothing tells)."""
        cosines = [a.closeness.sentence for a in answers if a.closeness is not None]
        return not cosines or max(cosines) >= self.ranking.absent_cosine

    def absent_terms(self, query: Query, answers: Sequence[Answer]) -> tuple[str, ...]:
        """What the question asks that the article never speaks of: its own words no sentence of the index holds,
        when no answer matches a word of the question beyond its article's title and section heading (the
        article is about what the question is about, 鄭成功, and never says what it asks: 出生, 墓) and no answer
        is close to it in meaning (sentence vectors: without them, () — the article may say it in other words,
        as CMRC's 「X的职业是什么？」 answered by 「X是一名足球运动员」). () otherwise, and for follow-ups (their
        subject is in the chat, their answer near the last one)."""
        if query.foreign or query.follow_up or not answers or self.close_in_meaning(answers):
            return ()
        # One character says what is asked only as a noun (墓, 病); a verb (叫, 取) is as often worded otherwise.
        absent = tuple(t for t in query.own_terms
                       if (len(t) > 1 or self.analyzer.word_tags.get(t) == "n") and not self.holds(t))
        if not absent or any(self.matches_beyond_title(query, a) for a in answers):
            return ()
        return tuple(t for t in absent if not any(t != other and t in other for other in absent))  # 發明人, not 明人

    def matches_beyond_title(self, query: Query, answer: Answer) -> bool:
        """Whether the answer's sentence holds a word of the question itself that its title and heading do not
        (a word it matched, or one of two characters or more in its text)."""
        normalize = self.analyzer.normalize
        context, text = normalize(f"{answer.title} {answer.section}"), normalize(answer.text)
        return any(t in answer.matched or (len(t) >= 2 and t in text) for t in query.own_terms if t not in context)

    def holds_half(self, text: str) -> bool:
        """Whether at least half of the (normalised) text's character pairs occur somewhere in the index."""
        grams = list(dict.fromkeys(han_ngrams(text, 2)))
        if "bigrams" not in self.fields or not grams:
            return True
        return 2 * len(self.held_grams(grams)) >= len(grams)

    def _regional(self, question: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        return self.grounding.regional(question, self.holds)

    @property
    def grounding(self) -> Grounding:
        """Names and regional vocabulary for this index's analyzer (one per analyzer: jieba's tags load once)."""
        return grounding_for(self.analyzer)

    def unsearched(self, parts: object) -> tuple[str, ...]:
        """The parts of the corpus a question could not be asked of, said in its reply (none for one index)."""
        return ()


@dataclass
class Index(Asking):
    """Articles, and BM25 scorers (one per field) over all their sentences.

    Build it with ``index_text``/``load_corpus``; a saved index is restored with ``Index.from_parts``.
    """

    articles: tuple[Article, ...]
    analyzer: Analyzer
    settings: BM25Settings = field(default_factory=BM25Settings)
    problems: tuple[str, ...] = ()  # files that could not be used, one line each
    scorers: dict[str, BM25] = field(default_factory=dict)  # field name → BM25 over all sentences
    ranking: RankingSettings = field(default_factory=RankingSettings)  # query-time only: nothing stored
    vectors: np.ndarray | None = None  # float16 sentence vectors in global sentence order (attach_vectors), or None
    vector_model: str = ""  # the model that made them (semantic.Embedder.name)
    vector_keep: np.ndarray | None = None  # answering from some articles only: their sentences (build.only_articles)

    def __post_init__(self) -> None:
        # Global sentence id → (article index, sentence index within the article).
        # ``articles`` is a tuple of Article, or a qa.search.table.ArticleTable (columns, for large corpora).
        self.refs = sentence_refs(self.articles)
        # Global ids of each article's first sentence (in order, so they start the articles' runs).
        leads = np.flatnonzero(self.refs[:, 1] == 0) if len(self.refs) else np.zeros(0, dtype=np.int64)
        self.layout = ParagraphLayout.from_runs(paragraph_runs(self.articles, self.refs), leads)
        if not self.scorers:
            self.scorers = {name: BM25(documents, self.settings)
                            for name, documents in sentence_terms(self.articles, self.analyzer).items()}

    @classmethod
    def from_parts(cls, articles: tuple[Article, ...], analyzer: Analyzer, scorers: dict[str, BM25],
                   settings: BM25Settings = BM25Settings(), problems: tuple[str, ...] = ()) -> "Index":
        """An index from already built scorers (e.g. loaded from disk): no re-tokenizing."""
        return cls(articles, analyzer, settings, problems, scorers)

    @property
    def has_vectors(self) -> bool:
        return self.vectors is not None and len(self.vectors) == self.sentence_count

    def sentence_texts(self) -> list[str]:
        """Every sentence's text, in global sentence order (what its vector is made of)."""
        return [self.articles[int(a)].sentences[int(s)].text for a, s in self.refs.tolist()]

    @property
    def bm25(self) -> BM25:
        """The word-level scorer."""
        return self.scorers["words"]

    @property
    def sentence_count(self) -> int:
        return len(self.refs)

    @property
    def fields(self) -> tuple[str, ...]:
        """The scoring fields."""
        return tuple(self.scorers)

    def parts(self) -> "LocalParts":
        """This index as the one part of its corpus (``qa.search.fanout``)."""
        return LocalParts([self])

    def held_grams(self, grams: Sequence[str]) -> set[str]:
        """Which of the character pairs some sentence (or its title, heading) holds."""
        scorer = self.scorers.get("bigrams")
        return {g for g in grams if scorer is not None and scorer.document_frequency(g) > 0}

    def holds(self, text: str) -> bool:
        """Whether some sentence (with its title and heading) holds all the character pairs of (normalised) text."""
        field = "bigrams" if len(text) > 1 else "chars"
        scorer = self.scorers.get(field)
        grams = list(dict.fromkeys(han_ngrams(text, 2 if field == "bigrams" else 1)))
        if scorer is None or not grams:
            return True
        together: np.ndarray | None = None
        for gram in sorted(grams, key=scorer.document_frequency):
            ids, _ = scorer.postings(gram)
            together = ids if together is None else np.intersect1d(together, ids, assume_unique=True)
            if not len(together):
                return False
        return True

    def _global_id(self, answer: tuple[str, int]) -> int:
        """The global sentence id of (article name, sentence id), or -1 when the index has no such sentence."""
        names = self.__dict__.get("_article_numbers")
        if names is None:
            # From the names column when the articles are a table: iterating it would build every article.
            listed = self.articles.names if hasattr(self.articles, "names") else [a.name for a in self.articles]
            names = self.__dict__["_article_numbers"] = {name: i for i, name in enumerate(listed)}
        doc, sentence_id = answer
        article = names.get(doc)
        if article is None or not 0 <= sentence_id < len(self.articles[article].sentences):
            return -1
        return int(self.layout.leads[article]) + int(sentence_id)

    # --- the steps of answering, for this index as one part of a corpus (qa/search/fanout.py) ---------------
    def field_scores(self, plan: Plan) -> dict[str, np.ndarray]:
        """Each field's BM25 scores for the question (step 1; ``peaks`` reads them, ``candidates`` consumes them)."""
        raw = field_scores(self.scorers, plan.queries, plan.ranking)
        if plan.semantic_field and self.has_vectors:
            cosines = semantic.cosines(self.vectors, plan.vector)
            raw["semantic"] = np.exp((cosines - 1.0) / plan.ranking.semantic_temperature)
            if self.vector_keep is not None:
                raw["semantic"][~self.vector_keep] = 0.0
        return raw

    def peaks(self, plan: Plan, raw: dict[str, np.ndarray]) -> Peaks:
        """Each field's best score, and the idf of the question's bigrams this index holds."""
        bigrams = self.scorers.get("bigrams")
        idf = {g: value for g in plan.grams if (value := bigrams.idf.get(g)) is not None} if bigrams else {}
        return Peaks(field_peaks(raw), idf)

    def candidates(self, plan: Plan, raw: dict[str, np.ndarray], best: dict[str, float], offset: int = 0) -> Candidates:
        """This index's best sentences for the question, given the corpus's best field scores (step 2; ``raw`` is
        consumed); ids are shifted by ``offset``, the global id of this index's first sentence."""
        ranking = plan.ranking
        fused = fuse(raw, best, ranking, self.sentence_count)
        # A pronoun follow-up's answer is most often next to the earlier answer (``follow_on``); a contrast one is
        # worded like it, elsewhere (``Query.parallel``): only its earlier answer is not given again.
        pronoun = plan.query.follow_up == "pronoun"
        previous = np.asarray(plan.query.previous, dtype=np.int64) - offset
        previous = previous[(previous >= 0) & (previous < self.sentence_count)]
        if plan.own or len(previous):
            scores = spread(fused, self.layout, ranking)
            answering = None
            if plan.own:
                # The follow-up's own words say what is asked now: an answer must match one of them, unless it is
                # next to the earlier answer (「他們能做到什麼？」: 他們可以遠程啟動手機上的麥克風).
                unmatched = self.bm25.scores(list(plan.own)) <= 0
                answering = ~unmatched  # the earlier answer is given again when no other sentence matches
                if len(previous) and pronoun:
                    unmatched[[at for at, _ in near_answer(int(previous[0]), self.layout, ranking.follow_on_reach,
                                                           plan.query.direction)]] = False
                scores[unmatched] = 0.0
            if len(previous):
                wanted = plan.wanted
                scores = follow_on(scores, previous, self.layout, replace(ranking, follow_on_weight=0.0)
                                   if not pronoun else ranking, plan.query.direction, answering,
                                   None if wanted is None else
                                   lambda at: bool(wanted.search(self._normalized_text(at))))
            ids, _ = select_top_k(scores, plan.pool)
            spread_of = scores.__getitem__
        else:  # a question on its own: only the sentences that can make the pool are spread (same ids, same bits)
            ids, _ = spread_top_k(fused, self.layout, ranking, plan.pool)
            spread_of = lambda sentences: spread_at(fused, sentences, self.layout, ranking)  # noqa: E731
        holds = np.zeros(len(ids), dtype=bool)
        sources = np.full(len(ids), -1, dtype=np.int64)
        if plan.wanted is not None:
            held: dict[int, bool] = {}  # the year's sources and the boost ask about the same sentences: normalise once

            def holding(sentence: int) -> bool:
                if sentence not in held:
                    held[sentence] = bool(plan.wanted.search(self._normalized_text(sentence)))
                return held[sentence]

            holds = np.array([holding(i) for i in ids.tolist()], dtype=bool)
            if plan.carries_year and ranking.time_carry_weight:
                sources = np.array([-1 if h else year_source(i, holding, self.layout, ranking)
                                    for i, h in zip(ids.tolist(), holds.tolist())], dtype=np.int64)
        ranked = set(ids.tolist())
        extra = np.array(sorted({s for s in sources.tolist() if s >= 0} - ranked), dtype=np.int64)
        every = np.concatenate([ids, extra]).astype(np.int64)
        neighbours = neighbour_scores(every, fused, self.layout) if plan.rerank else np.zeros(len(every))
        sources = np.concatenate([sources, np.full(len(extra), -1, dtype=np.int64)])
        return Candidates(every + offset, spread_of(every), neighbours,
                          np.concatenate([holds, np.ones(len(extra), dtype=bool)]),
                          np.where(sources >= 0, sources + offset, -1), len(ids))

    def answers(self, plan: Plan, ids: Sequence[int], scores: Sequence[float],
                gram_weights: dict[str, float]) -> list[Answer]:
        """Answer records for some of this index's sentences (step 3), with what they match of the question."""
        unique_terms = list(plan.word_weights)
        vectors = plan.vector is not None and self.has_vectors
        foreign = plan.foreign and vectors
        article_cosines: dict[int, np.ndarray] = {}
        answers = []
        for global_id, score in zip(ids, scores):
            article_index, sentence_id = self.refs[global_id]
            article = self.articles[article_index]
            # Only membership of the question's terms matters here: ask the index instead of re-tokenizing.
            terms = self.bm25.terms_in(global_id, unique_terms)
            matched = tuple(t for t in unique_terms if t in terms)
            covered = terms
            if self._near_answered(plan.query, article, int(sentence_id), plan.ranking.follow_on_reach):
                # Next to the earlier answer, a sentence is about what that answer was about: the carried terms
                # count as covered (its 他們 or zero subject stands for them).
                covered = terms | set(plan.query.carried)
            relevance = self._relevance(global_id, int(article_index), int(sentence_id), plan.word_weights, covered,
                                        gram_weights)
            own = self._own_match(article.sentences[int(sentence_id)].text, plan.word_weights, terms, gram_weights)
            closeness = self._closeness(int(article_index), len(article.sentences), int(sentence_id), plan.vector,
                                        article_cosines) if vectors else None
            if foreign:  # its words cover nothing of a Chinese sentence: how close it is in meaning says more
                relevance = own = relevance_of_cosine(closeness.sentence, plan.ranking)
            answers.append(make_answer(article, int(sentence_id), score, matched, relevance, own, closeness))
        return answers

    def _closeness(self, article_index: int, count: int, sentence_id: int, vector: np.ndarray,
                   known: dict[int, np.ndarray]) -> Closeness:
        """The question's cosines with a sentence of an article of ``count`` sentences, its neighbours and the
        article's best (``known``: the cosines of articles worked out already for this question: a few articles'
        sentences, not the whole index's)."""
        cosines = known.get(article_index)
        if cosines is None:
            lead = int(self.layout.leads[article_index])
            cosines = known[article_index] = semantic.cosines(self.vectors[lead:lead + count], vector)
        own = float(cosines[sentence_id])
        beside = [float(cosines[j]) for j in (sentence_id - 1, sentence_id + 1) if 0 <= j < len(cosines)]
        return Closeness(own, max(beside, default=own), float(cosines.max()))

    def _near_answered(self, query: Query, article: Article, sentence_id: int, reach: int) -> bool:
        """Whether the sentence is within reach of the follow-up's earlier answer (``follow_on``'s neighbours)."""
        if query.follow_up != "pronoun" or not query.answered or query.answered[0][0] != article.name:
            return False
        answer = query.answered[0][1]
        distance = (sentence_id - answer) * (query.direction or 1)
        if not 0 <= answer < len(article.sentences) or not 0 < abs(distance) <= reach \
                or (query.direction and distance < 0):
            return False
        return article.sentences[answer].paragraph == article.sentences[sentence_id].paragraph

    def _normalized_text(self, global_id: int) -> str:
        article_index, sentence_id = self.refs[global_id]
        return self.analyzer.normalize(self.articles[int(article_index)].sentences[int(sentence_id)].text)

    def _relevance(self, global_id: int, article_index: int, sentence_id: int, word_weights: dict[str, float],
                   present: set[str], gram_weights: dict[str, float]) -> float:
        """Share of the question's weight the sentence, its title and heading cover, in words or bigrams."""
        # The sentence's heading and title count as context: questions often name the topic there.
        words = coverage(word_weights, present | self._heading_terms(article_index, sentence_id))
        if not gram_weights:
            return words
        # The bigrams field already holds the title and heading with the sentence.
        return max(words, coverage(gram_weights, self.scorers["bigrams"].terms_in(global_id, list(gram_weights))))

    def _own_match(self, text: str, word_weights: dict[str, float], present: set[str],
                   gram_weights: dict[str, float]) -> float:
        """Share of the question's weight the sentence's own text covers (what a reader sees matched in it)."""
        words = coverage(word_weights, present)
        if not gram_weights:
            return words
        return max(words, coverage(gram_weights, set(self.analyzer.grams(text, 2))))

    def _heading_terms(self, article_index: int, sentence_id: int) -> frozenset[str]:
        article = self.articles[article_index]
        section = article.sentences[sentence_id].section
        # Titles and headings are few and asked about again and again: tokenize each once (bounded cache).
        cache = self.__dict__.setdefault("_heading_cache", {})
        key = (article_index, section)
        if key not in cache:
            if len(cache) >= 4096:
                cache.clear()
            cache[key] = frozenset(self.analyzer.terms(article.title + "\n" + article.sections[section].heading))
        return cache[key]

    def bm25_terms(self, global_id: int) -> list[str]:
        """The terms of one sentence (re-derived: the index keeps no per-sentence term lists)."""
        article_index, sentence_id = self.refs[global_id]
        return self.analyzer.terms(self.articles[article_index].sentences[sentence_id].text)


class LocalParts:
    """Indexes in this process as the parts of one corpus, in order (one index: a corpus of one part), asked for
    one question: the field scores of step 1 wait here for step 2."""

    def __init__(self, indexes: Sequence[Index]) -> None:
        self.indexes = list(indexes)
        self.offsets = np.cumsum([0] + [index.sentence_count for index in self.indexes])
        self._raw: list[dict[str, np.ndarray]] = []

    def peaks(self, plan: Plan) -> list[Peaks]:
        self._raw = [index.field_scores(plan) for index in self.indexes]
        return [index.peaks(plan, raw) for index, raw in zip(self.indexes, self._raw)]

    def candidates(self, plan: Plan, best: dict[str, float]) -> list[Candidates]:
        raw, self._raw = self._raw or [index.field_scores(plan) for index in self.indexes], []
        return [index.candidates(plan, r, best, int(offset))
                for index, r, offset in zip(self.indexes, raw, self.offsets.tolist())]

    def answers(self, plan: Plan, ids: np.ndarray, scores: np.ndarray, gram_weights: dict[str, float]) -> list[Answer]:
        parts = np.searchsorted(self.offsets, ids, side="right") - 1
        return [self.indexes[part].answers(plan, [int(i) - int(self.offsets[part])], [s], gram_weights)[0]
                for i, s, part in zip(ids.tolist(), scores.tolist(), parts.tolist())]


def attach_vectors(index: Index, progress: semantic.Progress | None = None,
                   known: dict[str, np.ndarray] | None = None) -> bool:
    """Give the index its sentence vectors, article by article from the disk cache or made now (reporting (done,
    total) sentences), so that an upload beside the seeds embeds only its own sentences; False when the model is not
    there (the index answers lexically, as before). ``known``: sentence text → vector, read for an article it holds
    sentences of (only the others are embedded) and added to: an evaluation rejoining or cutting articles it has
    embedded already."""
    if index.has_vectors:
        return True
    model = semantic.embedder()
    if model is None:
        return False
    total, done, parts = index.sentence_count, 0, []
    for article in index.articles:
        texts = [sentence.text for sentence in article.sentences]
        report = None if progress is None else (lambda n, _, start=done: progress(start + n, total))
        if known is not None and texts and any(text in known for text in texts):
            missing = [text for text in dict.fromkeys(texts) if text not in known]
            if missing:
                known.update(zip(missing, model.sentences(missing).astype(semantic.VECTOR_DTYPE)))
            parts.append(np.stack([known[text] for text in texts]))
        else:
            parts.append(semantic.cached_vectors(texts, model, report))
            if known is not None:
                known.update(zip(texts, parts[-1]))
        done += len(texts)
    index.vectors = np.concatenate(parts) if parts else np.zeros((0, semantic.DIMENSIONS), semantic.VECTOR_DTYPE)
    index.vector_model = model.name
    return True


def grounding_for(analyzer: Analyzer) -> Grounding:
    """The analyzer's Grounding, made on first use and kept with it (its name tags are read from jieba once)."""
    grounding = analyzer.__dict__.get("_grounding")
    if grounding is None:
        grounding = analyzer.__dict__["_grounding"] = Grounding(analyzer)
    return grounding


def make_answer(article: Article, sentence_id: int, score: float, matched: tuple[str, ...], relevance: float,
                own_match: float = 0.0, closeness: Closeness | None = None) -> Answer:
    """An answer record for one sentence of an article, with its section and neighbours."""
    sentence = article.sentences[sentence_id]
    paragraph = article.paragraph_sentences(sentence_id)
    position = next(i for i, s in enumerate(paragraph) if s is sentence)
    return Answer(
        text=sentence.text, doc=article.name, title=article.title,
        section=article.sections[sentence.section].heading, score=float(score),
        start=sentence.start, end=sentence.end,
        before=paragraph[position - 1].text if position > 0 else "",
        after=paragraph[position + 1].text if position + 1 < len(paragraph) else "",
        sentence_id=sentence_id, paragraph=tuple(s.text for s in paragraph), paragraph_index=position,
        matched=matched, relevance=relevance, own_match=own_match, article_sentences=len(article.sentences),
        closeness=closeness,
    )


def index_text(raw: str, name: str = "article", analyzer: Analyzer | None = None,
               ranking: RankingSettings | None = None) -> Index:
    """Index one article given as a string."""
    analyzer = analyzer or shared_analyzer()
    return Index((build_article(raw, name, analyzer),), analyzer, ranking=ranking or RankingSettings())


def load_corpus(paths: str | Path | Iterable[str | Path] = "seeds", analyzer: Analyzer | None = None) -> Index:
    """Index every article file in the given folders/files; unusable files are listed in ``index.problems``."""
    analyzer = analyzer or shared_analyzer()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    articles: list[Article] = []
    problems: list[str] = []
    for path in paths:
        try:
            files = article_files(path)
        except LoadError as error:
            problems.append(str(error))
            continue
        for file in files:
            try:
                raw = read_article(file)
            except LoadError as error:
                problems.append(str(error))
                continue
            article = build_article(raw, path_text(file.name), analyzer)
            if article.sentences:
                articles.append(article)
            else:
                problems.append(f"{path_text(file)}: no sentences found in the text")
    return Index(tuple(articles), analyzer, problems=tuple(problems))
