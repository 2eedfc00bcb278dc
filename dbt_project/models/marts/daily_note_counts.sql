-- Feng et al. Figure 1: notes published per New York day, every day from the first to the last (0 when none).
with notes as (
    select * from {{ ref('int_notes_phased') }}
),

per_day as (
    select
        ny_date,
        count(*) as notes
    from notes
    group by ny_date
),

days as (
    select unnest(generate_series(min(ny_date), max(ny_date), interval 1 day))::date as ny_date
    from notes
)

select
    days.ny_date,
    {{ phase_of('days.ny_date') }}::varchar as phase,
    coalesce(per_day.notes, 0)::bigint as notes
from days
left join per_day using (ny_date)
order by days.ny_date
