"""Reading MediaCrawler's RedNote (xhs) output: every vintage, layout and container.

See ``shared/reference/xhs_data_formats.md`` §2–§9 for the formats this package accepts.
"""
