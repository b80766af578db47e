"""Strict decoding of rule files into Structs, with every error placed precisely.

msgspec stops at the first error and writes dict keys as ``[...]``. So unknown fields
are found first by walking each entry against its Struct types, every one reported at
its own line; then each flag, segment and event is decoded on its own without them, and
for a failing dict the key is found by decoding it key by key. An entry whose only
problem is unknown fields still decodes (checks of the whole set see it); one that does
not decode is named in ``broken``, so references to it do not become errors of their own.
"""

import difflib
import re
import types
import typing
from typing import Any, NamedTuple

import msgspec

from .diagnostics import Diagnostic, Path
from .schema import Event, Flag, RuleFile, Segment
from .sources import Source

_AT = re.compile(r"^(?P<msg>.*?)(?: - at (?P<key>`key` in )?`\$(?P<path>[^`]*)`)?$", re.S)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+|\.\.\.)\]")
_SECTIONS: dict[str, type] = {"flags": Flag, "segments": Segment, "events": Event}


def _parse_path(text: str) -> list[str | int]:
    parts: list[str | int] = []
    for name, index in _TOKEN.findall(text):
        if name:
            parts.append(name)
        else:
            parts.append("..." if index == "..." else int(index))
    return parts


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional to the type that holds fields or items."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _child_type(tp: Any, part: str | int) -> Any:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct) and isinstance(part, str):
        return typing.get_type_hints(tp, include_extras=True).get(part, Any)
    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if origin is dict:
        return args[1]
    if origin is list:
        return args[0]
    return Any


def _field_hint(tp: Any, message: str) -> str:
    match = re.match(r"Object contains unknown field `([^`]*)`", message)
    tp = _unwrap(tp)
    if not match or not (isinstance(tp, type) and issubclass(tp, msgspec.Struct)):
        return message
    fields = list(tp.__struct_fields__)
    close = difflib.get_close_matches(match.group(1), fields, n=1)
    hint = f"did you mean `{close[0]}`?" if close else "expected one of: " + ", ".join(fields)
    return f"unknown field `{match.group(1)}` ({hint})"


def _locate(data: Any, tp: Any, error: str) -> tuple[list[str | int], str, Any]:
    """Resolve an error to a full path (keys instead of ``[...]``), its message and the type there."""
    match = _AT.match(error)
    assert match is not None
    message = match.group("msg")
    parts = _parse_path(match.group("path") or "")
    resolved: list[str | int] = []
    current, current_type = data, tp
    for i, part in enumerate(parts):
        if part == "..." and isinstance(current, dict):
            value_type = _child_type(current_type, "...")
            for key, value in current.items():
                try:
                    msgspec.convert(value, value_type, strict=True)
                except msgspec.ValidationError as inner:
                    sub_path, sub_message, sub_type = _locate(value, value_type, str(inner))
                    return [*resolved, key, *sub_path], sub_message, sub_type
            return [*resolved, *_bad_key(current)], message, current_type
        resolved.append(part)
        current_type = _child_type(current_type, part)
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            current = current[part]
        else:
            current = None
        if i == len(parts) - 1:
            break
    if match.group("key") and isinstance(current, dict):
        key = next((k for k in current if not isinstance(k, str) or not _NAME.match(k)), None)
        if isinstance(key, bool):
            # YAML turned the written key (on/off/yes/no) into a boolean: the mapping is the place to point at.
            return resolved, _key_message(key, message), current_type
        return [*resolved, *_bad_key(current)], _key_message(key, message), current_type
    return resolved, message, current_type


def _bad_key(mapping: dict) -> list[str]:
    """The first key that is not a valid name, as a path part (empty when none is found)."""
    for key in mapping:
        if not isinstance(key, str) or not _NAME.match(key):
            return [str(key)]
    return []


def _key_message(key: object, message: str) -> str:
    if isinstance(key, bool):
        return (
            f"a key is read by YAML as the boolean {str(key).lower()} (YAML 1.1 reads on/off/yes/no as booleans): "
            'quote it, for example "on", or pick another name'
        )
    return f"invalid name {key!r}: {message}"


