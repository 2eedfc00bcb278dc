{# Feng et al. (2025) §5: "post timestamps were aggregated by day in the New York timezone".
   For a TIMESTAMPTZ, `AT TIME ZONE` gives the New York wall-clock TIMESTAMP whatever the session
   TimeZone is, so 2025-01-19 03:00 UTC is 2025-01-18 in New York (EST, UTC-5) and 2025-04-04 04:00 UTC
   is 2025-04-04 (EDT, UTC-4, from 9 March). #}
{% macro ny_date(timestamptz_expr) -%}
    (({{ timestamptz_expr }}) at time zone 'America/New_York')::date
{%- endmacro %}

{# The migration phase of a New York date. Boundaries are half-open and come from the vars
   phase_surge_start / phase_stabilization_start (the day a phase starts belongs to it), which the
   Dagster dbt step passes from rednote_dagster/lib/phases.py (dbt_vars). The only place in the project
   that maps a date to a phase. #}
{% macro phase_of(ny_date_expr) -%}
    case
        when ({{ ny_date_expr }}) is null then null
        when ({{ ny_date_expr }}) < date '{{ var("phase_surge_start") }}' then 'pre_ban'
        when ({{ ny_date_expr }}) < date '{{ var("phase_stabilization_start") }}' then 'surge'
        else 'stabilization'
    end
{%- endmacro %}
