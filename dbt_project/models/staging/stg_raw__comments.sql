with source as (
    select * from {{ source('raw', 'comments') }}
),

renamed as (
    select
        -- ids
        comment_id,
        note_id,
        parent_comment_id,
        author_key,
        collection_month,
        parent_comment_id is null as is_top_level,
        -- text
        content,
        -- numerics
        like_count,
        sub_comment_count,
        counts_approximate,
        picture_count,
        -- timestamps
        created_at,
        crawled_at,
        -- provenance
        ip_location,
        source_file
    from source
)

select * from renamed
