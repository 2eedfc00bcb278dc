-- The latest crawl of every creator: the June re-crawl's counts supersede March's; a profile field it left
-- blank keeps the last known value (the rule of each column: int_creators_current.yml).
{{ latest_crawl(ref('stg_raw__creators'), 'author_key', keep_known=['gender', 'ip_location', 'tags_json']) }}
