"""The merged rule set: every flag, segment and event from all files, with where each came from."""

import msgspec

from .schema import Event, Flag, Segment
from .sources import Source


class Located(msgspec.Struct, kw_only=True):
    """An entity and the source file that defined it."""

    name: str
    source: Source
    value: Flag | Segment | Event


class RuleSet(msgspec.Struct, kw_only=True):
    """All decoded entities, by name."""

    flags: dict[str, Located] = {}
    segments: dict[str, Located] = {}
    events: dict[str, Located] = {}
    # (section, name) of entries that are defined but did not decode: already reported,
    # so references to them are not errors of their own.
    broken: set[tuple[str, str]] = set()

    def flag(self, name: str) -> Flag:
        """The decoded flag called ``name``."""
        value = self.flags[name].value
        assert isinstance(value, Flag)
        return value
