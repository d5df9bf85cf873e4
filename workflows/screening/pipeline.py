"""One screening: each text in its normal form through every screen, spans put back.

Normal form, and spans in the original
--------------------------------------
Every screen reads the text in one normal form, made once per text in :func:`_screen_one` by
``normal.normalise``: Unicode NFKC (fullwidth letters, no-break spaces, decomposed
accents) with zero-width and other invisible format characters taken out. Spans and matches
are mapped back to the *original* text, the one stored and shown to the moderator (the stored
text is what the supplier submitted, not its normal form: rewriting it would change the
evidence). So ``text[start:end] == match`` always holds for the stored text, and a span
covers any invisible characters inside the match. Offsets count Unicode code points (Python
``str`` indices); a JavaScript UI counts UTF-16 units and must convert for characters beyond
U+FFFF (emoji).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .abuse import find_abusive
from .addresses import find_addresses
from .flags import Flag, FlagKind
from .names import find_names
from .normal import Normalised, normalise
from .numbers import find_national_ids, find_phones
from .words import norm_lang


def _screen_one(source: str, text: str, country: str, languages: Sequence[str], *, filename: bool) -> list[Flag]:
    """Flags for one text, found in its normal form (``normal``) and placed in ``text``."""
    if not text:
        return []
    normal = normalise(text)
    return [_in_original(f, normal) for f in _screen_normal(source, normal.text, country, languages, filename=filename)]


def _in_original(flag: Flag, normal: Normalised) -> Flag:
    a, b = normal.original_span(flag.start, flag.end)
    return replace(flag, start=a, end=b, match=normal.original[a:b])


def _screen_normal(source: str, text: str, country: str, languages: Sequence[str], *, filename: bool) -> list[Flag]:
    link_text = text
    if filename:
        stem, dot, ext = text.rpartition(".")
        if dot and stem and ext and " " not in ext:
            link_text = stem  # the extension is not a top-level domain
    flags = find_addresses(source, link_text, languages)
    web = [(f.start, f.end) for f in flags]
    phones = [f for f in find_phones(source, text, country) if not any(f.start < b and a < f.end for a, b in web)]
    flags += phones
    flags += find_national_ids(source, text, web + [(f.start, f.end) for f in phones], filename=filename)
    flags += find_names(source, text, languages)
    flags += find_abusive(source, text, languages)
    return flags


def _languages(languages: Sequence[str]) -> list[str]:
    out: dict[str, None] = {}
    for code in [*languages, "en"]:
        if code and code.strip():
            out[norm_lang(code)] = None
    return list(out)


def screen(
    text: str,
    filenames: Sequence[str] = (),
    *,
    country: str,
    languages: Sequence[str],
) -> list[Flag]:
    """Screen a response's text and its attachments' file names.

    ``country`` is the factory's ISO 3166 code (the phone-number region); ``languages`` are the
    country programme's languages (ISO 639-1, e.g. ``("fr", "ht")``); English is always added.
    Returns the flags ordered by source (text first, then file names in order) and position.
    """
    langs = _languages(languages)
    if isinstance(filenames, str):  # a lone name, not a sequence of characters
        filenames = (filenames,)
    flags = _screen_one("text", text or "", country, langs, filename=False)
    for i, name in enumerate(filenames):
        flags += _screen_one(f"filename:{i}", name or "", country, langs, filename=True)
    order = {kind: i for i, kind in enumerate(FlagKind)}

    def key(f: Flag) -> tuple[int, int, int, int]:
        src = -1 if f.source == "text" else int(f.source.split(":", 1)[1])
        return (src, f.start, -f.end, order[f.kind])

    return sorted(flags, key=key)
