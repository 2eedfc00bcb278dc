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
