-- The latest crawl of every creator: the June re-crawl's counts supersede March's.
{{ latest_crawl(ref('stg_raw__creators'), 'author_key') }}
