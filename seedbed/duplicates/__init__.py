"""Near-duplicates by MinHash (word shingles) and by embedding cosine, and contamination."""
