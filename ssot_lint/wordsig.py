"""Word signatures: a file's identifiers as a 1,024-bit Bloom filter.

When a table of names gains a name (a function added anywhere), each file whose cached
findings met that table is asked whether its text spells the name (``run.plan``): on Home
Assistant, 3,513 files. A signature answers "no" for certain without reading the file; a
"maybe" (the name, or about one word in twenty by chance) reads it as before. Signatures
are kept in the cache by content hash (``Project.may_spell``), so the files are read once
per content, not once per such edit.

The positions of a word are two CRC-32s of its UTF-8 (double hashing): the same in every
process, unlike ``hash``. Three bits per word: a median file (114 words) gives a false
"maybe" for 2% of the words asked, a large one (280) for 17%.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

BITS = 1024
_PROBES = 3
_WIDTH = BITS // 4  # hex digits


def _mask(word: str) -> int:
    data = word.encode("utf-8", "surrogatepass")
    first = zlib.crc32(data)
    step = zlib.crc32(data, 0x5BD1E995) | 1
    mask = 0
    for i in range(_PROBES):
        mask |= 1 << ((first + i * step) % BITS)
    return mask


def signature(words: Iterable[str]) -> str:
    """The signature of a file whose ``identifier_words`` are ``words``, as hex."""
    bits = 0
    for word in words:
        bits |= _mask(word)
    return format(bits, f"0{_WIDTH}x")


def may_contain(sig: str, words: Iterable[str]) -> bool:
    """Could a file of signature ``sig`` have one of ``words`` among its identifier words?
    False is certain. ValueError for a string that is no signature (damaged or planted)."""
    if len(sig) != _WIDTH:
        raise ValueError("not a word signature")
    bits = int(sig, 16)
    return any(bits & m == m for m in map(_mask, words))


__all__ = ["BITS", "may_contain", "signature"]
