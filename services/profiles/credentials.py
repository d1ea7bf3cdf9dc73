"""Usernames, passwords (argon2id) and session tokens: validation, hashing, and nothing stored in the clear."""
from __future__ import annotations

import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

USERNAME_CHARS = (3, 32)
PASSWORD_CHARS = (8, 128)  # the upper bound keeps one hash cheap to refuse, not a security limit
MAX_TOKEN_CHARS = 128
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

# argon2-cffi's defaults are RFC 9106's second recommended argon2id setting (t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def username(value: str) -> str:
    """The canonical (lower-case) username; ValueError says what is wrong."""
    name = value.strip().lower()
    lo, hi = USERNAME_CHARS
    if not lo <= len(name) <= hi:
        raise ValueError(f"username must be {lo}..{hi} characters, got {len(name)}")
    if not _USERNAME.match(name):
        raise ValueError("username may hold only a-z, 0-9, '.', '_', '-' and must start with a letter or digit")
    return name


def check_password(value: str, what: str = "password") -> str:
    """A password to store, unchanged if its length is allowed; ValueError naming `what` otherwise."""
    lo, hi = PASSWORD_CHARS
    if not lo <= len(value) <= hi:
        raise ValueError(f"{what} must be {lo}..{hi} characters, got {len(value)}")
    return value


def check_given_password(value: str, what: str = "password") -> str:
    """A password to verify against a hash, unchanged unless it is longer than any stored one can be
    (refused before the hashing work); ValueError naming `what` then."""
    if len(value) > PASSWORD_CHARS[1]:
        raise ValueError(f"{what} must be at most {PASSWORD_CHARS[1]} characters")
    return value


def hash_password(password: str) -> str:
    """An argon2id PHC string (salted); CPU- and memory-hard, so call it off the event loop."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; with stored_hash None (no such user) it spends the same effort, then False."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)


def new_token() -> str:
    """An opaque session token: 256 random bits, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str | None:
    """The sha256 hex digest stored for a token; None for a value no token can have (empty or too long)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    return hashlib.sha256(token.encode()).hexdigest()
