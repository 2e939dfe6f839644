"""文章問答 — the chat app. It only draws: what it shows comes from qa.display, what it decides from qa.session."""
from __future__ import annotations

import os
from functools import partial
from importlib.machinery import ModuleSpec
from pathlib import Path

import streamlit as st

import qa
from qa import display as d
from qa import session as s
from qa.visitors import this_visitor
from qa.corpus.store import StoreError
from qa.text.loading import ARTICLE_SUFFIXES

# A child process (qa.session indexes uploads in one) first imports its parent's __main__, which under Streamlit is
# this script, unless __main__'s spec names "__main__": so it does, and a child never runs the app (it used to load
# the seed index and draw in bare mode before every upload's indexing).
__spec__ = ModuleSpec("__main__", None)  # noqa: A001
SEEDS = Path(__file__).resolve().with_name("seeds")
INDEX_DIR = os.environ.get("QA_INDEX", "").strip()  # a persistent index (python -m qa index) instead of seeds/
CLUSTER = os.environ.get("QA_CLUSTER", "").strip()  # or a Dask scheduler serving a sharded index (python -m qa cluster)


@st.cache_resource(show_spinner=False, max_entries=2)
def shared_index(key: str) -> qa.Index:
    """The index every visitor shares, made once per process (``key`` is the cache key: new articles, new index)."""
    index = s.shared_index(INDEX_DIR, SEEDS, CLUSTER)
    # The highlighter's parts of speech, read with the index rather than at the first answer (assigned: Streamlit's
    # magic would draw a bare expression's value, here a table of 234k words).
    _ = index.analyzer.word_tags
    return index


@st.cache_resource(show_spinner=False, max_entries=2)
def shared_vectors(key: str) -> s.VectorJob | None:
    """The seeds' sentence vectors (for English questions), made once per process in a background thread where the
    model loads: lexical answers meanwhile. A persistent index has them stored or goes without."""
    return None if INDEX_DIR or CLUSTER else s.start_vectors(shared_index(key))


@st.cache_resource(show_spinner=False, max_entries=2)
def shared_examples(key: str) -> tuple[str, ...]:
    return s.answerable_examples(shared_index(key).articles, shared_index(key))


@st.cache_resource(show_spinner=False, max_entries=2)
def shared_titles(key: str) -> tuple[str, ...]:
    return s.normalised_titles(shared_index(key))


def queue_example() -> None:
    """A clicked example question asks itself."""
    if st.session_state.get("example"):
        st.session_state.pending.append(st.session_state.example)
    st.session_state.example = None


def clear_chat() -> None:
    """Forget this visitor's chat (and the ?q= in the address bar)."""
    st.session_state.turns.clear()  # in place: the download button's callable holds this list
    st.session_state.pending = []
    st.session_state.reading = None
    st.session_state.views.clear()
    st.query_params.clear()


def open_reader(at: str, question: str | None = None) -> None:
    """Open the reader view at a passage or a section (and put it in the address bar: ``?q=…&at=…``)."""
    st.session_state.reading = at
    st.session_state.reading_question = question
    st.query_params["at"] = at


def close_reader() -> None:
    st.session_state.reading = None
    st.query_params.pop("at", None)


st.set_page_config(page_title="文章問答", page_icon="📖", layout="centered", initial_sidebar_state="auto")
st.html(d.STYLE)
state = st.session_state
state.setdefault("turns", [])
state.setdefault("pending", [])
visitor = this_visitor()  # their uploads, released when their connection ends (qa/visitors.py)
state.setdefault("reading", None)
state.setdefault("views", {})  # replies as drawn (s.reply_view)
uis = d.ui_script(state.get("script") or d.ORIGINAL, st.context.locale)
st.html(d.uploader_style(uis))
st.title(d.ui("title", uis), anchor=False)  # drawn first: the page shows while a cold start loads the index
st.caption(d.ui("tagline", uis))

