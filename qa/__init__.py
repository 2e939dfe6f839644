"""文章問答 — find the sentences of Chinese articles that answer a question (BM25 over jieba terms)."""
from qa.search.index import Index, index_text, load_corpus
from qa.text.loading import LoadError
from qa.records import Answer, Article, Query, Sentence

__all__ = ["Answer", "Article", "Index", "LoadError", "Query", "Sentence", "index_text", "load_corpus"]
