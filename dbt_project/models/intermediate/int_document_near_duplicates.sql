-- One row per document sharing at least half of the shorter one's paragraphs (of 20 characters or
-- more) with an earlier document (by file path); pairs are found through shared paragraphs only.
{{ near_duplicate_pairs() }}
