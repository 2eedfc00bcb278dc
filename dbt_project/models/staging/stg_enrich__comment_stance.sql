with source as (
    select * from {{ source('enrich', 'comment_stance') }}
),

renamed as (
    select
        -- ids
        comment_id,
        note_id,
        collection_month,
        -- label
        code as stance,
        confidence as stance_confidence,
        unknown_reason as stance_unknown_reason,
        -- who wrote it
        language,
        commenter_group,
        -- provenance
        backend as stance_backend,
        model_id as stance_model_id,
        model_revision as stance_model_revision
    from source
)

select * from renamed
