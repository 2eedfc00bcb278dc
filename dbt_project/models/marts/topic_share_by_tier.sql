-- Feng et al. Figure 4: the topic mix of each influence tier's notes (over notes with a taxonomy code).
with notes as (
    select * from {{ ref('int_notes_labelled') }}
    where code is not null
),

counts as (
    select
        tier,
        code,
        code_name,
        category,
        category_name,
        count(*) as notes
    from notes
    group by tier, code, code_name, category, category_name
)

select
    tier::varchar as tier,
    code::varchar as code,
    code_name::varchar as code_name,
    category::varchar as category,
    category_name::varchar as category_name,
    notes::bigint as notes,
    (notes / sum(notes) over (partition by tier))::double as share
from counts
order by tier, code
