"""``python -m graders``: see :mod:`graders.cli`."""

from graders.cli import main

raise SystemExit(main())
