"""The examples in graders/README.md are run as doctests, so the documentation cannot drift."""

import doctest
from pathlib import Path

import graders

README = Path(graders.__file__).with_name("README.md")


def test_the_readme_examples_run_as_written():
    globs = {name: getattr(graders, name) for name in graders.__all__}
    result = doctest.testfile(
        str(README), module_relative=False, globs=globs, optionflags=doctest.ELLIPSIS
    )
    assert result.attempted >= 8
    assert result.failed == 0


def test_the_docstring_examples_run():
    import graders.api
    import graders.params
    import graders.spec

    for mod in (graders.api, graders.params, graders.spec):
        assert doctest.testmod(mod).failed == 0, mod.__name__
