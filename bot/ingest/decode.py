"""Bytes to text: UTF-8 first, a recognised legacy encoding next, a clear refusal last."""

from __future__ import annotations

import charset_normalizer


class DecodeError(ValueError):
    pass


def decode_text(data: bytes) -> str:
    if not data.strip():
        raise DecodeError("the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DecodeError("the text is not valid UTF-16") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:8192]:
        raise DecodeError("this is a binary file, not text")
    matches = charset_normalizer.from_bytes(data[:200_000])
    best = matches.best()
    for match in matches:
        # A tie between Western (cp1252, the web's "latin-1") and another code page goes to cp1252:
        # short Portuguese or Spanish text otherwise comes out as Polish ("Săo Paulo").
        if best is not None and match.encoding == "cp1252" and match.chaos <= best.chaos and match.coherence >= best.coherence:
            best = match
            break
    if best is None or best.encoding is None or best.chaos > 0.2:
        raise DecodeError("the text is not UTF-8 and its encoding could not be recognised")
    try:
        return data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DecodeError(f"the text is not UTF-8 and does not decode as {best.encoding}") from exc
