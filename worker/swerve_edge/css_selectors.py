"""Which CSS selectors the Workers runtime's HTMLRewriter accepts, decided in plain Python.

HTMLRewriter is lol-html, which parses selectors with Servo's ``selectors`` crate (on
``cssparser``) and then refuses what a streaming rewriter cannot match. ``rewriter.on()``
throws for a selector it refuses, so ``swerve validate`` and the edge's loader both ask
``selector_problem`` first: one implementation, checked against the real runtime over a
corpus of selectors (``tests/test_selector_corpus.py``).

Accepted: type selectors (``|h1`` and ``*|h1`` too), ``*``, ``#id``, ``.class``,
``[attr]``, ``[attr=v]`` with ``=``, ``~=``, ``|=``, ``^=``, ``$=``, ``*=`` and an optional
``i``/``s`` flag, ``:first-child``, ``:first-of-type``, ``:nth-child(an+b)``,
``:nth-of-type(an+b)``, ``:not()`` of one simple selector, the descendant and child
combinators, and comma lists. Refused, as lol-html refuses them: namespace prefixes
(``ns|h1``, ``[ns|href]``), an id or class that is not a CSS identifier (``#123``), an
attribute name with ASCII capitals next to an operator (``[dataX=1]``), sibling
combinators, every other pseudo-class and pseudo-element. Swerve is stricter in one way:
an unclosed string, bracket or parenthesis, which cssparser closes at the end of input,
is refused as the typo it almost always is.
"""

from typing import NamedTuple

_WHITESPACE = " \t\n"
_MATCH_OPERATORS = {"~=", "|=", "^=", "$=", "*="}
_PSEUDO_CLASSES = {"first-child", "first-of-type"}
_NTH_FUNCTIONS = {"nth-child", "nth-of-type"}
_KNOWN_PSEUDO_CLASSES = {
    "last-child",
    "only-child",
    "last-of-type",
    "only-of-type",
    "root",
    "empty",
    "scope",
    "hover",
    "active",
    "focus",
    "visited",
    "link",
    "checked",
    "disabled",
    "enabled",
}
_PSEUDO_ELEMENTS = {"before", "after", "first-line", "first-letter"}


class SelectorError(ValueError):
    """A selector HTMLRewriter refuses; the message says why and what to write instead."""


class _Token(NamedTuple):
    kind: str  # ws ident function hash string number dimension delim match colon comma [ ] ( ) other
    value: str = ""
    # hash: whether it is an identifier ("id" type); number/dimension: signed and integer
    flag: bool = False
    integer: bool = False
    closed: bool = True


def _is_name_start(ch: str) -> bool:
    return (ch.isascii() and (ch.isalpha() or ch == "_")) or (not ch.isascii() and ch != "")


def _is_name(ch: str) -> bool:
    return _is_name_start(ch) or (ch.isascii() and (ch.isdigit() or ch == "-") and ch != "")


def _is_hex(ch: str) -> bool:
    return ch != "" and ch in "0123456789abcdefABCDEF"


