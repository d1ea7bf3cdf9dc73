"""A sequel number typed inside a title the catalog names without it ("Star Trek II: The Wrath of Khan")."""
from __future__ import annotations

import re

from services.matcher.normalize import NUMBER_WORDS

# A number word (keys spell numbers so) with a word before it and one after it.
_INNER_NUMBER = re.compile(rf"(?<=\S) ({'|'.join(NUMBER_WORDS)})(?= \S)")


def without_sequel_number(key: str) -> tuple[str, str] | None:
    """The words up to a number followed by a subtitle, and the key without that number; None when there is none.

    "star trek two the wrath of khan" -> ("star trek two", "star trek the wrath of khan"). A number
    that starts or ends the key ("twelve monkeys", "toy story four") names the film itself.
    """
    m = _INNER_NUMBER.search(key)
    if m is None:
        return None
    return key[:m.end()], key[:m.start()] + key[m.end():]
