"""A visitor's connection to the running Streamlit server, and what ends with it (issue 10, D8).

Streamlit keeps a disconnected session for ``server.disconnectedSessionTTL`` seconds so that a reconnect finds it.
Streamlit 1.67 then drops an expired session from its storage without shutting it down: the session's uploaded
files stay in its file manager for good, and the session itself (its state, the last run's globals, a visitor's
index) until that storage is next written. Here a visitor's uploads are held by a session-scoped resource whose
release (at the disconnect) drops their index at once, and the session is closed — as a logout closes one —
once the time for a reconnect has passed.

This module lives across reruns (``app.py`` is executed anew on each one, its globals with it).
"""
from __future__ import annotations

import gc
import threading
from dataclasses import dataclass, field

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from qa.corpus.build import release_freed_memory
from qa.session import Uploads, stop_vectors

SLACK = 1.0  # seconds past Streamlit's TTL before an unclaimed session is closed


@dataclass
class Visitor:
    """What a visitor's connection holds: their uploads (the index of the shared articles and theirs)."""

    session: str
    uploads: Uploads = field(default_factory=Uploads)


_LATEST: dict[str, Visitor] = {}  # each session's latest connection (a reconnect makes a new Visitor)
_LOCK = threading.Lock()


def release(visitor: Visitor) -> None:
    """At a disconnect: the uploads' index goes now (a reconnect indexes the files again), the session after the
    time for a reconnect."""
    stop_vectors(visitor.uploads.index)
    visitor.uploads = Uploads()
    timer = threading.Timer(float(st.get_option("server.disconnectedSessionTTL")) + SLACK, close_if_gone,
                            args=(visitor,))
    timer.daemon = True
    timer.start()


def close_if_gone(visitor: Visitor) -> None:
    """Close the visitor's session unless it reconnected (a newer Visitor, or an active session)."""
    with _LOCK:
        if _LATEST.get(visitor.session) is not visitor:
            return
        del _LATEST[visitor.session]
    if visitor.session and runtime.exists() and not runtime.get_instance().is_active_session(visitor.session):
        runtime.get_instance().clear_user_info_for_session(visitor.session)  # closes a stored session
        threading.Timer(SLACK, _give_back).start()  # once the event loop has closed it


def _give_back() -> None:
    """Collect what the closed session held and hand the freed heap back to the system (glibc keeps it: each
    script thread's allocations leave holes in their own arena)."""
    gc.collect()
    release_freed_memory()


@st.cache_resource(show_spinner=False, scope="session", on_release=release)
def this_visitor() -> Visitor:
    """This visitor's connection (made again on a reconnect: Streamlit clears session caches at a disconnect)."""
    context = get_script_run_ctx()
    visitor = Visitor(context.session_id if context else "")
    with _LOCK:
        _LATEST[visitor.session] = visitor
    return visitor


__all__ = ["Visitor", "close_if_gone", "release", "this_visitor"]
