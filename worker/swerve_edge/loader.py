"""The per-isolate ruleset cache: a small pointer read every few seconds, a version read once.

KV layout (written by ``swerve push``): ``current`` holds a JSON pointer
``{"version": N, "hash": "sha256:...", ...}``; ``rulesets/<N>`` holds the compiled
document, immutable. Any failure keeps the last good ruleset; with none, the caller
passes requests through untouched. Each kind of failure is logged once until the next
successful load, not once per request.

A version is checked as it loads: a newer format than this Worker reads is refused (the
last good version stays), and what this Worker cannot apply is named once per version, in
the log: operations it drops (``operations``) and patterns it will never match
(``regex_safety``). The rest of the version applies.
"""

import json
from collections.abc import Awaitable, Callable

from .digest import is_intact
from .regex_safety import document_problems
from .ruleset import NewerFormat, Ruleset, RulesetError, load_ruleset

KvGet = Callable[[str], Awaitable[str | None]]
POINTER_KEY = "current"
# At most this many problems of one version are logged, then a count of the rest.
MAX_LOGGED_PROBLEMS = 20


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def version_problems(ruleset: Ruleset, document: dict) -> list[str]:
    """What this Worker will not apply of a loaded version, one line each."""
    found = []
    for flag in ruleset.flags:
        for variant in flag.variants.values():
            for dropped in variant.dropped:
                found.append(f"flags.{flag.key}.variants.{variant.key}.ops[{dropped.index}] dropped: {dropped.reason}")
    found.extend(f"{where} (it never matches)" for where in document_problems(document))
    return found


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
            document = json.loads(document_text, parse_constant=_refuse_constant)
            if not is_intact(document) or document["hash"] != expected_hash:
                raise RulesetError("content hash does not match the pointer")
            ruleset = load_ruleset(document)
            problems = version_problems(ruleset, document)
        except NewerFormat as exc:
            return self._fail("newer-format", f"version {version}: {exc}")
        except (ValueError, RulesetError, RecursionError) as exc:
            return self._fail("corrupt-ruleset", f"version {version}: {exc}")
        self.ruleset = ruleset
        self.version = version
        self.logged.clear()
        for line in problems[:MAX_LOGGED_PROBLEMS]:
            self.log(f"swerve: version {version}: {line}")
        if len(problems) > MAX_LOGGED_PROBLEMS:
            self.log(f"swerve: version {version}: {len(problems) - MAX_LOGGED_PROBLEMS} more problems not shown")
        return ruleset