class _Tokenizer:
    """CSS Syntax Level 3 tokenization of the parts a selector can hold (cssparser's rules)."""

    def __init__(self, text: str) -> None:
        # Preprocessing: newlines are normalised, NUL becomes U+FFFD.
        self.text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\0", "\ufffd")
        self.pos = 0

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def valid_escape(self, offset: int = 0) -> bool:
        return self.peek(offset) == "\\" and self.peek(offset + 1) != "\n"

    def starts_identifier(self, offset: int = 0) -> bool:
        first = self.peek(offset)
        if first == "-":
            second = self.peek(offset + 1)
            return _is_name_start(second) or second == "-" or self.valid_escape(offset + 1)
        return _is_name_start(first) or self.valid_escape(offset)

    def starts_number(self, offset: int = 0) -> bool:
        first = self.peek(offset)
        if first in "+-" and first:
            second = self.peek(offset + 1)
            return second.isdigit() or (second == "." and self.peek(offset + 2).isdigit())
        if first == ".":
            return self.peek(offset + 1).isdigit()
        return first.isdigit()

    def escape(self) -> str:
        self.pos += 1  # the backslash
        ch = self.peek()
        if ch == "":
            return "\ufffd"
        if _is_hex(ch):
            digits = ""
            while len(digits) < 6 and _is_hex(self.peek()):
                digits += self.peek()
                self.pos += 1
            if self.peek() in _WHITESPACE and self.peek():
                self.pos += 1
            code = int(digits, 16)
            return "\ufffd" if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else chr(code)
        self.pos += 1
        return ch

    def name(self) -> str:
        out = ""
        while True:
            ch = self.peek()
            if _is_name(ch):
                out += ch
                self.pos += 1
            elif self.valid_escape():
                out += self.escape()
            else:
                return out

    def number(self) -> tuple[bool, bool]:
        signed = self.peek() in "+-" and self.peek() != ""
        if signed:
            self.pos += 1
        integer = True
        while self.peek().isdigit():
            self.pos += 1
        if self.peek() == "." and self.peek(1).isdigit():
            integer = False
            self.pos += 1
            while self.peek().isdigit():
                self.pos += 1
        if (
            self.peek() in "eE"
            and self.peek()
            and (self.peek(1).isdigit() or (self.peek(1) in "+-" and self.peek(1) and self.peek(2).isdigit()))
        ):
            integer = False
            self.pos += 2
            while self.peek().isdigit():
                self.pos += 1
        return signed, integer

    def string(self, quote: str) -> _Token:
        self.pos += 1
        out = ""
        while True:
            ch = self.peek()
            if ch == "":
                return _Token("string", out, closed=False)
            if ch == quote:
                self.pos += 1
                return _Token("string", out)
            if ch == "\n":
                return _Token("other", "bad string")
            if ch == "\\":
                if self.peek(1) == "":
                    self.pos += 1
                elif self.peek(1) == "\n":
                    self.pos += 2
                else:
                    out += self.escape()
                continue
            out += ch
            self.pos += 1

    def tokens(self) -> list[_Token]:
        out: list[_Token] = []
        while self.pos < len(self.text):
            token = self.next_token()
            if token is not None:
                out.append(token)
        return out

    def next_token(self) -> _Token | None:
        ch = self.peek()
        if ch in _WHITESPACE:
            while self.peek() in _WHITESPACE and self.peek():
                self.pos += 1
            return _Token("ws")
        if ch == "/" and self.peek(1) == "*":
            end = self.text.find("*/", self.pos + 2)
            self.pos = len(self.text) if end < 0 else end + 2
            return None
        if ch in "\"'":
            return self.string(ch)
        if ch == "#":
            if _is_name(self.peek(1)) or self.valid_escape(1):
                is_id = self.starts_identifier(1)
                self.pos += 1
                return _Token("hash", self.name(), flag=is_id)
            self.pos += 1
            return _Token("delim", "#")
        if self.starts_number():
            signed, integer = self.number()
            if self.starts_identifier():
                return _Token("dimension", self.name(), flag=signed, integer=integer)
            if self.peek() == "%":
                self.pos += 1
                return _Token("other", "%")
            return _Token("number", flag=signed, integer=integer)
        if self.starts_identifier():
            value = self.name()
            if self.peek() == "(":
                self.pos += 1
                return _Token("function", value)
            return _Token("ident", value)
        if ch in "~|^$*" and self.peek(1) == "=":
            self.pos += 2
            return _Token("match", ch + "=")
        if ch == "<" and self.text.startswith("<!--", self.pos):
            self.pos += 4
            return _Token("other", "<!--")
        if ch == "-" and self.text.startswith("-->", self.pos):
            self.pos += 3
            return _Token("other", "-->")
        self.pos += 1
        if ch in ":,[]()":
            return _Token({":": "colon", ",": "comma"}.get(ch, ch))
        if ch in "{};@\\" or ch == "":
            return _Token("other", ch)
        return _Token("delim", ch)


