"""Child processes of the test process."""


def pool_workers() -> list:
    """This process's worker processes still alive (loky's resource tracker, which lives as long as this
    process and exits with it, is not one)."""
    import psutil

    return [
        child
        for child in psutil.Process().children(recursive=True)
        if "resource_tracker" not in " ".join(child.cmdline())
    ]
