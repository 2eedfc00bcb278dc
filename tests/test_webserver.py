"""`dagster dev -w workspace.yaml` loads: start the webserver on loopback and ask it over GraphQL."""

import os

from tests.browser import dagster_server, wait_for_code_location


def test_webserver_loads_the_code_location(data_root, tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    with dagster_server(env) as (port, proc):
        entries = wait_for_code_location(port, timeout=120, proc=proc)
    assert entries, "webserver did not answer"
    assert entries[0]["name"] == "rednote_dagster"
    assert entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation", entries
