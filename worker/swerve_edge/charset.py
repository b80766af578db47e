"""Inserting text into pages whatever their character encoding.

HTMLRewriter encodes what Swerve inserts in the charset of the response's Content-Type
header, and assumes UTF-8 when the header names none, even when the page declares
windows-1252 in a ``<meta>`` element. Inserted non-ASCII text then shows as mojibake
(``Ã¼``), and in a header-declared single-byte charset lol-html writes a character it
cannot encode as a character reference, which ``set_text`` then escapes into a visible
``&#10003;``.

ASCII reads the same in every encoding a browser accepts for HTML, so for any page not
declared UTF-8 in its header Swerve inserts an ASCII form of the same content: character
references (``&#10003;``) in HTML and attribute values, ``\\uXXXX`` escapes inside
``<script>``, CSS escapes inside ``<style>``, and ``set_text`` as escaped HTML. The forms
are computed once per ruleset version; a page declared UTF-8 gets the content as written.
"""

import re

# WHATWG Encoding Standard labels of UTF-8.
UTF8_LABELS = frozenset({"utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"})
_RAW_TEXT = re.compile(r"(<(script|style)\b[^>]*>)(.*?)(</\2\s*>|$)", re.IGNORECASE | re.DOTALL)
_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([^\s;\"']+)", re.IGNORECASE)


def header_is_utf8(content_type: str) -> bool:
    """Whether a Content-Type header value declares UTF-8 (lol-html then writes UTF-8 the page uses)."""
    match = _CHARSET.search(content_type) if ";" in content_type else None
    return match is not None and match.group(1).lower() in UTF8_LABELS


def _reference(ch: str) -> str:
    return f"&#{ord(ch)};"


def _js_escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _css_escape(ch: str) -> str:
    return f"\\{ord(ch):06x}"


def _replace_non_ascii(text: str, escape: object) -> str:
    if text.isascii():
        return text
    return "".join(ch if ch.isascii() else escape(ch) for ch in text)


def ascii_attribute(value: str) -> str:
    """An attribute value with every non-ASCII character as a character reference.

    lol-html writes attribute values with only ``"`` escaped, so references reach the
    browser, which decodes them in attribute values.
    """
    return _replace_non_ascii(value, _reference)


def ascii_html(fragment: str) -> str:
    """An HTML fragment that means the same in any ASCII-compatible encoding."""
    if fragment.isascii():
        return fragment
    out = []
    position = 0
    for match in _RAW_TEXT.finditer(fragment):
        out.append(_replace_non_ascii(fragment[position : match.start()], _reference))
        opening, name, body, closing = match.group(1, 2, 3, 4)
        escape = _js_escape if name.lower() == "script" else _css_escape
        out.append(_replace_non_ascii(opening, _reference) + _replace_non_ascii(body, escape) + closing)
        position = match.end()
    out.append(_replace_non_ascii(fragment[position:], _reference))
    return "".join(out)


def ascii_text(text: str) -> str:
    """``text`` as escaped ASCII HTML, to insert as HTML where ``set_text`` would insert text."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _replace_non_ascii(escaped, _reference)
