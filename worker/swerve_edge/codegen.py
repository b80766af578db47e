"""Python source written from rule documents, with no rule content in its text.

The evaluator (``evaluator``) and condition predicates (``conditions``) are generated as
Python source and compiled once per ruleset version. What makes that safe is the one way a
value gets in: ``Source.const`` binds it (a key, a string, a number, a compiled regex, a
ready-made decision) in the namespace the code runs in, under a name made up here, and the
text refers to that name. The text itself is assembled only from the generators' fixed
fragments, made-up names and integers the generators counted themselves, so nothing a rule
says can become code. ``tests/test_codegen.py`` checks this on hostile documents.
"""

from collections.abc import Callable

# The compiled code's globals start with these names only (no builtins beyond them).
_BUILTINS = {
    "Exception": Exception,
    "any": any,
    "dict": dict,
    "float": float,
    "int": int,
    "len": len,
    "list": list,
    "str": str,
    "type": type,
}


class Unset:
    """The marker of a lazily computed local that has not been computed yet in this call."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()


class Function:
    """One generated function: its signature, setup lines (run first) and body lines."""

    __slots__ = ("body", "depth", "header", "setup")

    def __init__(self, name: str, params: tuple[str, ...]) -> None:
        self.header = f"def {name}({', '.join(params)}):"
        self.setup: list[str] = []
        self.body: list[str] = []
        self.depth = 1

    def line(self, text: str) -> None:
        """Append one statement at the current indentation."""
        self.body.append("    " * self.depth + text)

    def early(self, text: str) -> None:
        """Append one statement to the setup that runs before the body (hoisted reads, lazy slots)."""
        self.setup.append("    " + text)

    def text(self) -> str:
        """The function's source."""
        return "\n".join([self.header, *self.setup, *(self.body or ["    pass"])])


class Source:
    """A generated module: its functions and the namespace holding every value they use."""

    __slots__ = ("_count", "functions", "namespace")

    def __init__(self, helpers: dict[str, object]) -> None:
        self._count = 0
        self.functions: list[Function] = []
        self.namespace: dict[str, object] = {"__builtins__": _BUILTINS, "_UNSET": UNSET, **helpers}

    def name(self, prefix: str) -> str:
        """A fresh identifier: ``prefix`` (a fixed fragment of the generator) and a counter."""
        self._count += 1
        return f"{prefix}{self._count}"

    def const(self, value: object) -> str:
        """Bind ``value`` in the namespace under a fresh name and return that name."""
        key = self.name("_k")
        self.namespace[key] = value
        return key

    def function(self, prefix: str, params: tuple[str, ...]) -> tuple[str, Function]:
        """Start a new top-level function; the caller fills it in."""
        name = self.name(prefix)
        function = Function(name, params)
        self.functions.append(function)
        return name, function

    def text(self) -> str:
        """The whole module's source."""
        return "\n\n".join(f.text() for f in self.functions) + "\n"

    def compile(self, filename: str) -> dict[str, object]:
        """Compile and run the module; returns its namespace (the functions are in it)."""
        exec(compile(self.text(), filename, "exec"), self.namespace)  # the text holds no rule content (see above)
        return self.namespace


def compiled(source: Source, name: str, filename: str) -> Callable:
    """Compile ``source`` and return its function ``name``."""
    return source.compile(filename)[name]
