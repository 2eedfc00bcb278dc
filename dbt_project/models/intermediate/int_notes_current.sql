-- The latest crawl of every note: the June re-crawl's counts supersede March's.
{{ latest_crawl(ref('stg_raw__notes'), 'note_id') }}
