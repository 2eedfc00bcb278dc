-- Li et al.: emotion x stance x topic group. Counts per cell, each cell's share of its topic group's labelled
-- comments, and the same split by commenter group (commenter_group = 'all' is everyone).
with comments as (
    select * from {{ ref('int_comments_affect') }}
    where emotion is not null and stance is not null and topic_group is not null
),

-- Per commenter group, then everyone as commenter_group 'all': a union rather than GROUPING SETS, which
-- the duckdb dialect of sqlfluff cannot parse.
by_group as (
    select
        topic_group,
        coalesce(commenter_group, 'all') as commenter_group,
        emotion,
        stance,
        count(*) as comments
    from comments
    group by topic_group, commenter_group, emotion, stance
),

cells as (
    select * from by_group
    union all
    select
        topic_group,
        'all' as commenter_group,
        emotion,
        stance,
        sum(comments) as comments
    from by_group
    group by topic_group, emotion, stance
)

select
    topic_group::varchar as topic_group,
    commenter_group::varchar as commenter_group,
    emotion::varchar as emotion,
    stance::varchar as stance,
    comments::bigint as comments,
    (comments / sum(comments) over (partition by topic_group, commenter_group))::double as share
from cells
order by topic_group, commenter_group, emotion, stance
