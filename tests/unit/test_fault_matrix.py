"""The fault-injection matrix (issue 10): every DynamoDB, S3, SES and provider call of each flow, in turn,
throttled, timed out or failing with a 500 (before, or after the write went through), then recovered the way
production recovers. No case lost or duplicated, no message sent twice, no job stopped by one bad item.

The cells are listed at collection by running each flow clean on a private moto (`faults.catalog`); each
cell then runs on the session's tables with its own ids. The engine is `tests/support/faults.py`, shared
with `bench/bench_faults.py`.
"""

from __future__ import annotations

import pytest

from tests.support import faults

try:
    CELLS, REFERENCE = faults.catalog()
    CATALOG_ERROR = None
except Exception as error:  # a broken flow must fail this module's tests, not the whole suite's collection
    CELLS, REFERENCE, CATALOG_ERROR = {}, {}, f"{type(error).__name__}: {error}"
FLOWS = faults.flows()

def _params() -> list:
    params = []
    for flow, cells in CELLS.items():
        for site, fault in cells:
            params.append(pytest.param(flow, site, fault, id=f"{flow}|{site}|{fault}"))
    return params


@pytest.fixture(autouse=True)
def _no_fault_outlives_its_cell():
    import chalicelib.channels.http as http
    import chalicelib.services.outbound as outbound

    perform, deliver = http.perform, outbound.deliver
    yield
    assert (http.perform, outbound.deliver) == (perform, deliver), "an injected fault was left installed"


@pytest.fixture(scope="module")
def matrix(demo_logins, provider, tmp_path_factory):
    from chalicelib.services.context import set_context

    faults.prepare_aws()
    engine = faults.Matrix(provider, str(tmp_path_factory.mktemp("faults")))
    engine.reference.update(REFERENCE)
    yield engine
    set_context(None)
    provider.reset()


@pytest.mark.parametrize(("flow", "site", "fault"), _params())
def test_one_fault_at_one_call_site_loses_nothing_and_duplicates_nothing(matrix, flow, site, fault):
    result = matrix.run_cell(FLOWS[flow], site, fault)
    assert result.fired, f"call site {site} was not reached (the flow changed: listing is stale?)"
    assert not result.losses, f"lost after recovery: {result.losses} (raised: {result.raised})"
    assert not result.duplicates, f"duplicated: {result.duplicates}"
    assert not result.job_stop, f"the job stopped on one item's failure: {result.raised}"


def test_the_matrix_covers_every_flow_and_fault():
    assert CATALOG_ERROR is None, CATALOG_ERROR
    assert set(CELLS) == set(FLOWS)
    assert all(CELLS.values())
    faults_seen = {fault for cells in CELLS.values() for _, fault in cells}
    assert faults_seen == set(faults.FAULTS)
    services = {site.split(".", 1)[0] for cells in CELLS.values() for site, _ in cells}
    assert {"dynamodb", "s3", "ses", "http"} <= services