def _unknown_fields(data: Any, tp: Any, path: Path) -> tuple[Any, list[tuple[Path, str]]]:
    """``data`` without fields its Struct types do not have, and a finding per such field."""
    tp = _unwrap(tp)
    found: list[tuple[Path, str]] = []
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct) and isinstance(data, dict):
        fields = tp.__struct_fields__
        kept = {}
        for key, value in data.items():
            if key in fields:
                kept[key], inner = _unknown_fields(value, _child_type(tp, key), (*path, key))
                found += inner
            else:
                close = difflib.get_close_matches(str(key), list(fields), n=1)
                hint = f"did you mean `{close[0]}`?" if close else "expected one of: " + ", ".join(fields)
                found.append(((*path, key), f"unknown field `{key}` ({hint})"))
        return kept, found
    origin = typing.get_origin(tp)
    if origin is dict and isinstance(data, dict):
        kept = {}
        for key, value in data.items():
            kept[key], inner = _unknown_fields(value, typing.get_args(tp)[1], (*path, key))
            found += inner
        return kept, found
    if origin is list and isinstance(data, list):
        items = []
        for index, value in enumerate(data):
            item, inner = _unknown_fields(value, typing.get_args(tp)[0], (*path, index))
            items.append(item)
            found += inner
        return items, found
    return data, found


def _diagnose(source: Source, base: Path, data: Any, tp: Any, error: str) -> Diagnostic:
    sub_path, message, at_type = _locate(data, tp, error)
    message = _field_hint(at_type, message)
    message = message.replace("Object missing required field", "missing required field")
    if "does not match" in message and sub_path and base[:1] in (("flags",), ("segments",), ("events",)):
        message += " (names are lowercase letters, digits, '-' and '_', at most 64 characters)"
    path = (*base, *sub_path)
    return Diagnostic(file=source.file, line=source.line(path), path=path, message=message)


class Decoded(NamedTuple):
    """One file's entries by section and name, its findings, and the entries that did not decode."""

    entries: dict[str, dict[str, msgspec.Struct]]
    found: list[Diagnostic]
    broken: set[tuple[str, str]]


def decode_source(source: Source) -> Decoded:
    """Decode one file's flags, segments and events; every entry that fails gives a finding."""
    decoded: dict[str, dict[str, msgspec.Struct]] = {name: {} for name in _SECTIONS}
    found: list[Diagnostic] = []
    broken: set[tuple[str, str]] = set()
    data = source.data
    if not isinstance(data, dict):
        found.append(
            Diagnostic(file=source.file, line=1, path=(), message="expected a mapping with flags, segments, events")
        )
        return Decoded(decoded, found, broken)
    for key in data:
        if key not in _SECTIONS:
            hint = difflib.get_close_matches(str(key), list(_SECTIONS), n=1)
            extra = f"did you mean `{hint[0]}`?" if hint else "expected one of: flags, segments, events"
            found.append(
                Diagnostic(
                    file=source.file,
                    line=source.line((key,)),
                    path=(key,),
                    message=f"unknown section `{key}` ({extra})",
                )
            )
    for section, struct in _SECTIONS.items():
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            path = (section,)
            found.append(
                Diagnostic(file=source.file, line=source.line(path), path=path, message="expected a mapping of names")
            )
            continue
        for name, entry in entries.items():
            known, unknown = _unknown_fields(entry, struct, (section, name))
            for path, message in unknown:
                found.append(Diagnostic(file=source.file, line=source.line(path), path=path, message=message))
            try:
                msgspec.convert({section: {name: known}}, RuleFile, strict=True)
                decoded[section][name] = msgspec.convert(known, struct, strict=True)
            except msgspec.ValidationError as exc:
                found.append(_diagnose(source, (), {section: {name: known}}, RuleFile, str(exc)))
                broken.add((section, str(name)))
    return Decoded(decoded, found, broken)
