-- Feng et al. Figure 6: mean sentiment (-2 .. 2) per topic, over notes whose label passes the confidence filter.
with notes as (
    select * from {{ ref('int_notes_labelled') }}
    where code is not null
)

select
    code::varchar as code,
    min(code_name)::varchar as code_name,
    count(*)::bigint as notes,
    (avg(score) filter (where passes_confidence and score is not null))::double as mean_score,
    (count(*) filter (where passes_confidence and score is not null))::bigint as notes_passing
from notes
group by code
order by code
