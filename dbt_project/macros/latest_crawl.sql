{# One row per entity: the copy from the latest crawl across all collection months.
   Ties (same crawl instant in two months cannot happen in practice) go to the later month. #}
{% macro latest_crawl(relation, key) -%}
    select * exclude (crawl_rank)
    from (
        select
            *,
            row_number() over (
                partition by {{ key }}
                order by crawled_at desc, collection_month desc
            ) as crawl_rank
        from {{ relation }}
    )
    where crawl_rank = 1
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
