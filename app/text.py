"""What counts as visible text, and how user-supplied text is written into log lines.

Names, emails and passwords share these rules: control characters and bidirectional
controls (which reorder what a reader sees: "‮gpj.exe") are refused, and a value must keep
something visible once white space and invisible characters are taken out.
"""

from __future__ import annotations

import unicodedata

# Embeddings, overrides, isolates and the marks that steer bidirectional display.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Separators, controls, format characters (zero-width space, joiners, ...) and marks that
# only decorate the character before them.
INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cn", "Co", "Cs",
                                  "Mn", "Me"})
# Letters and symbols that fonts draw as blank space.
BLANK_LOOKING = frozenset("\u115f\u1160\u180e\u2800\u3164\uffa0")


def is_invisible(char: str) -> bool:
    """True for a character that draws nothing on its own."""
    return char in BLANK_LOOKING or unicodedata.category(char) in INVISIBLE_CATEGORIES


def visible_part(value: str) -> str:
    """`value` without white space and invisible characters."""
    return "".join(char for char in value if not is_invisible(char))


def text_problem(value: str) -> str | None:
    """Why `value` cannot be a name or an email (a sentence), or None when it can."""
    if any(unicodedata.category(char) == "Cc" for char in value):
        return "Must not contain control characters."
    if any(char in BIDI_CONTROLS for char in value):
        return "Must not contain bidirectional control characters."
    if not visible_part(value):
        return "Must contain visible characters."
    return None


def escape_for_log(text: str) -> str:
    """Control, bidirectional and other invisible characters as escapes (\\x1b, \\u202e).

    A log line then cannot be split, recoloured or reordered by what a client sent.
    """
    return "".join(
        char if char == " " or not (is_invisible(char) or char in BIDI_CONTROLS)
        else char.encode("unicode_escape").decode("ascii")
        for char in text)
