"""Reading YAML rule files with the line of every key, and catching duplicate keys.

PyYAML silently keeps the last of two equal keys; for rule files that hides mistakes,
so the node tree is walked first and duplicates become findings.

A rule file may come from anywhere (a pull request, a generator), so reading it is bounded
before anything recursive or expanding runs: the event stream (which PyYAML produces
without recursion) is scanned first for nesting deeper than ``MAX_DEPTH`` and for aliases
that would expand the document past ``MAX_VALUES`` values (an "alias bomb"). Every problem
is one finding with its line, including bytes that are not UTF-8 and characters YAML
forbids, and values JSON cannot hold (``.inf``, ``.nan``, lone surrogates), which the
compiled ruleset could not carry.
"""

import math
from pathlib import Path as FsPath

import msgspec
import yaml

from .diagnostics import Diagnostic, Path

MAX_DEPTH = 50
MAX_VALUES = 200_000


class Source(msgspec.Struct, kw_only=True):
    """One rule file: its decoded data and where each path starts."""

    file: str
    data: object
    lines: dict[Path, int]

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int], file: str, found: list[Diagnostic]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            line = key_node.start_mark.line + 1
            if key in seen:
                found.append(
                    Diagnostic(
                        file=file,
                        line=line,
                        path=(*path, key),
                        message=f"duplicate key {key!r} (first defined on line {seen[key]})",
                    )
                )
                continue
            seen[key] = line
            lines[(*path, key)] = line
            _walk(value_node, (*path, key), lines, file, found)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, file, found)


def _bounds_problem(text: str) -> tuple[int, str] | None:
    """(line, message) when the document nests too deeply or its aliases expand it too far.

    Counts as it scans: each open collection's expanded size and the collection levels
    below it, so that an alias adds what its anchor stands for, where it is used.
    """
    # Per open collection: its anchor, its expanded size, the most collection levels under it.
    open_: list[list] = [[None, 0, 0]]
    anchors: dict[str, tuple[int, int]] = {}
    total = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1
        size, levels = 0, 0
        if isinstance(event, yaml.CollectionStartEvent):
            if len(open_) > MAX_DEPTH:
                return line, f"nested deeper than {MAX_DEPTH} levels: flatten it (rule files need far fewer)"
            open_.append([event.anchor, 1, 0])
            total += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, size, below = open_.pop()
            levels = below + 1
            if anchor is not None:
                anchors[anchor] = (size, levels)
        elif isinstance(event, yaml.ScalarEvent):
            size = 1
            total += 1
            if event.anchor is not None:
                anchors[event.anchor] = (1, 0)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                return line, f"alias *{event.anchor} refers to an anchor not defined before it, or to itself"
            size, levels = anchors[event.anchor]
            if len(open_) - 1 + levels > MAX_DEPTH:
                return line, f"alias *{event.anchor} nests the document deeper than {MAX_DEPTH} levels"
            total += size
        if size:
            open_[-1][1] += size
            open_[-1][2] = max(open_[-1][2], levels)
        if total > MAX_VALUES:
            return line, f"aliases expand the document to more than {MAX_VALUES:,} values: write it out without them"
    return None


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _yaml_problem(text: str, exc: yaml.YAMLError) -> tuple[int | None, str]:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        code = ord(exc.character) if isinstance(exc.character, str) else exc.character
        return line, f"character U+{code:04X} is not allowed in YAML: remove it"
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    return line, "invalid YAML: " + _one_line(getattr(exc, "problem", None) or exc)


def _json_problems(value: object, path: Path, source: "Source", found: list[Diagnostic]) -> None:
    """Values a compiled ruleset (JSON) cannot hold, each a finding at its line."""
    problem = None
    if type(value) is float and not math.isfinite(value):
        written = ".nan" if value != value else ("-.inf" if value < 0 else ".inf")
        problem = f"`{written}` is not a number JSON can hold: give a finite number"
    elif type(value) is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            problem = "this text holds a lone surrogate (an unpaired \\ud800-\\udfff escape), which is not Unicode text"
    elif type(value) is dict:
        for key, item in value.items():
            _json_problems(key, (*path, str(key)), source, found)
            _json_problems(item, (*path, key if type(key) is str else str(key)), source, found)
    elif type(value) is list:
        for index, item in enumerate(value):
            _json_problems(item, (*path, index), source, found)
    if problem:
        found.append(Diagnostic(file=source.file, line=source.line(path), path=path, message=problem))


def read_source(path: FsPath, display: str | None = None) -> tuple[Source | None, list[Diagnostic]]:
    """Parse one YAML file; on a problem that stops reading, return None and a finding with its line."""
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Diagnostic(file=name, line=None, path=(), message=f"cannot read: {_one_line(exc)}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = f"byte 0x{raw[exc.start]:02x} is not UTF-8 text: save the file as UTF-8"
        return None, [Diagnostic(file=name, line=line, path=(), message=message)]
    found: list[Diagnostic] = []
    try:
        bounded = _bounds_problem(text)
        if bounded:
            return None, [Diagnostic(file=name, line=bounded[0], path=(), message=bounded[1])]
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        line, message = _yaml_problem(text, exc)
        return None, [Diagnostic(file=name, line=line, path=(), message=message)]
    lines: dict[Path, int] = {}
    if node is not None:
        _walk(node, (), lines, name, found)
    source = Source(file=name, data=data if data is not None else {}, lines=lines)
    _json_problems(source.data, (), source, found)
    return source, found


def rule_files(paths: list[str]) -> list[FsPath]:
    """Expand files and directories into the sorted list of ``.yaml``/``.yml`` files."""
    files: list[FsPath] = []
    for given in paths:
        p = FsPath(given)
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file()))
        else:
            files.append(p)
    return files
