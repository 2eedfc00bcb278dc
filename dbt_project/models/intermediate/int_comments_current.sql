-- The latest crawl of every comment: the June re-crawl's counts and text supersede March's; what it left
-- blank keeps the last known value (the rule of each column: int_comments_current.yml).
{{ latest_crawl(ref('stg_raw__comments'), 'comment_id', keep_known=['author_key', 'ip_location']) }}
