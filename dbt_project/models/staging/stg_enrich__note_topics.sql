with source as (
    select * from {{ source('enrich', 'note_topics') }}
),

renamed as (
    select
        -- ids
        note_id,
        collection_month,
        -- label
        code,
        code_name,
        category,
        category_name,
        topic_group,
        confidence,
        unknown_reason,
        -- provenance
        backend,
        model_id,
        model_revision,
        scheme_version
    from source
)

select * from renamed