with st.sidebar:
    st.markdown(f"#### {d.ui('options', uis)}")
    script = st.segmented_control(d.ui("script", uis), d.SCRIPTS, default=d.ORIGINAL, key="script",
                                  required=True, help=d.ui("script_help", uis)) or d.ORIGINAL
    top_k = st.slider(d.ui("top_k", uis), 1, s.MAX_ANSWERS, 3, key="top_k")
    context = st.toggle(d.ui("context", uis), value=True, key="context")
    st.divider()
    st.markdown(f"#### {d.ui('articles', uis)}")
    filter_box, articles_box = st.container(), st.container()
    # A persistent index is shared and can be large: uploads (indexed with it per visitor) are for seeds/ only.
    files = None if INDEX_DIR or CLUSTER else st.file_uploader(
        d.ui("upload", uis), type=[x.lstrip(".") for x in ARTICLE_SUFFIXES], accept_multiple_files=True,
        key="files", help=d.ui("upload_help", uis))
    if files is not None or not INDEX_DIR:
        st.caption(d.ui("upload_hint", uis))  # in place of Streamlit's English "Limit 5MB per file • TXT, MD"
    notes_box, actions, vectors_box = st.container(), st.container(), st.container()  # progress below the buttons

try:
    key = f"QA_CLUSTER={CLUSTER}" if CLUSTER else f"QA_INDEX={INDEX_DIR}" if INDEX_DIR else s.corpus_key(SEEDS)
    with st.spinner(d.ui("loading", uis), show_time=False):
        base = shared_index(key)
        uploaded = [(f.name, f.getvalue()) for f in files or []]
        if s.upload_key(uploaded) != visitor.uploads.key:
            s.stop_vectors(visitor.uploads.index)  # the files it was for are gone: no thread embeds it on
            visitor.uploads = s.index_uploads(uploaded, base)
        del uploaded  # the bytes stay in Streamlit's file manager only, not in this run's globals
except qa.LoadError as error:
    st.error(d.escape_markdown(d.note_text("upload_bad", {"name": "seeds", "code": error.code, **error.values}, uis)))
    st.stop()
except StoreError as error:  # the operator's problem: the reason in Chinese, the details (and the fix) as code
    st.error(d.ui("store_failed", uis))
    st.code(str(error), language=None, wrap_lines=True)
    st.stop()
with notes_box:
    for kind, text_key, values in visitor.uploads.notes:
        show = st.error if kind == "error" else st.success
        show(d.escape_markdown(d.note_text(text_key, values, uis)), icon=f":material/{'error' if kind == 'error' else 'check'}:")

index: qa.Index = visitor.uploads.index or base
if not index.articles:
    st.warning(d.ui("no_articles", uis))
names = s.article_names(index.articles)
chosen = None
with filter_box:
    label = lambda i: d.escape_markdown(d.convert(names[i][1] or names[i][0], script, index.analyzer))  # noqa: E731
    if len(names) > s.MAX_CHOICES:  # too many to list: a title search instead
        search = st.text_input(d.ui("only_search", uis), key="only_search", help=d.ui("only_help", uis))
        if search.strip():
            chosen = s.titles_matching(shared_titles(key) if index is base else s.normalised_titles(index), search, index)
            st.caption(d.ui("only_matches", uis, n=len(chosen)))
    elif len(names) > s.MAX_PILLS:  # a list to search in (Streamlit's own "No results" shows there)
        chosen = st.multiselect(d.ui("only", uis), range(len(names)), key="only", help=d.ui("only_help", uis),
                                format_func=label, placeholder="") or None
    elif len(names) > 1:  # a few: buttons to pick, no English in sight
        chosen = st.pills(d.ui("only", uis), range(len(names)), selection_mode="multi", key="only",
                          help=d.ui("only_help", uis), format_func=label) or None

if not state.get("linked"):  # a shared /?q=…&at=… link asks its questions and opens its reader once, on arrival
    state.linked = True
    state.pending.extend(st.query_params.get_all("q")[:s.MAX_LINKED])
    if st.query_params.get("at"):
        state.reading = st.query_params["at"]
        state.reading_question = (st.query_params.get_all("q") or [None])[-1]  # its words are marked there
if typed := st.chat_input(d.ui("placeholder", uis), key="ask"):
    state.pending.append(typed)
while state.pending:
    asking = s.answering_index(index, chosen)
    state.turns.append(turn := s.answer_turn(state.pending.pop(0), asking, state.turns, chosen))
    if turn.asked:
        st.query_params.from_dict({"q": list(turn.share)})  # the address bar is always this answer's share link
if not state.turns:
    st.caption(d.escape_markdown(s.in_use_caption(index, chosen, script, uis)))


def draw_examples() -> None:
    examples = s.examples_shown(visitor.uploads, shared_examples(key))
    asked = {t.question for t in state.turns}
    if examples := [q for q in examples if q not in asked]:
        st.pills(d.ui("examples", uis), [d.convert(q, script, index.analyzer) for q in examples],
                 key="example", on_change=queue_example, format_func=d.escape_markdown)


if not state.turns:
    draw_examples()
