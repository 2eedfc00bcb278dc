-- Every current note with its New York publication date and migration phase (Feng et al. §5).
with notes as (
    select * from {{ ref('int_notes_current') }}
),

dated as (
    select
        note_id,
        author_key,
        collection_month,
        published_at,
        {{ ny_date('published_at') }} as ny_date,
        liked_count,
        collected_count,
        comment_count,
        share_count
    from notes
)

select
    note_id,
    author_key,
    collection_month,
    published_at,
    ny_date,
    {{ phase_of('ny_date') }} as phase,
    liked_count,
    collected_count,
    comment_count,
    share_count
from dated
