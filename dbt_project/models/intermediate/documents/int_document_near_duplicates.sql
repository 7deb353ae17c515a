-- One row per document sharing at least half of the shorter one's paragraphs (of 20 characters or
-- more) with an earlier document (by file path), leaving out paragraphs found in more than 1,000 documents;
-- pairs are found through shared paragraphs only (macros/near_duplicate_pairs.sql).
{{ near_duplicate_pairs() }}
