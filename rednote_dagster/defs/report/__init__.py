"""The study report and the figure previews the analysis assets show in the UI."""
