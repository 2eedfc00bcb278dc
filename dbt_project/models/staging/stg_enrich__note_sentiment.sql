with source as (
    select * from {{ source('enrich', 'note_sentiment') }}
),

renamed as (
    select
        -- ids
        note_id,
        collection_month,
        -- label
        score::integer as score,
        label,
        confidence,
        passes_confidence,
        unknown_reason,
        text_script,
        -- provenance
        backend,
        model_id,
        model_revision
    from source
)

select * from renamed
