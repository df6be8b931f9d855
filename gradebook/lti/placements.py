"""Which items' grades go to an LMS: a per-process set, so that an answer to any other item
costs the passback nothing but a set lookup.

Loaded with one query and kept for ``LTI_PLACEMENT_CACHE_S`` seconds; a process that makes a
placement drops its copy at once, the others within that time. A grade change the set missed
in that window is still sent: the sweeper (``scores.scores_sweep``) looks at every grade
change since its last run.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db.models import Q

_loaded_at = float("-inf")
_items: frozenset[int] = frozenset()


def placed_item_ids() -> frozenset[int]:
    """Ids of the items whose grades some graded placement (an item or a lesson) carries."""
    global _loaded_at, _items
    now = time.monotonic()
    if now - _loaded_at > settings.LTI_PLACEMENT_CACHE_S:
        from gradebook.courses.models import Item
        from gradebook.lti.models import Placement, Target

        placed = Placement.objects.filter(target__in=[Target.ITEM, Target.LESSON])
        _items = frozenset(
            Item.objects.filter(
                Q(pk__in=placed.filter(target=Target.ITEM).values("item_id"))
                | Q(lesson_id__in=placed.filter(target=Target.LESSON).values("lesson_id"))
            ).values_list("pk", flat=True)
        )
        _loaded_at = now
    return _items


def forget() -> None:
    """Reload on next use (this process made or changed a placement)."""
    global _loaded_at
    _loaded_at = float("-inf")
