-- The latest crawl of every note: the June re-crawl's counts and text supersede March's; what it left
-- blank keeps the last known value (the rule of each column: int_notes_current.yml).
{{ latest_crawl(
    ref('stg_raw__notes'), 'note_id',
    keep_known=['author_key', 'title', 'note_type', 'tags', 'last_updated_at', 'ip_location', 'source_keywords']
) }}
