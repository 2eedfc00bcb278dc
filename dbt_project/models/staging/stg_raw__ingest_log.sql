with source as (
    select * from {{ source('raw', 'ingest_log') }}
),

renamed as (
    select
        -- ids
        collection_month,
        source_file,
        entity,
        -- bookkeeping: records_read = accepted + rejected + duplicates
        records_read,
        accepted,
        rejected,
        duplicates
    from source
)

select * from renamed
