-- Every current note with its phase, engagement, sentiment, taxonomy code and its author's influence tier
-- in that phase: the note-level table behind Figures 2, 4, 6 and 7 and the Python analyses.
with notes as (
    select * from {{ ref('int_notes_phased') }}
),

-- The enrichment of the note's latest crawl (same collection month); failing that, the latest one labelled.
sentiment as (
    {{ label_of_current_crawl('notes', ref('stg_enrich__note_sentiment'), ['score', 'label', 'passes_confidence']) }}
),

topics as (
    {{ label_of_current_crawl(
        'notes', ref('stg_enrich__note_topics'), ['code', 'code_name', 'category', 'category_name', 'topic_group']
    ) }}
),

influence as (
    select
        author_key,
        phase,
        tier
    from {{ ref('stg_analysis__user_influence') }}
)

select
    notes.note_id,
    notes.author_key,
    notes.ny_date,
    notes.phase,
    -- an author the influence table does not rank in this phase counts as inactive (Feng et al. Fig 3)
    coalesce(influence.tier, 'inactive')::varchar as tier,
    topics.code,
    topics.code_name,
    topics.category,
    topics.category_name,
    topics.topic_group,
    sentiment.score::integer as score,
    sentiment.label,
    sentiment.passes_confidence,
    notes.liked_count,
    notes.collected_count,
    notes.comment_count,
    notes.share_count
from notes
left join influence
    on
        notes.author_key = influence.author_key
        and notes.phase = influence.phase
left join topics on notes.note_id = topics.note_id
left join sentiment on notes.note_id = sentiment.note_id
