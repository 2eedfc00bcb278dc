{# One row per entity: its latest crawl across all collection months (ties of crawled_at, which cannot
   happen in practice, go to the later month). The columns named in `keep_known` that the latest crawl
   left blank (macro is_blank) keep the value of the latest crawl that had one: a re-crawl months later
   that leaves ip_location empty must not erase it (issue 18: 118 of 406 re-crawled comments). Every other
   column, counts and text among them, is the latest crawl's as it stands, NULL included, so that the
   counts of a row are those of one crawl instant. #}
{% macro latest_crawl(relation, key, keep_known=[]) -%}
    select
        *{% if keep_known %} replace (
            {%- for column in keep_known %}
            first_value(
                case when not {{ is_blank(column) }} then {{ column }} end ignore nulls
            ) over crawls_latest_first as {{ column }}{{ "," if not loop.last }}
            {%- endfor %}
        ){% endif %}
    from {{ relation }}
    window crawls_latest_first as (
        partition by {{ key }}
        order by crawled_at desc, collection_month desc
        rows between unbounded preceding and unbounded following
    )
    qualify row_number() over crawls_latest_first = 1
{%- endmacro %}

{# A value a crawl left empty: NULL, whitespace-only text, an empty list or an empty JSON array/object
   (creators' tags_json). The text cast lets one test serve varchar, varchar[] and JSON columns. #}
{% macro is_blank(column) -%}
    ({{ column }} is null or trim({{ column }}::varchar) in ('', '[]', '{}'))
{%- endmacro %}

{# One label row per entity: the enrichment of its current crawl (same collection month), failing
   that the latest month labelled. `entities` is a CTE with `key` and collection_month. #}
{% macro label_of_current_crawl(notes, labels, columns, key='note_id') -%}
    select {{ notes }}.{{ key }}{% for column in columns %}, l.{{ column }}{% endfor %}
    from {{ notes }}
    join {{ labels }} as l on l.{{ key }} = {{ notes }}.{{ key }}
    qualify row_number() over (
        partition by {{ notes }}.{{ key }}
        order by (l.collection_month = {{ notes }}.collection_month) desc, l.collection_month desc
    ) = 1
{%- endmacro %}
