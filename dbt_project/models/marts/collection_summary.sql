-- What each collection month contributed: rows kept, new entities, and the ingest bookkeeping.
with notes as (
    select
        collection_month,
        count(*) as notes,
        count(distinct author_key) as note_authors
    from {{ ref('stg_raw__notes') }}
    group by collection_month
),

comments as (
    select
        collection_month,
        count(*) as comments,
        count(*) filter (where is_top_level) as top_level_comments
    from {{ ref('stg_raw__comments') }}
    group by collection_month
),

creators as (
    select
        collection_month,
        count(*) as creator_profiles
    from {{ ref('stg_raw__creators') }}
    group by collection_month
),

note_first_months as (
    select
        note_id,
        min(collection_month) as collection_month
    from {{ ref('stg_raw__notes') }}
    group by note_id
),

first_seen as (
    select
        collection_month,
        count(*) as new_notes
    from note_first_months
    group by collection_month
),

ingest as (
    select
        collection_month,
        count(distinct source_file) as files,
        sum(records_read) as records_read,
        sum(rejected) as records_rejected,
        sum(duplicates) as records_duplicate
    from {{ ref('stg_raw__ingest_log') }}
    group by collection_month
),

months as (
    select collection_month from notes
    union
    select collection_month from comments
    union
    select collection_month from creators
)

select
    months.collection_month,
    coalesce(notes.notes, 0)::bigint as notes,
    coalesce(first_seen.new_notes, 0)::bigint as new_notes,
    coalesce(notes.note_authors, 0)::bigint as note_authors,
    coalesce(comments.comments, 0)::bigint as comments,
    coalesce(comments.top_level_comments, 0)::bigint as top_level_comments,
    coalesce(creators.creator_profiles, 0)::bigint as creator_profiles,
    coalesce(ingest.files, 0)::bigint as files,
    coalesce(ingest.records_read, 0)::bigint as records_read,
    coalesce(ingest.records_rejected, 0)::bigint as records_rejected,
    coalesce(ingest.records_duplicate, 0)::bigint as records_duplicate
from months
left join notes using (collection_month)
left join first_seen using (collection_month)
left join comments using (collection_month)
left join creators using (collection_month)
left join ingest using (collection_month)
order by months.collection_month
