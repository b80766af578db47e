"""Versioned pushes to KV, history and rollback.

KV layout: ``rulesets/<N>`` holds compiled ruleset N, written once and never changed;
``current`` is the pointer the edge follows; ``history`` lists every push and rollback.
A push writes the new version, reads it back and compares, checks that nobody moved the
pointer meanwhile, and only then moves the pointer: killed at any point before that,
the previous version keeps serving. The history is written last; if a push dies between
moving the pointer and recording it, ``history`` still shows the live version from the
pointer, which carries the same fields.
"""

import datetime
import json
from collections.abc import Callable
from typing import Protocol

import msgspec

from swerve_edge.digest import canonical_json, is_intact
from swerve_edge.loader import POINTER_KEY, ruleset_key

HISTORY_KEY = "history"


class Kv(Protocol):
    """What publishing needs from a KV transport."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str) -> None: ...


class Pointer(msgspec.Struct, kw_only=True):
    """The ``current`` pointer, and one history entry."""

    version: int
    hash: str
    parent: int | None = None
    author: str = ""
    message: str = ""
    time: str = ""
    action: str = "push"


class PublishError(Exception):
    """A refusal or failure the user can act on."""


Step = Callable[[str], None]


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def read_pointer(kv: Kv) -> Pointer | None:
    """The current pointer, or None before the first push."""
    text = kv.get(POINTER_KEY)
    if text is None:
        return None
    try:
        return msgspec.json.decode(text.strip().encode(), type=Pointer)
    except msgspec.DecodeError as exc:
        raise PublishError(f"KV key {POINTER_KEY!r} is not a Swerve pointer: {exc}") from exc


def read_history(kv: Kv) -> list[Pointer]:
    """Every recorded push and rollback, oldest first."""
    text = kv.get(HISTORY_KEY)
    if text is None:
        return []
    try:
        return msgspec.json.decode(text.strip().encode(), type=list[Pointer])
    except msgspec.DecodeError as exc:
        raise PublishError(f"KV key {HISTORY_KEY!r} is not a Swerve history: {exc}") from exc


def history_with_pointer(kv: Kv) -> tuple[list[Pointer], Pointer | None]:
    """The history, completed by the pointer when a push died before recording itself."""
    history = read_history(kv)
    pointer = read_pointer(kv)
    if pointer is not None and not any(
        e.version == pointer.version and e.time == pointer.time and e.action == pointer.action for e in history
    ):
        history.append(pointer)
    return history, pointer


def read_version(kv: Kv, version: int) -> dict:
    """A stored compiled ruleset, its content hash verified."""
    text = kv.get(ruleset_key(version))
    if text is None:
        raise PublishError(f"version {version} is not in KV")
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise PublishError(f"version {version} in KV is not JSON: {exc}") from exc
    if not is_intact(document):
        raise PublishError(f"version {version} in KV does not match its content hash")
    return document


_UNREAD = Pointer(version=-1, hash="")


def push(
    kv: Kv,
    document: dict,
    message: str,
    author: str,
    force: bool = False,
    step: Step = lambda _s: None,
    before: Pointer | None = _UNREAD,
    action: str = "push",
) -> Pointer | None:
    """Publish ``document`` as a new version; None when it is already the current one.

    ``before`` is the pointer as the caller already read it (the moved-pointer check
    compares against it); by default it is read here. ``action`` names the change in the
    history: ``push`` from rule files, or what a command did (``kill``, ``ramp``...).
    """
    if before is _UNREAD:
        step("read-pointer")
        before = read_pointer(kv)
    if before is not None and before.hash == document["hash"]:
        return None
    history = read_history(kv)
    known = [e.version for e in history] + ([before.version] if before else [])
    version = max(known, default=0) + 1
    # Versions are immutable: never overwrite one, even if the history was lost.
    while kv.get(ruleset_key(version)) is not None:
        version += 1
    data = canonical_json(document).decode("utf-8")
    step("write-ruleset")
    kv.put(ruleset_key(version), data)
    step("verify-ruleset")
    if kv.get(ruleset_key(version)) != data:
        raise PublishError(f"read-back of version {version} differs from what was written: pointer not moved")
    step("check-pointer")
    now = read_pointer(kv)
    if now != before and not force:
        moved = f"version {now.version} by {now.author or 'someone'}" if now else "nothing"
        raise PublishError(
            f"the pointer moved since this push started (now {moved}); version {version} is stored "
            "but not live: review with `swerve diff`, then push again or use --force"
        )
    pointer = Pointer(
        version=version,
        hash=document["hash"],
        parent=now.version if now else None,
        author=author,
        message=message,
        time=_now(),
        action=action,
    )
    return _go_live(kv, pointer, history, step)


def _go_live(kv: Kv, pointer: Pointer, history: list[Pointer], step: Step) -> Pointer:
    """Move ``current`` (the one write visitors see), then record it in the history."""
    step("move-pointer")
    kv.put(POINTER_KEY, msgspec.json.encode(pointer).decode())
    step("record-history")
    kv.put(HISTORY_KEY, msgspec.json.encode([*history, pointer]).decode())
    return pointer


def rollback(
    kv: Kv, author: str, target: int | None = None, message: str = "", step: Step = lambda _s: None
) -> Pointer:
    """Point ``current`` at ``target`` (default: the current version's parent)."""
    step("read-pointer")
    current = read_pointer(kv)
    if current is None:
        raise PublishError("nothing is published yet: there is nothing to roll back")
    if target is None:
        if current.parent is None:
            raise PublishError(f"version {current.version} has no parent to roll back to; name a version")
        target = current.parent
    if target == current.version:
        raise PublishError(f"version {target} is already current")
    document = read_version(kv, target)
    history = read_history(kv)
    pointer = Pointer(
        version=target,
        hash=document["hash"],
        parent=current.version,
        author=author,
        message=message or f"rollback from {current.version} to {target}",
        time=_now(),
        action="rollback",
    )
    return _go_live(kv, pointer, history, step)


def render_history(history: list[Pointer], pointer: Pointer | None) -> str:
    """One line per entry, newest first, the live one marked with ``*``."""
    if not history:
        return "no versions published yet"
    rows = []
    for entry in reversed(history):
        live = pointer is not None and entry.version == pointer.version and entry.time == pointer.time
        if entry.action == "rollback":
            what = f"rollback to v{entry.version}"
        elif entry.action == "push":
            what = f"v{entry.version}"
        else:
            what = f"v{entry.version} {entry.action}"
        short = entry.hash.removeprefix("sha256:")[:12]
        rows.append(("*" if live else " ", [what, entry.time, entry.author or "-", short], entry.message))
    # Columns as wide as their longest cell, so a long author or action never shifts the rest.
    widths = [max(len(cells[i]) for _, cells, _ in rows) for i in range(4)]
    return "\n".join(
        f"{mark} " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + f"  {message}"
        for mark, cells, message in rows
    )
