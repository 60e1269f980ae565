"""Deterministic ids and random streams: everything generated is a pure function of its key."""

from __future__ import annotations

import hashlib
import random

_MASK = (1 << 64) - 1


def mix64(x: int) -> int:
    """splitmix64 finaliser: cheap, well-spread 64-bit hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def key64(*parts: object) -> int:
    """A 64-bit key from arbitrary parts (tenant id, seed, kind, index ...)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def guid(*parts: object) -> str:
    """A GUID-shaped (version 4 layout) id derived from parts."""
    h = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


_MUL128 = 0x9E3779B97F4A7C15F39CC0605CEDC835  # odd, so x -> x * _MUL128 is a bijection
_MASK128 = (1 << 128) - 1


def guid_from_int(x: int) -> str:
    """A GUID-shaped id from an already well-mixed integer, for hot paths (no hashlib call).
    The multiply is a bijection on 128 bits; only the six version/variant bits are lost."""
    v = (x * _MUL128) & _MASK128
    return "%08x-%04x-4%03x-%04x-%012x" % (v >> 96, (v >> 80) & 0xFFFF, (v >> 64) & 0xFFF,  # noqa: UP031
                                           0x8000 | ((v >> 48) & 0x3FFF), v & 0xFFFFFFFFFFFF)


def rng(*parts: object) -> random.Random:
    return random.Random(key64(*parts))
