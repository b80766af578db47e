"""GrowthBook-compatible hashing and bucketing.

Swerve uses GrowthBook's FNV-1a based hash (version 2) and bucket ranges so a visitor
lands in the bucket a GrowthBook SDK would give them: teams migrate without
reshuffling their users. FNV-1a runs over UTF-16 code units, like JavaScript's
``charCodeAt``.
"""

import struct

FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 0x01000193
_MASK = 0xFFFFFFFF


def code_units(text: str) -> bytes | tuple[int, ...]:
    """The UTF-16 code units of ``text``, as an iterable of ints."""
    if text.isascii():
        return text.encode("ascii")
    data = text.encode("utf-16-le")
    return struct.unpack(f"<{len(data) // 2}H", data)


def fnv1a32(units: bytes | tuple[int, ...], state: int = FNV_OFFSET) -> int:
    """FNV-1a (32 bit) over code units, continuing from ``state``.

    Rollouts at the edge go through ``SeedBatch``; this serves seeds and the reference hash.
    """
    for unit in units:
        state = ((state ^ unit) * FNV_PRIME) & _MASK
    return state


def gb_hash(seed: str, value: str, version: int) -> float | None:
    """GrowthBook's ``hash(seed, value, version)``: a float in [0, 1), or None for an unknown version."""
    if version == 2:
        inner = fnv1a32(code_units(seed + value))
        return (fnv1a32(str(inner).encode("ascii")) % 10000) / 10000
    if version == 1:
        return (fnv1a32(code_units(value + seed)) % 1000) / 1000
    return None


def seed_state(seed: str) -> int:
    """The FNV state after a seed: version-2 hashing continues from here with the id."""
    return fnv1a32(code_units(seed))


_LANE_ONE = b"\x01" + b"\x00" * 7
_LANE_LOW = b"\xff" * 4 + b"\x00" * 4


class SeedBatch:
    """Version-2 hashes of one id under many seeds at once (one per flag).

    A request buckets the same visitor id for every flag, each with its own seed. The
    seeds' FNV states are packed as 64-bit lanes of one integer, so each code unit of
    the id costs three big-integer operations for all flags together instead of a
    Python loop step per flag. Lanes never overflow: a 32-bit state times the 25-bit
    prime stays under 64 bits, and the mask keeps the low 32 bits of every lane.
    """

    __slots__ = ("lanes", "mask", "ones", "packed")

    def __init__(self, states: list[int]) -> None:
        self.lanes = len(states)
        self.packed = int.from_bytes(struct.pack(f"<{self.lanes}Q", *states), "little")
        self.ones = int.from_bytes(_LANE_ONE * self.lanes, "little")
        self.mask = int.from_bytes(_LANE_LOW * self.lanes, "little")

    def __call__(self, value: str) -> list[float]:
        """The bucket of ``value`` under every seed, in the order the states were given."""
        p = FNV_PRIME
        ones = self.ones
        mask = self.mask
        x = self.packed
        for unit in code_units(value):
            x = ((x ^ (ones * unit)) * p) & mask
        count = self.lanes
        digits = [str(inner).encode("ascii") for inner in struct.unpack(f"<{count}Q", x.to_bytes(8 * count, "little"))]
        # The second round hashes each lane's decimal string: lanes of equal length go together.
        groups: dict[int, list[int]] = {}
        for index, text in enumerate(digits):
            groups.setdefault(len(text), []).append(index)
        out = [0.0] * count
        for indexes in groups.values():
            size = len(indexes)
            group_mask = int.from_bytes(_LANE_LOW * size, "little")
            y = int.from_bytes(_LANE_ONE * size, "little") * FNV_OFFSET
            column = bytearray(8 * size)
            for units in zip(*[digits[i] for i in indexes], strict=True):
                column[0::8] = bytes(units)
                y = ((y ^ int.from_bytes(column, "little")) * p) & group_mask
            for index, inner in zip(indexes, struct.unpack(f"<{size}Q", y.to_bytes(8 * size, "little")), strict=True):
                out[index] = (inner % 10000) / 10000
        return out


def equal_weights(count: int) -> list[float]:
    """``count`` equal weights summing to 1 (empty for count <= 0)."""
    if count <= 0:
        return []
    return [1 / count] * count


def bucket_ranges(count: int, coverage: float = 1, weights: list[float] | None = None) -> list[tuple[float, float]]:
    """GrowthBook's bucket ranges: each variation's share of [0, 1), scaled by coverage.

    Invalid weights (wrong length, or not summing to 1 within 1%) fall back to equal
    weights, exactly as GrowthBook does.
    """
    coverage = min(max(coverage, 0), 1)
    equal = equal_weights(count)
    if not weights or len(weights) != count:
        weights = equal
    total = sum(weights)
    if total < 0.99 or total > 1.01:
        weights = equal
    ranges = []
    cumulative = 0.0
    for weight in weights:
        start = cumulative
        cumulative += weight
        ranges.append((start, start + coverage * weight))
    return ranges


def choose_variation(bucket: float, ranges: list[tuple[float, float]]) -> int:
    """Index of the range holding ``bucket``, or -1 when it falls in no range."""
    for index, (start, end) in enumerate(ranges):
        if start <= bucket < end:
            return index
    return -1


def in_namespace(hash_value: str, namespace: tuple[str, float, float]) -> bool:
    """Whether an id falls in a GrowthBook namespace ``(id, start, end)``."""
    bucket = gb_hash("__" + namespace[0], hash_value, 1)
    return bucket is not None and namespace[1] <= bucket < namespace[2]
