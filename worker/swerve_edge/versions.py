"""Version strings made comparable as plain strings, as GrowthBook's ``$v*`` operators do."""

import re

from .jsvalues import number_to_string

_STRIP = re.compile(r"(^v|\+.*$)")
_SPLIT = re.compile(r"[-.]")


_CACHE: dict[object, str] = {}
_CACHE_LIMIT = 4096


def padded_version(value: object) -> str:
    """Turn ``"v1.2.3-rc.1+build"`` into a string whose ordering is the version ordering.

    Numeric parts are left-padded so ``"9" < "10"``; a release without a pre-release tag
    gets ``"~"`` (the largest printable ASCII) so ``1.0.0 > 1.0.0-beta``.
    """
    # Many flags compare the same visitor's version: remember recent paddings (bounded).
    cached = _CACHE.get(value) if type(value) is str else None
    if cached is not None:
        return cached
    padded = _pad(value)
    if type(value) is str:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[value] = padded
    return padded


def _pad(value: object) -> str:
    if type(value) is int or type(value) is float:
        value = number_to_string(value)
    if not value or type(value) is not str:
        value = "0"
    parts = _SPLIT.split(_STRIP.sub("", value))
    if len(parts) == 3:
        parts.append("~")
    return "-".join(p.rjust(5) if p.isdigit() and p.isascii() else p for p in parts)
