"""Passwords of a workspace's built-in accounts (DESIGN.md section 10): hashed with Argon2id (argon2-cffi's
PasswordHasher, its maintained defaults), never stored, logged or shown in clear.

The workspace keeps only the hash; the audit log keeps only a fingerprint of the hash (SHA-256 of the hash text:
enough to prove the users table was not edited behind the tool's back, of no use for guessing the password).
"""
from __future__ import annotations

import hashlib
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .exceptions import InputError
from .panel import MIN_PASSWORD_LENGTH

_HASHER = PasswordHasher()
# verified against when the user name is unknown, so a wrong name takes as long as a wrong password
_DUMMY = _HASHER.hash("not a password of anyone: timing only")


def check_password_rule(password) -> str:
    """The password as given, or InputError saying what the rule is (never echoing the password)."""
    if not isinstance(password, str) or not password:
        raise InputError("a password is required", field="password")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"is too short: a password needs at least {MIN_PASSWORD_LENGTH} characters (a passphrase of "
                         "several words is easiest to remember)", field="password", value=f"{len(password)} characters")
    if password != password.strip():
        raise InputError("starts or ends with a space: take it out (it is easy to mistype)", field="password",
                         value=f"{len(password)} characters")
    return password


def hash_password(password: str) -> str:
    """The Argon2id hash of a password that keeps the rule (check_password_rule)."""
    return _HASHER.hash(check_password_rule(password))


def verify_password(stored: Optional[str], password) -> bool:
    """Whether `password` matches the stored hash; with no hash (unknown user, or an OpenID Connect only
    account) a dummy hash is verified anyway, so the time taken does not tell which names exist."""
    if not isinstance(password, str):
        password = ""
    try:
        if not stored:
            _HASHER.verify(_DUMMY, password + "\x00never")
            return False
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def fingerprint(stored: Optional[str]) -> Optional[str]:
    """What the audit log keeps of a hash: its SHA-256 (None for an account without a password)."""
    return None if not stored else hashlib.sha256(stored.encode("utf-8")).hexdigest()
