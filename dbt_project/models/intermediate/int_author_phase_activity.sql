-- Per author and phase (plus phase 'all' for the whole study): notes, followers and the engagement their
-- notes received. The input of the Python asset analysis/user_influence (Feng et al. §6.1).
with notes as (
    select * from {{ ref('int_notes_phased') }}
    where author_key is not null
),

creators as (
    select
        author_key,
        followers
    from {{ ref('int_creators_current') }}
),

-- Two grains: (author, phase) and (author) = the whole study, labelled 'all'. A union rather than
-- GROUPING SETS, which the duckdb dialect of sqlfluff cannot parse (phase is never NULL: same rows).
by_phase as (
    select
        author_key,
        phase,
        count(*) as notes,
        sum(coalesce(liked_count, 0)) as likes,
        sum(coalesce(collected_count, 0)) as collects,
        sum(coalesce(comment_count, 0)) as comments,
        sum(coalesce(share_count, 0)) as shares
    from notes
    group by author_key, phase
),

activity as (
    select * from by_phase
    union all
    select
        author_key,
        'all' as phase,
        sum(notes) as notes,
        sum(likes) as likes,
        sum(collects) as collects,
        sum(comments) as comments,
        sum(shares) as shares
    from by_phase
    group by author_key
)

select
    activity.author_key,
    activity.phase::varchar as phase,
    activity.notes::bigint as notes,
    creators.followers::bigint as followers,
    activity.likes::bigint as likes,
    activity.collects::bigint as collects,
    activity.comments::bigint as comments,
    activity.shares::bigint as shares
from activity
left join creators using (author_key)
