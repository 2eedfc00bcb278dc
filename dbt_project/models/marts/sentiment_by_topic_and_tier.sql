-- Feng et al. Figure 7: mean sentiment per topic and influence tier, over notes passing the confidence filter.
with notes as (
    select * from {{ ref('int_notes_labelled') }}
    where code is not null and passes_confidence and score is not null
)

select
    code::varchar as code,
    min(code_name)::varchar as code_name,
    tier::varchar as tier,
    count(*)::bigint as notes_passing,
    avg(score)::double as mean_score
from notes
group by code, tier
order by code, tier
