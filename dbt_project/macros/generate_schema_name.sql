{# Use the configured schema name as is (staging, intermediate, marts), so that a model's
   DuckDB schema.table equals its Dagster asset key [schema, table]. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
