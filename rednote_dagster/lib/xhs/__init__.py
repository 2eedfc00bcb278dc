"""Reading MediaCrawler's RedNote (xhs) output: every vintage, layout and container.

The formats are those MediaCrawler writes (https://github.com/NanmiCoder/MediaCrawler, store/xhs/);
the readers' docstrings and tests/xhs_samples.py show each one this package accepts.
"""
