"""GrowthBook-compatible hashing and bucketing.

Swerve uses GrowthBook's FNV-1a based hash (version 2) and bucket ranges so a visitor
lands in the bucket a GrowthBook SDK would give them: teams migrate without
reshuffling their users. FNV-1a runs over UTF-16 code units, like JavaScript's
``charCodeAt``.
"""

import struct
import sys

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


_PADDED = [FNV_OFFSET]
for _ in range(9):
    _PADDED.append(((_PADDED[-1] * pow(FNV_PRIME, -1, 1 << 32)) & _MASK) ^ 0x30)
# ``_PADDED[z]``: the state from which z steps over "0" arrive at FNV_OFFSET (FNV steps can be
# undone: the prime is odd). Hashing a number's digits left-padded with z zeros from there
# equals hashing its digits from FNV_OFFSET, so every lane can take ten digits in step.

# Fixed-point decimal digits: v * _DIGITS / 2**40 is v / 10**4 for v < 2**17, so each digit
# of a five-digit v is the integer part after multiplying the fraction by 10 (checked for
# every v < 10**5 in tests/test_bucketing.py).
_DIGITS = -(-(1 << 40) // 10**4)


def _lanes(count: int, value: int) -> int:
    """``value`` in each of ``count`` 64-bit lanes."""
    return int.from_bytes(struct.pack(f"<{count}Q", *([value] * count)), "little")


class SeedBatch:
    """Version-2 hashes of one id under many seeds at once (one per flag).

    A request buckets the same visitor id for every flag, each with its own seed. The
    seeds' FNV states are packed as 64-bit lanes of one integer, so each code unit of
    the id costs three big-integer operations for all flags together instead of a
    Python loop step per flag. Lanes never overflow: a 32-bit state times the 25-bit
    prime stays under 64 bits, and the mask keeps the low 32 bits of every lane.

    The second round hashes each lane's decimal digits, also in lanes: each lane's number
    is split into two five-digit halves whose digits come out of a fixed-point fraction,
    one multiplication by 10 per digit; a lane with fewer than ten digits starts from
    ``_PADDED`` instead of the offset. The bucket's ``% 10000`` is a multiplication by a
    reciprocal. No step loops over the flags in Python.
    """

    __slots__ = ("_c", "_units", "lanes", "packed")

    def __init__(self, states: list[int]) -> None:
        n = self.lanes = len(states)
        self.packed = int.from_bytes(struct.pack(f"<{n}Q", *states), "little")
        ones = _lanes(n, 1)
        # ``ones * unit`` for the ASCII code units (the usual ids), made once.
        self._units = [ones * unit for unit in range(128)]
        # Lane constants, in the order ``remainders`` unpacks them.
        self._c = (
            ones,
            _lanes(n, _MASK),
            _lanes(n, FNV_OFFSET),
            # Lanes with at least z leading zeros are those below 10**(10 - z): bit 40 of
            # 2**40 + 10**(10 - z) - 1 - x is then set.
            tuple(_lanes(n, (1 << 40) + 10 ** (10 - z) - 1) for z in range(1, 10)),
            tuple((_PADDED[z] - _PADDED[z - 1]) & _MASK for z in range(1, 10)),
            _lanes(n, (1 << 27) - 1),
            _lanes(n, (1 << 17) - 1),
            _lanes(n, (1 << 40) - 1),
            _lanes(n, 0x30),
            _lanes(n, 0x3F),
            _lanes(n, (1 << 19) - 1),
        )

    def remainders(self, value: str) -> list[int]:
        """GrowthBook's ``fnv(str(fnv(seed + value))) % 10000`` for every seed: the buckets times 10000."""
        p = FNV_PRIME
        ones, mask, start, below, steps, low27, low17, fraction, digit_zero, low6, low19 = self._c
        x = self.packed
        if value.isascii():
            units = self._units
            for unit in value.encode("ascii"):
                x = ((x ^ units[unit]) * p) & mask
        else:
            for unit in code_units(value):
                x = ((x ^ (ones * unit)) * p) & mask
        y = start
        for limit, step in zip(below, steps, strict=True):
            shorter = ((limit - x) >> 40) & ones
            if not shorter:
                break
            y += step * shorter
        y &= mask
        # x // 100000 is (x >> 5) // 3125, a multiplication by a reciprocal for 27-bit values.
        high = ((((x >> 5) & low27) * 175921861) >> 39) & low17
        for half in (high * _DIGITS, (x - high * 100000) * _DIGITS):
            for _ in range(5):
                y = ((y ^ (((half >> 40) | digit_zero) & low6)) * p) & mask
                half = (half & fraction) * 10
        # y % 10000 is y - 10000 * (y * 3518437209 >> 45) for 32-bit y.
        rest = y - (((y * 3518437209) >> 45) & low19) * 10000
        return _unpack(rest.to_bytes(8 * self.lanes, "little"))

    def __call__(self, value: str) -> list[float]:
        """The bucket of ``value`` under every seed, in the order the states were given."""
        return [rest / 10000 for rest in self.remainders(value)]


if sys.byteorder == "little":

    def _unpack(data: bytes) -> list[int]:
        return memoryview(data).cast("Q").tolist()

else:  # pragma: no cover - every platform Swerve runs on is little-endian

    def _unpack(data: bytes) -> list[int]:
        return list(struct.unpack(f"<{len(data) // 8}Q", data))


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
