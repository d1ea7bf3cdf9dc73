"""A sequel number typed inside a title the catalog names without it ("Star Trek II: The Wrath of Khan")."""
from __future__ import annotations

from services.matcher.normalize import NUMBERS


def without_sequel_number(key: str) -> tuple[str, str] | None:
    """The words up to a number followed by a subtitle, and the key without that number; None when there is none.

    "star trek two the wrath of khan" -> ("star trek two", "star trek the wrath of khan"). A number
    that starts or ends the key ("twelve monkeys", "toy story four") names the film itself.
    """
    words = key.split()
    for i in range(1, len(words) - 1):
        if words[i] in NUMBERS:
            return " ".join(words[:i + 1]), " ".join(words[:i] + words[i + 1:])
    return None
