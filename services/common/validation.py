"""Request checks shared by the gRPC servicers; each raises ValueError with a message a person can act on."""
from __future__ import annotations


def count_or_default(value: int, name: str, maximum: int, default: int) -> int:
    """A requested count in 1..maximum, where 0 (proto3's unset) means `default`."""
    if not 0 <= value <= maximum:
        raise ValueError(f"{name} must be between 0 and {maximum} (0 means {default}), got {value}")
    return value or default


def non_blank_text(value: str, name: str, max_chars: int, blank_hint: str) -> str:
    """value stripped; refused when blank (the message ends with blank_hint) or over max_chars."""
    text = value.strip()
    if not text:
        raise ValueError(f"{name} is empty; {blank_hint}")
    if len(text) > max_chars:
        raise ValueError(f"{name} has {len(text)} characters, at most {max_chars} are allowed")
    return text