class _Parser:
    """The grammar of selectors 0.22 as lol-html restricts it; raises SelectorError."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> _Token | None:
        token = self.peek()
        self.pos += 1
        return token

    def skip_ws(self) -> bool:
        seen = False
        while (token := self.peek()) is not None and token.kind == "ws":
            self.pos += 1
            seen = True
        return seen

    def is_delim(self, token: _Token | None, char: str) -> bool:
        return token is not None and token.kind == "delim" and token.value == char

    def selector_list(self) -> None:
        while True:
            self.complex()
            token = self.take()
            if token is None:
                return
            # complex() stops only at a comma or the end.
            self.skip_ws()

    def complex(self) -> None:
        self.skip_ws()
        token = self.peek()
        if token is None or token.kind == "comma":
            raise SelectorError("empty selector (a comma with nothing before or after it?)")
        self.compound(empty_message="expected a selector")
        while True:
            spaced = self.skip_ws()
            token = self.peek()
            if token is None or token.kind == "comma":
                return
            if self.is_delim(token, ">"):
                self.pos += 1
                self.skip_ws()
            elif self.is_delim(token, "+") or self.is_delim(token, "~"):
                raise SelectorError(
                    f"the `{token.value}` sibling combinator is not supported by HTMLRewriter (use descendant or `>`)"
                )
            elif not spaced:
                raise SelectorError(f"unexpected {_describe(token)}")
            following = self.peek()
            if following is None or following.kind == "comma" or self.is_delim(following, ">"):
                raise SelectorError("a combinator needs a selector after it")
            self.compound(empty_message=f"unexpected {_describe(following)}")

    def compound(self, empty_message: str) -> None:
        empty = not self.type_selector()
        while self.subclass():
            empty = False
        if empty:
            raise SelectorError(empty_message)

    def type_selector(self) -> bool:
        """``h1``, ``*``, ``|h1``, ``*|h1`` (no other namespace prefix); False when absent."""
        token = self.peek()
        if token is None:
            return False
        if token.kind == "ident" or self.is_delim(token, "*"):
            self.pos += 1
            if self.is_delim(self.peek(), "|"):
                if token.kind == "ident":
                    raise SelectorError(f"namespace prefixes (`{token.value}|`) are not supported by HTMLRewriter")
                self.pos += 1
                self.local_name()
            return True
        if self.is_delim(token, "|"):
            self.pos += 1
            self.local_name()
            return True
        return False

    def local_name(self) -> None:
        token = self.take()
        if token is None or not (token.kind == "ident" or self.is_delim(token, "*")):
            raise SelectorError("expected an element name or `*` after `|`")

    def subclass(self, inside_not: bool = False) -> bool:
        token = self.peek()
        if token is None:
            return False
        if token.kind == "hash":
            if not token.flag:
                raise SelectorError(
                    f"`#{token.value}` is not a CSS identifier: an id selector starts with a letter, `_`, `-` "
                    f'and a letter, or an escape (write `[id="{token.value}"]`)'
                )
            self.pos += 1
            return True
        if self.is_delim(token, "."):
            self.pos += 1
            name = self.peek()
            if name is None or name.kind != "ident":
                raise SelectorError(
                    "`.` must be followed by a class name that is a CSS identifier (for others, "
                    'write `[class~="name"]`)'
                )
            self.pos += 1
            return True
        if token.kind == "[":
            self.pos += 1
            self.attribute()
            return True
        if token.kind == "colon":
            self.pos += 1
            self.pseudo(inside_not)
            return True
        return False

    def block(self, closer: str, what: str) -> list[_Token]:
        """The tokens up to the matching ``closer``, consumed; nested blocks stay inside."""
        depth = 0
        start = self.pos
        while (token := self.take()) is not None:
            if token.kind in ("[", "(", "function"):
                depth += 1
            elif token.kind in ("]", ")"):
                if depth == 0:
                    if token.kind != closer:
                        raise SelectorError(f"unbalanced `{token.kind}` in {what}")
                    return self.tokens[start : self.pos - 1]
                depth -= 1
        raise SelectorError(f"{what} is not closed with `{closer}`")

    def attribute(self) -> None:
        inner = _Parser(self.block("]", "attribute selector"))
        inner.skip_ws()
        token = inner.take()
        if token is not None and inner.is_delim(token, "|"):
            token = inner.take()  # [|name]: the name in no namespace
        elif (
            token is not None
            and (token.kind == "ident" or inner.is_delim(token, "*"))
            and inner.is_delim(inner.peek(), "|")
        ):
            raise SelectorError("namespaced attribute selectors (`[ns|attr]`) are not supported by HTMLRewriter")
        if token is None or token.kind != "ident":
            raise SelectorError("an attribute selector needs an attribute name, as in `[data-x]`")
        name = token.value
        inner.skip_ws()
        operator = inner.take()
        if operator is None:
            return
        if not (operator.kind == "match" or inner.is_delim(operator, "=")):
            raise SelectorError(f"attribute operator {_describe(operator)} is not supported: use =, ~=, |=, ^=, $=, *=")
        if any("A" <= ch <= "Z" for ch in name):
            raise SelectorError(
                f"HTMLRewriter cannot compare the value of attribute `{name}`: write its name in lower case "
                f"(`{name.lower()}`, HTML attribute names are case-insensitive)"
            )
        inner.skip_ws()
        value = inner.take()
        if value is None or value.kind not in ("ident", "string"):
            raise SelectorError('an attribute value must be a quoted string or an identifier, as in `[x="1"]`')
        if not value.closed:
            raise SelectorError("the attribute value's string is not closed")
        inner.skip_ws()
        flag = inner.take()
        if flag is not None:
            if flag.kind != "ident" or flag.value.lower() not in ("i", "s"):
                raise SelectorError(f"unexpected {_describe(flag)} in the attribute selector (flags are `i` and `s`)")
            inner.skip_ws()
            extra = inner.peek()
            if extra is not None:
                raise SelectorError(f"unexpected {_describe(extra)} in the attribute selector")

    def pseudo(self, inside_not: bool) -> None:
        token = self.take()
        if token is None:
            raise SelectorError("`:` must be followed by a pseudo-class")
        if token.kind == "colon":
            raise SelectorError("pseudo-elements (`::`) are not supported by HTMLRewriter")
        if token.kind == "ident":
            name = token.value.lower()
            if name in _PSEUDO_CLASSES:
                return
            if name in _PSEUDO_ELEMENTS:
                raise SelectorError(f"the pseudo-element `:{name}` is not supported by HTMLRewriter")
            hint = " (it sees the page as a stream)" if name in _KNOWN_PSEUDO_CLASSES else ""
            raise SelectorError(f"`:{token.value}` is not supported by HTMLRewriter{hint}")
        if token.kind == "function":
            name = token.value.lower()
            inner = _Parser(self.block(")", f"`:{token.value}(`"))
            if name in _NTH_FUNCTIONS:
                inner.nth()
                return
            if name == "not":
                if inside_not:
                    raise SelectorError("`:not()` cannot be nested in HTMLRewriter")
                inner.negation()
                return
            raise SelectorError(f"`:{token.value}()` is not supported by HTMLRewriter")
        raise SelectorError(f"unexpected {_describe(token)} after `:`")

    def negation(self) -> None:
        self.skip_ws()
        if self.peek() is None:
            raise SelectorError("`:not()` is empty")
        if not self.type_selector() and not self.subclass(inside_not=True):
            raise SelectorError(f"unexpected {_describe(self.peek())} in `:not()`")
        self.skip_ws()
        extra = self.peek()
        if extra is not None:
            raise SelectorError(
                f"`:not()` takes one simple selector in HTMLRewriter (found {_describe(extra)} after it; "
                "chain them instead, as in `:not(.a):not(.b)`)"
            )

    def nth(self) -> None:
        """The An+B microsyntax as cssparser's ``parse_nth`` reads it."""
        problem = "expected an+b, `odd` or `even` in `:nth-child()` / `:nth-of-type()`"
        self.skip_ws()
        token = self.take()
        if token is None:
            raise SelectorError(problem)
        if token.kind == "number":
            if not token.integer:
                raise SelectorError(problem)
        elif token.kind == "dimension":
            if not token.integer or not self.n_rest(token.value.lower()):
                raise SelectorError(problem)
        elif token.kind == "ident":
            value = token.value.lower()
            if value not in ("odd", "even") and not self.n_rest(value.removeprefix("-")):
                raise SelectorError(problem)
        elif self.is_delim(token, "+"):
            following = self.take()
            if following is None or following.kind != "ident" or not self.n_rest(following.value.lower()):
                raise SelectorError(problem)
        else:
            raise SelectorError(problem)
        self.skip_ws()
        if self.peek() is not None:
            raise SelectorError(problem)

    def n_rest(self, value: str) -> bool:
        """After the ``n`` of ``an``: ``n``, ``n-``, ``n-<digits>``, each maybe followed by ``+b``/``-b``."""
        if value == "n":
            return self.b_part()
        if value == "n-":
            return self.signless_integer()
        return value.startswith("n-") and value[2:].isdigit() and value[2:].isascii()

    def b_part(self) -> bool:
        mark = self.pos
        self.skip_ws()
        token = self.peek()
        if self.is_delim(token, "+") or self.is_delim(token, "-"):
            self.pos += 1
            return self.signless_integer()
        if token is not None and token.kind == "number" and token.flag and token.integer:
            self.pos += 1
            return True
        self.pos = mark
        return True

    def signless_integer(self) -> bool:
        self.skip_ws()
        token = self.take()
        return token is not None and token.kind == "number" and token.integer and not token.flag


def _describe(token: _Token | None) -> str:
    if token is None:
        return "end of selector"
    if token.kind in ("delim", "match", "other"):
        return f"`{token.value}`"
    if token.kind in ("ident", "hash", "function"):
        prefix = {"ident": "", "hash": "#", "function": ""}[token.kind]
        suffix = "(" if token.kind == "function" else ""
        return f"`{prefix}{token.value}{suffix}`"
    return {"colon": "`:`", "comma": "`,`", "string": "a string", "number": "a number", "dimension": "a number"}.get(
        token.kind, f"`{token.kind}`"
    )


def selector_problem(selector: str) -> str | None:
    """Why HTMLRewriter would refuse ``selector``, or None when ``rewriter.on()`` accepts it."""
    if type(selector) is not str:
        return "a selector must be a string"
    if not selector.strip(_WHITESPACE + "\r\f"):
        return "selector is empty"
    try:
        _Parser(_Tokenizer(selector).tokens()).selector_list()
    except SelectorError as exc:
        return f"selector {selector!r}: {exc}"
    return None
