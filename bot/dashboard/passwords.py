"""Staff passwords, hashed with scrypt (memory-hard, in Python's standard library).

A hash reads `scrypt$N$r$p$salt$digest` (salt and digest in hex), so the cost can be raised
later without invalidating older hashes: `needs_rehash` tells the login to store a new one.
N=2^15, r=8 uses 32 MiB and about a tenth of a second per check on a small server, which makes
guessing a stolen hash slow while a login stays quick.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

N, R, P = 2**15, 8, 1
MIN_LENGTH = 10
MAX_LENGTH = 1024


class PasswordError(ValueError):
    """A password that cannot be accepted; the message says why (never repeats it)."""


def check_strength(password: str) -> None:
    """Raise PasswordError unless `password` is long enough to be worth hashing."""
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"a password has at most {MAX_LENGTH} characters")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r + 1024 * 1024, dklen=32)


def hash_password(password: str) -> str:
    """Return the stored form of `password`."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, N, R, P)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def verify_password(stored: str, password: str) -> bool:
    """Return True if `password` matches the stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or len(password) > MAX_LENGTH:
            return False
        computed = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed, bytes.fromhex(digest))


def needs_rehash(stored: str) -> bool:
    """Return True if `stored` was made with other costs than today's."""
    return not stored.startswith(f"scrypt${N}${R}${P}$")


def dummy_verify(password: str) -> None:
    """Spend the time of a check, so an unknown account name answers as slowly as a known one."""
    _scrypt(password[:MAX_LENGTH], b"0" * 16, N, R, P)
