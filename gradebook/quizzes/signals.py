"""Signals of the quizzes app, so that other apps can follow grades without quizzes knowing them.

``grades_changed`` is sent inside the transaction that changed the grades, with ``pairs``: the
``(student id, item id)`` pairs whose effective grade may have changed. The places that change
a grade send it, and only they: ``Attempt.change_score`` (a teacher's review or override),
``Attempt.change_scores_in_bulk``, an applied regrade (``grades.services.regrade_apply``,
set-wise in SQL) and the INSERT of a new attempt in ``quizzes.services``. A receiver that
acts after the commit registers a ``transaction.on_commit`` callback; the LTI score passback
(``gradebook.lti.receivers``) does. A receiver runs on the answer hot path: it must cost
microseconds when it has nothing to do.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

grades_changed = Signal(use_caching=True)


def announce(sender: type, pairs: Iterable[tuple[int, int]]) -> None:
    """Send ``grades_changed`` for ``pairs`` (a no-op when nothing listens)."""
    grades_changed.send(sender=sender, pairs=list(pairs))
