with source as (
    select * from {{ source('enrich', 'comment_emotion') }}
),

renamed as (
    select
        -- ids
        comment_id,
        note_id,
        collection_month,
        -- label
        code as emotion,
        confidence as emotion_confidence,
        unknown_reason as emotion_unknown_reason,
        -- who wrote it
        language,
        commenter_group,
        -- provenance
        backend as emotion_backend,
        model_id as emotion_model_id,
        model_revision as emotion_model_revision
    from source
)

select * from renamed
