"""Compressed input, inflated as a stream with a bound on what comes out.

A gzip or deflate body is checked twice: its compressed size (the caller counts
what it reads) and what it inflates to. Inflating is done a chunk at a time with
`max_length`, so a 1 MB file of zeros that would inflate to 1 GB never costs
more than one chunk of memory: it stops at the output limit, or sooner, when the
inflation ratio shows a decompression bomb (real news text compresses about
3-10 times; nothing legitimate reaches `MAX_RATIO`).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

CHUNK = 64 * 1024
# Inflated/compressed ratio from which input is refused as a decompression bomb, checked once
# the output passes RATIO_FLOOR bytes (small, very repetitive files stay welcome).
MAX_RATIO = 200
RATIO_FLOOR = 1_000_000


class InflateError(ValueError):
    """The compressed input is corrupt, too large once inflated, or a bomb; str() says which."""


class TooLarge(InflateError):
    pass


def _wbits(encoding: str) -> int:
    if encoding in ("gzip", "x-gzip"):
        return 16 + zlib.MAX_WBITS
    if encoding == "deflate":
        return zlib.MAX_WBITS  # zlib-wrapped; a raw deflate stream is detected on the first bytes
    raise InflateError(f"unsupported compression {encoding!r}")


class BoundedInflater:
    """Feed compressed chunks, get inflated ones; raise TooLarge past `limit` bytes or `MAX_RATIO`.

    `limit=None` bounds only the ratio (record streams such as `.jsonl.gz`, bounded per record).
    Concatenated gzip members are read one after the other, as gzip(1) does.
    """

    def __init__(self, encoding: str, limit: int | None, what: str = "the input") -> None:
        self.encoding = encoding
        self.limit = limit
        self.what = what
        self.consumed = 0
        self.produced = 0
        self._wbits = _wbits(encoding)
        self._z = zlib.decompressobj(self._wbits)
        self._started = False
        self._in_member = False
        self._members = 0  # members read to their end
        self._done = False  # what follows the last member is ignored (zero padding, trailing bytes)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The inflated bytes of one compressed chunk, in pieces of at most CHUNK bytes."""
        self.consumed += len(data)
        if not self._started and data:
            self._started = True
            if self.encoding == "deflate" and (len(data) < 2 or (data[0] & 0x0F) != 8 or int.from_bytes(data[:2]) % 31):
                self._wbits = -zlib.MAX_WBITS  # raw deflate (what some servers send as "deflate")
                self._z = zlib.decompressobj(self._wbits)
        while data and not self._done:
            try:
                out = self._z.decompress(data, CHUNK)
            except zlib.error as exc:
                if self._members and not self._in_member:
                    self._done = True  # bytes after a complete member: ignored, as gzip(1) does
                    return
                raise InflateError(f"{self.what} is not valid {self.encoding} data ({exc})") from None
            self._in_member = not self._z.eof
            if self._z.eof:
                self._members += 1
                data = self._z.unused_data
                self._z = zlib.decompressobj(self._wbits)
                self._done = self.encoding != "gzip" and self.encoding != "x-gzip"
            else:
                data = self._z.unconsumed_tail
            if out:
                self._count(len(out))
                yield out

    def finish(self) -> None:
        """Raise when the stream ended inside a member (a truncated file or body)."""
        if self._in_member or (self._started and not self._members):
            raise InflateError(f"{self.what} is cut short (its {self.encoding} data ends early)")

    def _count(self, n: int) -> None:
        self.produced += n
        if self.limit is not None and self.produced > self.limit:
            raise TooLarge(
                f"{self.what} inflates to more than the {self.limit:,}-byte limit (ingest.max_bytes); "
                f"refused after {self.consumed:,} compressed bytes"
            )
        if self.produced > RATIO_FLOOR and self.produced > MAX_RATIO * max(self.consumed, 1):
            raise TooLarge(
                f"{self.what} looks like a decompression bomb: {self.consumed:,} compressed bytes "
                f"inflated to over {self.produced:,} (more than {MAX_RATIO}:1); refused"
            )


def inflate_chunks(chunks: Iterable[bytes], encoding: str, limit: int | None, what: str) -> Iterator[bytes]:
    """Inflate a stream of compressed chunks under the bounds of BoundedInflater."""
    inflater = BoundedInflater(encoding, limit, what)
    for chunk in chunks:
        yield from inflater.feed(chunk)
    inflater.finish()


def file_chunks(stream: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk


def read_limited(chunks: Iterable[bytes], limit: int, what: str) -> bytes:
    """All of a stream, or TooLarge past `limit` bytes (a file that grew since it was measured)."""
    parts: list[bytes] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise TooLarge(f"{what} is larger than the {limit:,}-byte limit (ingest.max_bytes)")
        parts.append(chunk)
    return b"".join(parts)


def bounded_lines(chunks: Iterable[bytes], max_line: int) -> Iterator[bytes | None]:
    """Lines (without the newline) of a byte stream; a line longer than `max_line` gives None.

    The over-long line is skipped as it streams past, never held whole, so one huge record
    costs at most `max_line` bytes of memory.
    """
    buf = bytearray()
    skipping = False
    for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not skipping:
                buf += piece
                if len(buf) > max_line:
                    skipping, buf = True, bytearray()
            if end < 0:
                break
            if skipping:
                yield None
                skipping = False
            else:
                yield bytes(buf)
            buf = bytearray()
            start = end + 1
    if skipping:
        yield None
    elif buf:
        yield bytes(buf)
