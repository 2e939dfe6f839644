"""文章問答 — the chat app. It only draws and calls the engine; formatting lives in qa.display."""
from __future__ import annotations

import hashlib
import os
from functools import partial
from pathlib import Path

import streamlit as st

import qa
from qa import display as d
from qa.corpus.build import article_names, only_articles
from qa.text.loading import ARTICLE_SUFFIXES, article_files, decode_bytes
from qa.search.query import question_problem, truncate_question
from qa.corpus.store import StoreError

SEEDS = Path(__file__).resolve().with_name("seeds")
INDEX_DIR = os.environ.get("QA_INDEX", "").strip()  # a persistent index (python -m qa index) instead of seeds/
MAX_ANSWERS = 5  # answers kept per question; the sidebar chooses how many of them to show
MAX_LINKED = 5  # questions a ?q= link may ask (a follow-up's link holds two)
MAX_LISTED = 30  # articles listed in the sidebar and looked through for examples and suggestions
MAX_CHOICES = 1000  # beyond this many articles the filter is a title search, not a list to pick from


def corpus_key(folder: Path) -> str:
    """A digest of the articles' names and bytes: the shared index is rebuilt only when they change."""
    digest = hashlib.sha256()
    for path in article_files(folder):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@st.cache_resource(show_spinner=False, max_entries=2)
def seed_index(key: str) -> qa.Index:
    """The index every visitor shares, made once per process: QA_INDEX's persistent index (rebuilt first if
    stale), or seeds/ (once per content of its articles).

    ``key`` is unused in the body on purpose: it is the cache key, so changed articles mean a new index.
    """
    if INDEX_DIR:
        from qa.corpus.store import open_index

        return open_index(INDEX_DIR)
    return qa.load_corpus(SEEDS)


@st.cache_resource(show_spinner=False, max_entries=2)
def seed_examples(key: str) -> tuple[str, ...]:
    """Example questions for the seed articles (only ones the engine answers)."""
    index = seed_index(key)
    return tuple(d.example_questions(index.articles[:MAX_LISTED], lambda q: index.ask(q, top_k=1), index.analyzer))


@st.cache_resource(show_spinner=False, max_entries=2)
def search_titles(key: str) -> tuple[str, ...]:
    """The shared articles' titles (or names) as the title search compares them: normalised once per process."""
    index = seed_index(key)
    return tuple(index.analyzer.normalize(title or name) for name, title in article_names(index.articles))


def upload_index(files: list, base: qa.Index) -> None:
    """Index this visitor's uploads together with the seed articles, in session_state (never shared)."""
    key = tuple((f.name, hashlib.sha256(f.getvalue()).hexdigest()) for f in files)
    if st.session_state.get("upload_key") == key:
        return
    articles, notes = [], []
    for file in files:
        try:
            if Path(file.name).suffix.lower() not in ARTICLE_SUFFIXES:
                raise qa.LoadError(f"{file.name}: only .txt and .md articles can be used")
            article = qa.index_text(decode_bytes(file.getvalue(), file.name), name=file.name,
                                    analyzer=base.analyzer).articles[0]
        except qa.LoadError as error:
            notes.append(("error", "upload_bad", {"reason": str(error)}))
            continue
        except Exception as error:  # an upload is untrusted input: any failure is its problem, told plainly
            notes.append(("error", "upload_bad", {"reason": f"{file.name}: {type(error).__name__}: {error}"}))
            continue
        if not article.sentences:
            notes.append(("error", "upload_empty", {"name": file.name}))
            continue
        articles.append(article)
        notes.append(("ok", "upload_ok", {"title": article.title or file.name, "sentences": len(article.sentences)}))
    st.session_state.upload_key = key
    st.session_state.upload_notes = notes
    st.session_state.upload_names = {a.name for a in articles}
    index = qa.Index(tuple(base.articles) + tuple(articles), base.analyzer) if articles else None
    st.session_state.upload_index = index
    st.session_state.upload_examples = tuple(d.example_questions(
        articles, lambda q: index.ask(q, top_k=1), base.analyzer)) if index else ()


