with source as (
    select * from {{ source('raw', 'creators') }}
),

renamed as (
    select
        -- ids
        author_key,
        collection_month,
        -- numerics
        followers,
        following,
        likes_and_collects,
        counts_approximate,
        -- attributes
        gender,
        ip_location,
        tags_json,
        -- timestamps
        crawled_at,
        source_file
    from source
)

select * from renamed
