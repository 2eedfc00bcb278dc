with source as (
    select * from {{ source('analysis', 'user_influence') }}
),

renamed as (
    select
        -- ids
        author_key,
        phase,
        -- influence (Feng et al. §6.1)
        influence_score,
        tier
    from source
)

select * from renamed