def ask(question: str, index: qa.Index) -> None:
    """Ask the engine one question and add the exchange to this visitor's chat."""
    turns: list[d.Turn] = st.session_state.turns
    if problem := question_problem(question):
        turns.append(d.Turn(question=truncate_question(question)[0], problem=problem))
        return
    text, cut = truncate_question(question)
    history = [t.question for t in turns if t.asked]
    query = index.understand(text, history)
    answers = tuple(index.ask(text, top_k=MAX_ANSWERS, history=history))
    share = tuple(d.share_questions(index.understand, text, history, query))
    suggestions = () if answers else tuple(d.suggest_sections(text, index.articles[:MAX_LISTED], index.analyzer))
    turns.append(d.Turn(text, answers, query, "", cut, share, suggestions))
    st.query_params.from_dict({"q": list(share)})  # the address bar is always this answer's share link


def article_filter(index: qa.Index, key: str, script: str, uis: str) -> list[int] | None:
    """The sidebar's article filter: the chosen articles' positions, or None to answer from every article."""
    names = article_names(index.articles)
    if len(names) <= 1:
        return None
    if len(names) > MAX_CHOICES:  # too many to list: a title search instead
        search = st.text_input(d.ui("only_search", uis), key="only_search", help=d.ui("only_help", uis)).strip()
        if not search:
            return None
        folded = index.analyzer.normalize(search)
        titles = (search_titles(key) if index is seed_index(key)
                  else [index.analyzer.normalize(title or name) for name, title in names])
        chosen = [i for i, title in enumerate(titles) if folded in title]
        st.caption(d.ui("only_matches", uis, n=len(chosen)))
        return chosen
    chosen = st.multiselect(d.ui("only", uis), range(len(names)), key="only", help=d.ui("only_help", uis),
                            format_func=lambda i: d.convert(names[i][1] or names[i][0], script, index.analyzer),
                            placeholder="")
    return list(chosen) or None


def queue_example() -> None:
    """A clicked example question asks itself."""
    if st.session_state.get("example"):
        st.session_state.pending.append(st.session_state.example)
    st.session_state.example = None


def clear_chat() -> None:
    """Forget this visitor's chat (and the ?q= in the address bar)."""
    st.session_state.turns.clear()  # in place: the download button's callable holds this list
    st.session_state.pending = []
    st.query_params.clear()


def draw_reply(turn: d.Turn, number: int, script: str, uis: str, index: qa.Index, top_k: int,
               context: bool, base_url: str | None) -> None:
    """One assistant reply: notices, what was understood, the answer cards (or no answer), a share link."""
    if turn.problem:
        st.html(d.reply_html([d.notice_html(d.pick_script(turn.problem, uis))]))
        return
    parts = [d.notice_html(d.truncation_notice(uis))] if turn.truncated else []
    source = turn.share[0] if len(turn.share) > 1 else None  # the earlier question a follow-up carried words from
    parts.append(d.understood_html(turn.query, script, index.analyzer, uis, source))
    if turn.answers:
        parts += [d.answer_html(a, script, index.analyzer, context, uis) for a in turn.answers[:top_k]]
    else:
        parts.append(d.no_answer_html(turn.suggestions, script, index.analyzer, uis))
    st.html(d.reply_html(parts))
    with st.popover(d.ui("share", uis), icon=":material/link:", type="tertiary", key=f"share-{number}"):
        st.caption(d.ui("share_help", uis))
        if any(a.doc in state.get("upload_names", ()) for a in turn.answers[:top_k]):
            st.caption(d.ui("share_upload_note", uis))
        st.code(d.share_link(base_url, turn.share), language=None, wrap_lines=True)


st.set_page_config(page_title="文章問答", page_icon="📖", layout="centered", initial_sidebar_state="auto")
st.html(d.STYLE)
state = st.session_state
state.setdefault("turns", [])
state.setdefault("pending", [])

uis = d.ui_script(state.get("script") or d.ORIGINAL, st.context.locale)
st.title(d.ui("title", uis), anchor=False)  # drawn first: the page shows while a cold start loads the index
st.caption(d.ui("tagline", uis))

with st.sidebar:
    st.markdown(f"#### {d.ui('options', uis)}")
    script = st.segmented_control(d.ui("script", uis), d.SCRIPTS, default=d.ORIGINAL, key="script",
                                  required=True) or d.ORIGINAL
    top_k = st.slider(d.ui("top_k", uis), 1, MAX_ANSWERS, 3, key="top_k")
    context = st.toggle(d.ui("context", uis), value=True, key="context")
    st.divider()
    st.markdown(f"#### {d.ui('articles', uis)}")
    filter_box = st.container()
    articles_box = st.container()
    # A persistent index is shared and can be large: uploads (indexed with it per visitor) are for seeds/ only.
    uploads = None if INDEX_DIR else st.file_uploader(
        d.ui("upload", uis), type=[s.lstrip(".") for s in ARTICLE_SUFFIXES], accept_multiple_files=True,
        key="uploads", help=d.ui("upload_help", uis))
    notes_box = st.container()
    actions = st.container()

