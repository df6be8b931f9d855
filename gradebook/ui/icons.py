"""Icons as inline SVG (24×24, drawn with strokes), so they show without an emoji font.

Debian's Chromium has no colour-emoji font: every emoji icon was an empty box there. These are
plain paths in ``currentColor``; a label makes the icon an image with a text alternative,
no label hides it from screen readers (the text beside it says the same).
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

PATHS: dict[str, str] = {
    "check": '<path d="M5 12.5l4.5 4.5L19 7.5"/>',
    "check-circle": '<circle cx="12" cy="12" r="9"/><path d="M8 12.5l3 3 5-6"/>',
    "x": '<path d="M6 6l12 12M18 6L6 18"/>',
    "x-circle": '<circle cx="12" cy="12" r="9"/><path d="M9 9l6 6M15 9l-6 6"/>',
    "clock": '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
    "partial": '<circle cx="12" cy="12" r="9"/>'
    '<path d="M12 3a9 9 0 0 1 0 18z" fill="currentColor"/>',
    "alert": '<circle cx="12" cy="12" r="9"/><path d="M12 7.5v5.5M12 16.5v.01"/>',
    "flag": '<path d="M5 21V4M5 4h11l-2 4 2 4H5"/>',
    "target": '<circle cx="12" cy="12" r="9"/><circle cx="12" cy="12" r="5"/>'
    '<circle cx="12" cy="12" r="1.2" fill="currentColor"/>',
    "ten": '<rect x="3" y="5" width="18" height="14" rx="3"/><path d="M8 9v6M11.5 9.5h0"/>'
    '<ellipse cx="14.5" cy="12" rx="2" ry="3"/>',
    "medal": '<circle cx="12" cy="15" r="5.5"/><path d="M8.8 10.6L6 3h4l2 5 2-5h4l-2.8 7.6"/>',
    "rotate": '<path d="M4.5 12a7.5 7.5 0 1 0 2.2-5.3"/><path d="M4.5 4v4.5H9"/>',
    "mountain": '<path d="M3 20l6-11 4 6 3-4 5 9z"/>',
    "sigma": '<path d="M18 5H6l6 7-6 7h12"/>',
    "grid": '<rect x="4" y="4" width="7" height="7" rx="1"/><rect x="13" y="4" width="7" '
    'height="7" rx="1"/><rect x="4" y="13" width="7" height="7" rx="1"/><rect x="13" y="13" '
    'width="7" height="7" rx="1"/>',
    "book": '<path d="M5 4.5A1.5 1.5 0 0 1 6.5 3H19v15H6.5A1.5 1.5 0 0 0 5 19.5z"/>'
    '<path d="M5 19.5A1.5 1.5 0 0 0 6.5 21H19v-3"/>',
    "sparkles": '<path d="M11 3l1.8 4.7L17.5 9.5l-4.7 1.8L11 16l-1.8-4.7L4.5 9.5l4.7-1.8z"/>'
    '<path d="M18 14.5l.9 2.1 2.1.9-2.1.9-.9 2.1-.9-2.1-2.1-.9 2.1-.9z"/>',
    "books": '<rect x="3.5" y="4" width="4.5" height="16" rx="1"/><rect x="9.5" y="4" '
    'width="4.5" height="16" rx="1"/><path d="M15.6 5.2l3.6-1 3 14.6-3.6 1z"/>',
    "cap": '<path d="M2 9.5l10-5 10 5-10 5z"/><path d="M6 11.5v4.5c3.3 2.6 8.7 2.6 12 0v-4.5"/>'
    '<path d="M22 9.5v5.5"/>',
    "flame": '<path d="M12 21.5c-4.1 0-7-2.7-7-6.4 0-3 1.9-5 3.5-6.6.3 2 1.4 3.1 2.6 3.1 '
    '0-3.1 1.1-6.2 4.1-8.6 0 3.6 4.8 5.6 4.8 11.7 0 4-2.9 6.8-8 6.8z"/>',
    "calendar": '<rect x="3" y="5" width="18" height="16" rx="2"/>'
    '<path d="M3 10h18M8 3v4M16 3v4"/>',
    "star": '<path d="M12 3l2.8 5.8 6.2.9-4.5 4.4 1 6.3L12 17.5l-5.5 2.9 1-6.3L3 9.7l6.2-.9z"/>',
    "crown": '<path d="M3 8l4.5 4L12 5l4.5 7L21 8l-2 11H5z"/>',
    "message": '<path d="M4 5h16v11H9l-5 4z"/><path d="M8 9h8M8 12h5"/>',
    "image": '<rect x="3" y="4" width="18" height="16" rx="2"/><circle cx="9" cy="10" r="2"/>'
    '<path d="M21 16l-5-5-9 9"/>',
    "bolt": '<path d="M13 2L4.5 14H11l-1 8 8.5-12H12z"/>',
    "level-up": '<circle cx="12" cy="12" r="9"/><path d="M12 16.5v-9M8 11.5l4-4 4 4"/>',
    "bell": '<path d="M6 16v-5a6 6 0 0 1 12 0v5l2 2H4z"/><path d="M10 21h4"/>',
    "lock": '<rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V8a4 4 0 0 1 8 0v3"/>',
    "pencil": '<path d="M4 20l4-1 11-11-3-3L5 16z"/><path d="M14 6l3 3"/>',
    "users": '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20a6.5 6.5 0 0 1 13 0"/>'
    '<path d="M16 4.5a3.5 3.5 0 0 1 0 7M18 14.5a6.5 6.5 0 0 1 3.5 5.5"/>',
}

#: Each achievement's icon, by its code (``progress.achievements.CATALOGUE``).
ACHIEVEMENT_ICONS: dict[str, str] = {
    "first-answer": "flag",
    "first-correct": "check-circle",
    "bullseye": "target",
    "ten-correct": "ten",
    "fifty-correct": "medal",
    "comeback": "rotate",
    "persistent": "mountain",
    "exact-thinker": "sigma",
    "all-parts": "grid",
    "lesson-done": "book",
    "clean-sweep": "sparkles",
    "five-lessons": "books",
    "course-complete": "cap",
    "streak-3": "flame",
    "streak-7": "calendar",
    "xp-500": "star",
    "xp-2000": "crown",
    "reviewed": "message",
    "maker": "image",
}


def svg_icon(name: str, label: str = "", *, extra_class: str = "") -> SafeString:
    """The icon ``name`` as inline SVG; with ``label``, an image with that text alternative."""
    body = mark_safe(PATHS.get(name, PATHS["star"]))  # noqa: S308 - constant markup above
    classes = f"icon icon-{name}" + (f" {extra_class}" if extra_class else "")
    if label:
        return format_html(
            '<svg class="{}" viewBox="0 0 24 24" role="img" aria-label="{}" focusable="false">'
            "<title>{}</title>{}</svg>",
            classes,
            label,
            label,
            body,
        )
    return format_html(
        '<svg class="{}" viewBox="0 0 24 24" aria-hidden="true" focusable="false">{}</svg>',
        classes,
        body,
    )


def achievement_icon_name(code: str) -> str:
    return ACHIEVEMENT_ICONS.get(code, "star")
