"""Levels: names and XP thresholds, and where a given XP total stands among them.

The seed pages show a newcomer as "Level 0 Spark" with "0/200 XP to next level": level 0
starts at 0 XP and level 1 at 200. Thresholds then grow so that later levels take longer.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

#: (threshold XP, name); the index is the level number.
LEVELS: tuple[tuple[int, object], ...] = (
    (0, _("Spark")),
    (200, _("Ember")),
    (500, _("Kindle")),
    (900, _("Flame")),
    (1400, _("Blaze")),
    (2000, _("Torch")),
    (2700, _("Beacon")),
    (3500, _("Lantern")),
    (4500, _("Star")),
    (6000, _("Nova")),
    (8000, _("Supernova")),
)


@dataclass(frozen=True)
class LevelStatus:
    number: int
    name: str
    xp: int
    floor: int  # XP at which this level began
    next_threshold: int | None  # None at the top level

    @property
    def xp_into_level(self) -> int:
        return self.xp - self.floor

    @property
    def xp_for_level(self) -> int:
        """The XP span of this level (0 at the top)."""
        return 0 if self.next_threshold is None else self.next_threshold - self.floor

    @property
    def xp_to_go(self) -> int:
        return 0 if self.next_threshold is None else self.next_threshold - self.xp

    @property
    def percent(self) -> int:
        span = self.xp_for_level
        return 100 if span == 0 else int(100 * self.xp_into_level / span)

    def to_dict(self) -> dict[str, object]:
        return {
            "number": self.number,
            "name": self.name,
            "xp": self.xp,
            "floor": self.floor,
            "next_threshold": self.next_threshold,
            "xp_to_go": self.xp_to_go,
            "percent": self.percent,
        }


def level_for(xp: int) -> LevelStatus:
    """The level a total of ``xp`` reaches.

    >>> level_for(0).name, level_for(0).next_threshold
    ('Spark', 200)
    """
    xp = max(int(xp), 0)
    number = 0
    for index, (threshold, _name) in enumerate(LEVELS):
        if xp >= threshold:
            number = index
    floor, name = LEVELS[number]
    nxt = LEVELS[number + 1][0] if number + 1 < len(LEVELS) else None
    return LevelStatus(number=number, name=str(name), xp=xp, floor=floor, next_threshold=nxt)
