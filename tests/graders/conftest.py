"""Fixtures for the graders tests: a warm grader pool shared by the tests that need sympy."""

import pytest

from graders.pool import get_pool, shutdown_pool


@pytest.fixture(scope="session")
def warm_pool():
    """Start the pool's workers once (each imports sympy) so timed tests time grading only."""
    pool = get_pool()
    pool.warm_up()
    yield pool
    shutdown_pool()
