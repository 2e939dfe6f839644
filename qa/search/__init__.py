"""Question → ranked answer sentences: terms, BM25, ranking, answers."""