for number, turn in enumerate(state.turns):
    with st.chat_message("user", avatar=":material/person:"):
        st.html(d.question_html(turn.question, uis))
    with st.chat_message("assistant", avatar=":material/menu_book:"):
        view = s.reply_view(state.views, turn, script, index.analyzer, uis, top_k, context)
        said = d.reply_script(turn.query, uis)  # a reply to an English question is labelled in English
        st.html(view.head)
        for n, (card, at) in enumerate(view.cards):
            st.html(card)
            st.button(d.ui("read", said), key=f"read-{number}-{n}", icon=":material/menu_book:", type="tertiary",
                      on_click=open_reader, args=(at, turn.question))
        if turn.suggestions:  # the no-answer reply above already says to look at them
            for n, suggestion in enumerate(turn.suggestions):
                st.button(d.escape_markdown(d.convert(suggestion.heading, script, index.analyzer)), key=f"look-{number}-{n}",
                          icon=":material/article:", type="secondary", on_click=open_reader, args=(suggestion.at,))
        if turn.asked:
            with st.popover(d.ui("share", said), icon=":material/link:", type="tertiary", key=f"share-{number}"):
                st.caption(d.ui("share_help", said))
                if any(a.doc in visitor.uploads.names for a in turn.answers[:top_k]):
                    st.caption(d.ui("share_upload_note", said))
                st.code(d.share_link(st.context.url, turn.share), language=None, wrap_lines=True)
if state.turns:
    draw_examples()  # more to ask, below the chat


@st.dialog(d.ui("reader", uis), width="large", on_dismiss=close_reader)
def reader(at: str) -> None:
    """The article with its headings, scrolled to and marking the passage or section ``at`` names."""
    reading = s.reading_at(at, index)
    if reading is None:
        st.warning(d.ui("reader_missing", uis))
        return
    article = index.articles[reading.article]
    asked = s.turn_asking(state.turns, state.get("reading_question"))
    st.html(d.reader_html(article, script, index.analyzer, uis, reading.first, reading.last, reading.best,
                          reading.section, asked.query if asked else None) + d.READER_SCROLL,
            unsafe_allow_javascript=True)
    st.caption(d.ui("reader_share", uis))
    st.code(d.reader_link(st.context.url, asked.share if asked else (), at), language=None, wrap_lines=True)


if state.reading:
    reader(state.reading)

with articles_box:
    for number, article in enumerate(index.articles[:s.MAX_LISTED]):
        label = d.escape_markdown(d.convert(article.title or article.name, script, index.analyzer))
        with st.expander(label, icon=f":material/{'upload_file' if article.name in visitor.uploads.names else 'article'}:"):
            st.caption(d.ui("article_stats", uis, sections=len(article.sections), sentences=len(article.sentences)))
            for n, section in enumerate(article.sections[:s.MAX_SECTIONS]):
                heading = d.convert(section.heading, script, index.analyzer) if section.heading else d.ui("intro", uis)
                st.button(d.escape_markdown(heading), key=f"section-{number}-{n}", type="tertiary", on_click=open_reader,
                          args=(d.section_at(article.name, n),))
    if len(index.articles) > s.MAX_LISTED:
        st.caption(d.ui("more_articles", uis, n=len(index.articles)))
    for problem in index.problems[:s.MAX_LISTED]:
        st.warning(d.escape_markdown(d.ui("unusable_file", uis, problem=problem)))

with actions:
    st.divider()
    left, right = st.columns(2)
    left.button(d.ui("clear", uis), on_click=clear_chat, icon=":material/delete_sweep:", key="clear",
                disabled=not state.turns, width="stretch")
    right.download_button(d.ui("download", uis), key="download", on_click="ignore", mime="text/markdown",
                          help=d.ui("download_help", uis), file_name="文章問答-對話.md", icon=":material/download:",
                          # Made only when clicked (not on every rerun), from the live chat list.
                          data=partial(d.chat_markdown, state.turns, script, index.analyzer, st.context.url, top_k,
                                       uis, context),
                          disabled=not state.turns, width="stretch")

# Last, once the page is drawn: the sentence vectors for English questions start in the background (lexical
# answers meanwhile), with their progress in the sidebar.
vectors = s.start_vectors(visitor.uploads.index) if visitor.uploads.index is not None else shared_vectors(key)
if vectors is not None and not vectors.finished:
    with vectors_box:
        st.progress(vectors.done / max(vectors.total, 1), text=d.ui("vectors", uis, done=vectors.done, total=vectors.total))
