"""Canonical bytes and the content hash of a compiled ruleset.

The compiler stamps the hash and the edge verifies it with this same code, so a
truncated or altered KV value is caught before it is used.
"""

import hashlib
import json


def canonical_json(document: dict) -> bytes:
    """Compact UTF-8 JSON in the document's own key order."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def content_hash(document: dict) -> str:
    """``sha256:`` of the canonical body (every key but ``hash``)."""
    body = {k: v for k, v in document.items() if k != "hash"}
    return "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()


def is_intact(document: object) -> bool:
    """Whether a decoded document carries the hash of its own body."""
    return isinstance(document, dict) and document.get("hash") == content_hash(document)