try:
    key = f"QA_INDEX={INDEX_DIR}" if INDEX_DIR else corpus_key(SEEDS)
except qa.LoadError as error:
    st.error(d.escape_markdown(str(error)))
    st.stop()
with st.spinner(d.ui("loading", uis), show_time=False):
    try:
        base = seed_index(key)
    except StoreError as error:
        st.error(d.escape_markdown(str(error)))
        st.stop()
    upload_index(uploads or [], base)
with notes_box:
    for kind, text_key, values in state.get("upload_notes", []):
        message = d.escape_markdown(d.ui(text_key, uis, **values))
        if kind == "error":
            st.error(message, icon=":material/error:")
        else:
            st.success(message, icon=":material/check:")

index: qa.Index = state.get("upload_index") or base
if not index.articles:
    st.warning(d.ui("no_articles", uis))
with filter_box:
    chosen = article_filter(index, key, script, uis)
answering = index if chosen is None else only_articles(index, chosen)
base_url = st.context.url

if not state.get("linked"):  # a shared /?q= link asks its questions once, when the visitor arrives
    state.linked = True
    state.pending.extend(st.query_params.get_all("q")[:MAX_LINKED])
if typed := st.chat_input(d.ui("placeholder", uis), key="ask"):
    state.pending.append(typed)
while state.pending:
    ask(state.pending.pop(0), answering)
if not state.turns:
    in_use = index.articles[:3] if chosen is None else [index.articles[i] for i in chosen[:3]]
    count = len(index.articles) if chosen is None else len(chosen)
    titles = "、".join(f"《{d.convert(a.title or a.name, script, index.analyzer)}》" for a in in_use)
    more = d.ui("more_articles", uis, n=count) if count > 3 else ""
    st.caption(d.escape_markdown(d.ui("in_use", uis, titles=titles + more)))
    # Uploaded articles first: a visitor who brings an article most likely wants to ask about it.
    examples = seed_examples(key)
    if index is not base:
        examples = (state.get("upload_examples", ()) + examples)[:4]
    if examples:
        st.pills(d.ui("examples", uis), [d.convert(q, script, index.analyzer) for q in examples],
                 key="example", on_change=queue_example, format_func=d.escape_markdown)
for number, turn in enumerate(state.turns):
    if turn.question.strip():
        with st.chat_message("user", avatar=":material/person:"):
            st.html(d.question_html(turn.question))
    with st.chat_message("assistant", avatar=":material/menu_book:"):
        draw_reply(turn, number, script, uis, index, top_k, context, base_url)

with articles_box:
    uploaded_names = state.get("upload_names", set()) if index is not base else set()
    for article in index.articles[:MAX_LISTED]:
        uploaded = article.name in uploaded_names
        label = d.escape_markdown(d.convert(article.title or article.name, script, index.analyzer))
        with st.expander(label, icon=":material/upload_file:" if uploaded else ":material/article:"):
            st.caption(d.ui("article_stats", uis, sections=len(article.sections), sentences=len(article.sentences)))
            st.html(d.sections_html(article, script, index.analyzer, uis))
    if len(index.articles) > MAX_LISTED:
        st.caption(d.ui("more_articles", uis, n=len(index.articles)))
    for problem in index.problems[:MAX_LISTED]:
        st.warning(d.escape_markdown(problem))

with actions:
    st.divider()
    left, right = st.columns(2)
    left.button(d.ui("clear", uis), on_click=clear_chat, icon=":material/delete_sweep:", key="clear",
                disabled=not state.turns, width="stretch")
    right.download_button(d.ui("download", uis), key="download", on_click="ignore", mime="text/markdown",
                          help=d.ui("download_help", uis),
                          # Made only when clicked (not on every rerun), from the live chat list.
                          data=partial(d.chat_markdown, state.turns, script, index.analyzer, base_url, top_k, uis),
                          file_name="文章問答-對話.md", icon=":material/download:", disabled=not state.turns,
                          width="stretch")
