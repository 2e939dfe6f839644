"""文章問答 — placeholder until the chat app lands (see issue: the chat web app)."""
import streamlit as st

import qa


@st.cache_resource
def _index() -> qa.Index:
    return qa.load_corpus("seeds")


st.title("文章問答")
if question := st.chat_input("輸入問題"):
    for answer in _index().ask(question):
        st.text(answer.text)
