"""Fixtures for the graders tests: a warm grader pool shared by the tests that need sympy."""

import pytest

from graders.pool import get_pool, shutdown_pool


@pytest.fixture(scope="session")
def warm_pool():
    """Start the pool's worker once (it imports sympy: ~1.5 s) so timed tests time grading
    only. One worker is enough for tests that grade one answer at a time."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADER_POOL_SIZE", "1")
        pool = get_pool()
        pool.warm_up()
        yield pool
        shutdown_pool()
