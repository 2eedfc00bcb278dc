"""The one partitioning of the platform: the month a crawl was *collected* (README.md, "Bringing your own crawl")."""

import datetime as dt

import dagster as dg

COLLECTION_START = "2025-01-01"

# end_offset=1: a crawl dropped in the inbox during the current month is ingestible at once.
collection_month = dg.MonthlyPartitionsDefinition(start_date=COLLECTION_START, end_offset=1)


def months_in_window(window: dg.TimeWindow) -> list[dt.date]:
    """First days of the collection months in a (possibly multi-month) partition window."""
    months: list[dt.date] = []
    day = window.start.date().replace(day=1)
    while day < window.end.date():
        months.append(day)
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months
