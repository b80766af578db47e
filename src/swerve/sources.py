"""Reading YAML rule files with the line of every key, and catching duplicate keys.

PyYAML silently keeps the last of two equal keys; for rule files that hides mistakes,
so the node tree is walked first and duplicates become findings.
"""

from pathlib import Path as FsPath

import msgspec
import yaml

from .diagnostics import Diagnostic, Path


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


def read_source(path: FsPath, display: str | None = None) -> tuple[Source | None, list[Diagnostic]]:
    """Parse one YAML file; on a syntax error return None and a finding with its line."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Diagnostic(file=name, line=None, path=(), message=f"cannot read: {exc}")]
    found: list[Diagnostic] = []
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [Diagnostic(file=name, line=line, path=(), message=f"invalid YAML: {problem}")]
    lines: dict[Path, int] = {}
    if node is not None:
        _walk(node, (), lines, name, found)
    return Source(file=name, data=data if data is not None else {}, lines=lines), found


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
