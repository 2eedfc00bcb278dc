-- Feng et al. Figure 2: audience engagement per note by phase and influence tier.
with notes as (
    select * from {{ ref('int_notes_labelled') }}
)

select
    phase::varchar as phase,
    tier::varchar as tier,
    count(*)::bigint as notes,
    count(distinct author_key)::bigint as authors,
    avg(liked_count)::double as mean_likes,
    avg(collected_count)::double as mean_collects,
    avg(comment_count)::double as mean_comments,
    avg(share_count)::double as mean_shares
from notes
group by phase, tier
order by phase, tier
