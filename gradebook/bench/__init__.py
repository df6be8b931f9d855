"""Benchmarks of the Django side, in their own app, installed only when asked for (``BENCH=1``).

- ``python -m gradebook.bench.regrade``: a regrade of N stored answers, preview and apply,
  and the XP caught up after it;
- ``python -m gradebook.bench.bank_import``: a 10,000-item bank's import;
- ``python -m gradebook.bench.generation``: generation throughput and the queue's overhead;
- ``gradebook.bench.load``: the Django-side half of ``scripts/load_submit.py`` and
  ``scripts/load_students.py`` (seeding students, in-process cost per request, a profile);
- the bare one-row endpoint ``POST /api/bench/bare/`` and its ``BenchmarkRow`` table, which
  ``scripts/load_submit.py`` compares the submit endpoint with.

None of it is in the production schema or URLconf: ``gradebook.bench`` is in
``INSTALLED_APPS`` only with ``BENCH=1`` (refused with ``PRODUCTION=1``). The runners above
set up their own throwaway database and need no installed app. The grading library's own
benchmark stays with it: ``python -m graders bench``.
"""
