with source as (
    select * from {{ source('raw', 'notes') }}
),

renamed as (
    select
        -- ids
        note_id,
        author_key,
        collection_month,
        -- text
        title,
        description,
        note_type,
        tags,
        -- numerics
        liked_count,
        collected_count,
        comment_count,
        share_count,
        counts_approximate,
        image_count,
        has_video,
        -- timestamps
        published_at,
        last_updated_at,
        crawled_at,
        -- provenance
        ip_location,
        source_keywords,
        source_file
    from source
)

select * from renamed
