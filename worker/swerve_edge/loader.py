"""The per-isolate ruleset cache: a small pointer read every few seconds, a version read once.

KV layout (written by ``swerve push``): ``current`` holds a JSON pointer
``{"version": N, "hash": "sha256:...", ...}``; ``rulesets/<N>`` holds the compiled
document, immutable. Any failure keeps the last good ruleset; with none, the caller
passes requests through untouched. Each kind of failure is logged once until the next
successful load, not once per request.
"""

import json
from collections.abc import Awaitable, Callable

from .digest import is_intact
from .ruleset import Ruleset, RulesetError, load_ruleset

KvGet = Callable[[str], Awaitable[str | None]]
POINTER_KEY = "current"


def ruleset_key(version: int) -> str:
    """The KV key of a stored ruleset version."""
    return f"rulesets/{version}"


class RulesetCache:
    """The last good ruleset of this isolate and when to look at the pointer again."""

    __slots__ = ("log", "logged", "next_check", "ruleset", "ttl", "version")

    def __init__(self, ttl: float, log: Callable[[str], None]) -> None:
        self.ttl = ttl
        self.log = log
        self.ruleset: Ruleset | None = None
        self.version: int | None = None
        self.next_check = float("-inf")
        self.logged: set[str] = set()

    def _fail(self, kind: str, detail: str) -> Ruleset | None:
        if kind not in self.logged:
            self.logged.add(kind)
            kept = f"keeping version {self.version}" if self.ruleset is not None else "passing requests through"
            self.log(f"swerve: {kind}: {detail}; {kept}")
        return self.ruleset

    async def get(self, kv_get: KvGet, now: float) -> Ruleset | None:
        """The ruleset to use now, reading KV only when the pointer is due."""
        if now < self.next_check:
            return self.ruleset
        self.next_check = now + self.ttl
        try:
            pointer_text = await kv_get(POINTER_KEY)
        except Exception as exc:
            return self._fail("kv-error", f"reading {POINTER_KEY}: {exc!r}")
        if not pointer_text:
            return self._fail("no-pointer", f"KV has no {POINTER_KEY!r} key (push a ruleset first)")
        try:
            pointer = json.loads(pointer_text)
            version = pointer["version"]
            expected_hash = pointer["hash"]
            if type(version) is not int or type(expected_hash) is not str:
                raise ValueError("version must be an integer and hash a string")
        except (ValueError, KeyError, TypeError) as exc:
            return self._fail("bad-pointer", f"{POINTER_KEY} is not a pointer: {exc!r}")
        if version == self.version:
            return self.ruleset
        try:
            document_text = await kv_get(ruleset_key(version))
        except Exception as exc:
            return self._fail("kv-error", f"reading {ruleset_key(version)}: {exc!r}")
        if not document_text:
            return self._fail("missing-version", f"{POINTER_KEY} points to version {version}, which KV does not hold")
        try:
            document = json.loads(document_text)
            if not is_intact(document) or document["hash"] != expected_hash:
                raise RulesetError("content hash does not match the pointer")
            ruleset = load_ruleset(document)
        except (ValueError, RulesetError) as exc:
            return self._fail("corrupt-ruleset", f"version {version}: {exc}")
        self.ruleset = ruleset
        self.version = version
        self.logged.clear()
        return ruleset
