-- The latest crawl of every comment: the June re-crawl's counts supersede March's.
{{ latest_crawl(ref('stg_raw__comments'), 'comment_id') }}
