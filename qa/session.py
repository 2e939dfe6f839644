"""What a visitor's session decides, without Streamlit: which index serves, indexing uploads, the article filter,
what a turn of the chat holds. ``app.py`` only draws what these return."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from qa import display as d
from qa.corpus.build import article_names, only_articles
from qa.records import Article
from qa.search.index import Index, index_text, load_corpus
from qa.search.query import question_problem, truncate_question
from qa.text.loading import ARTICLE_SUFFIXES, LoadError, article_files, decode_bytes

MAX_ANSWERS = 5  # answers kept per question; the sidebar chooses how many of them to show
MAX_LINKED = 5  # questions a ?q= link may ask (a follow-up's link holds two)
MAX_LISTED = 30  # articles listed in the sidebar and looked through for examples and suggestions
MAX_CHOICES = 1000  # beyond this many articles the filter is a title search, not a list to pick from
MAX_EXAMPLES = 4


def corpus_key(folder: Path) -> str:
    """A digest of the articles' names and bytes: the shared index is rebuilt only when they change."""
    digest = hashlib.sha256()
    for path in article_files(folder):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def shared_index(index_dir: str, seeds: Path) -> Index:
    """The index every visitor shares: a persistent index (rebuilt first if stale), or the articles in ``seeds``."""
    if index_dir:
        from qa.corpus.store import open_index

        return open_index(index_dir)
    return load_corpus(seeds)


def answerable_examples(articles: Sequence[Article], index: Index) -> tuple[str, ...]:
    """Example questions for these articles, only ones the engine answers from ``index``."""
    return tuple(d.example_questions(articles[:MAX_LISTED], lambda q: index.ask(q, top_k=1), index.analyzer))


@dataclass(frozen=True)
class Uploads:
    """A visitor's uploaded articles, indexed together with the shared ones (never shared with other visitors)."""

    key: tuple[tuple[str, str], ...] = ()  # (name, sha256) of each file: the same files are not indexed twice
    notes: tuple[tuple[str, str, dict], ...] = ()  # (kind "ok"/"error", message key, values) for each file
    names: frozenset[str] = frozenset()  # the uploaded articles' names
    index: Index | None = None  # the shared articles and the uploads; None when nothing usable was uploaded
    examples: tuple[str, ...] = ()


def upload_key(files: Sequence[tuple[str, bytes]]) -> tuple[tuple[str, str], ...]:
    """What identifies a set of uploaded files: their names and digests."""
    return tuple((name, hashlib.sha256(data).hexdigest()) for name, data in files)


def index_uploads(files: Sequence[tuple[str, bytes]], base: Index) -> Uploads:
    """Index uploaded (name, bytes) files with the shared articles; each file gets a note saying how it went."""
    articles, notes = [], []
    for name, data in files:
        try:
            if Path(name).suffix.lower() not in ARTICLE_SUFFIXES:
                raise LoadError(f"{name}: only .txt and .md articles can be used")
            article = index_text(decode_bytes(data, name), name=name, analyzer=base.analyzer).articles[0]
        except LoadError as error:
            notes.append(("error", "upload_bad", {"reason": str(error)}))
            continue
        except Exception as error:  # an upload is untrusted input: any failure is its problem, told plainly
            notes.append(("error", "upload_bad", {"reason": f"{name}: {type(error).__name__}: {error}"}))
            continue
        if not article.sentences:
            notes.append(("error", "upload_empty", {"name": name}))
            continue
        articles.append(article)
        notes.append(("ok", "upload_ok", {"title": article.title or name, "sentences": len(article.sentences)}))
    if not articles:
        return Uploads(upload_key(files), tuple(notes))
    index = Index(tuple(base.articles) + tuple(articles), base.analyzer)
    return Uploads(upload_key(files), tuple(notes), frozenset(a.name for a in articles), index,
                   answerable_examples(articles, index))


def answer_turn(question: str, index: Index, turns: Sequence[d.Turn]) -> d.Turn:
    """Ask the engine one question of the chat (earlier asked questions are its history) and return the turn."""
    if problem := question_problem(question):
        return d.Turn(question=truncate_question(question)[0], problem=problem)
    text, cut = truncate_question(question)
    history = [t.question for t in turns if t.asked]
    query = index.understand(text, history)
    answers = tuple(index.ask(text, top_k=MAX_ANSWERS, history=history))
    share = tuple(d.share_questions(index.understand, text, history, query))
    suggestions = () if answers else tuple(d.suggest_sections(text, index.articles[:MAX_LISTED], index.analyzer))
    return d.Turn(text, answers, query, "", cut, share, suggestions)


def titles_matching(titles: Sequence[str], search: str, index: Index) -> list[int]:
    """Positions of the (normalised) titles holding the title search's words."""
    folded = index.analyzer.normalize(search.strip())
    return [i for i, title in enumerate(titles) if folded in title] if folded else []


def normalised_titles(index: Index) -> tuple[str, ...]:
    """The articles' titles (or names) as the title search compares them."""
    return tuple(index.analyzer.normalize(title or name) for name, title in article_names(index.articles))


def answering_index(index: Index, chosen: Sequence[int] | None) -> Index:
    """The index the questions go to: all articles, or only the chosen ones."""
    return index if chosen is None else only_articles(index, list(chosen))


def in_use_caption(index: Index, chosen: Sequence[int] | None, script: str, uis: str) -> str:
    """"Answering from 《…》…": the first few articles in use (all, or the filter's), in the display script."""
    in_use = index.articles[:3] if chosen is None else [index.articles[i] for i in chosen[:3]]
    count = len(index.articles) if chosen is None else len(chosen)
    titles = "、".join(f"《{d.convert(a.title or a.name, script, index.analyzer)}》" for a in in_use)
    more = d.ui("more_articles", uis, n=count) if count > 3 else ""
    return d.ui("in_use", uis, titles=titles + more)


def examples_shown(uploads: Uploads, shared: tuple[str, ...]) -> tuple[str, ...]:
    """The example questions to offer: a visitor's uploads first (they most likely want to ask about them)."""
    return (uploads.examples + shared)[:MAX_EXAMPLES] if uploads.index else shared
