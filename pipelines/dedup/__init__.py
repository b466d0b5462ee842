"""Book-level deduplication stages (minhash, exact, repeated paragraphs), run after the process stage."""
