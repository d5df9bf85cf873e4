"""Personal names: only an honorific followed by a name.

* ``PERSONAL_NAME``: only an honorific followed by a name, in the factory's languages plus
  English: ``Mr``, ``Mrs``, ``Ms``, ``Miss``, ``Dr``, ``Madam`` (en); ``M.``, ``Mme``, ``Mlle``,
  ``Dr``, ``Monsieur``, ``Madame``, ``Mademoiselle`` (fr); ``Sr``, ``Sra``, ``Srta``, ``Dr``,
  ``Dra``, ``Don``, ``Doña`` (es); ``Bapak``, ``Pak``, ``Ibu``, ``Bu``, ``Sdr``, ``Sdri`` (id);
  ``Anh``, ``Chị``, ``Ông``, ``Bà`` (vi); ``Msye``, ``Madan`` (ht); ``Lok``, ``Lok Srey``,
  ``Neak Srey`` (km, romanised) followed by one to four capitalised words.
  Letter case: most honorifics are also ordinary words in lower case (Vietnamese ``anh``,
  ``chị``, ``bà`` are pronouns and kinship words, ``miss`` a verb, ``ms`` milliseconds,
  ``madam``/``monsieur`` nouns, ``Lok`` also "he"), and in a text written in capitals every
  word looks capitalised. So only honorifics that are no ordinary word, ``Mr``, ``Mrs``,
  ``Mme``, ``Mlle``, ``Sra``, ``Srta``, ``Sdr``, ``Sdri``, are matched in any case, with the
  name in any case too (``MR JOHN SMITH``, ``mr john smith``: the words in the first word's
  case, up to a function word, at most three); the others need their listed form and a
  capitalised name. ``السيد``, ``السيدة``, ``الأستاذ``, ``الأستاذة`` (ar) and
  ``জনাব``, ``জনাবা``, ``বেগম``, ``শ্রী``, ``শ্রীমতী`` (bn) are followed by one word of the
  same script; ``លោក``, ``លោកស្រី``, ``អ្នកស្រី`` (km) by up to two runs of Khmer letters,
  with or without a space or zero-width space (Khmer is mostly written without spaces), not
  when what follows is a pronoun, verb marker or title (``លោកអ្នក``, ``លោក បាន``,
  ``លោកគ្រូ``); a name glued to the words after it runs to the next space or verb marker.
  **Bare names ("Nguyen Van An said ...") are not detected**: there is no named-entity model
  on the portal's machines.

Not detected:

* Bare personal names, nicknames, initials on their own, addresses; names after an
  honorific that is also an ordinary word when the honorific or the name is not capitalised
  (``anh nguyễn``, ``ÔNG NGUYỄN``, ``dr smith``); a name in lower case or capitals that starts
  with a function word (``mr will smith``); a Khmer honorific glued to the word before it (no
  space or zero-width space: ``ជាមួយលោកសុខ``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from .flags import Flag, FlagKind
from .words import FUNCTION_WORDS, word_char

# Honorifics written in a cased script, as listed: followed by 1-4 capitalised words. The
# lower-case forms listed (Vietnamese "anh", Indonesian "bapak", Spanish "don") are ordinary
# words too, so they also need a capitalised name after them.
_HONORIFICS_CASED: dict[str, tuple[str, ...]] = {
    "en": ("Mr", "Mrs", "Ms", "Miss", "Dr", "Madam"),
    "fr": ("M.", "Mme", "Mlle", "Dr", "Monsieur", "Madame", "Mademoiselle"),
    "es": ("Sr", "Sra", "Srta", "Dr", "Dra", "Don", "Doña", "don", "doña"),
    "id": ("Bapak", "Pak", "Ibu", "Bu", "Sdr", "Sdri", "bapak", "pak", "ibu", "bu"),
    "vi": ("Anh", "Chị", "Ông", "Bà", "anh", "chị", "ông", "bà"),
    "ht": ("Msye", "Madan"),
    "km": ("Lok Srey", "Neak Srey", "Lok"),  # romanised លោកស្រី, អ្នកស្រី, លោក
}
# Honorifics that are no ordinary word in any of the portal's languages, so they are matched
# in any case ("MR", "mr") and the name after them may be in any case ("mr john smith",
# "MR JOHN SMITH"). Not here, because they are also ordinary words or abbreviations: Miss
# (a verb), Ms and Dr ("200 ms", "MS Office", "DR Congo"), Sr ("SR engineer"), Madam, Madame,
# Monsieur ("thank you madam for ...", "un monsieur âgé"), the Vietnamese, Indonesian,
# Haitian and Khmer ones (pronouns and kinship words: "anh ấy", "bà con", "bapak saya",
# "Lok" for "he").
_HONORIFICS_ANY_CASE: dict[str, tuple[str, ...]] = {
    "en": ("Mr", "Mrs"),
    "fr": ("Mme", "Mlle"),
    "es": ("Sra", "Srta"),
    "id": ("Sdr", "Sdri"),
}
# Honorifics in uncased scripts: followed by one word of the same script.
_HONORIFICS_UNCASED: dict[str, tuple[tuple[str, ...], str]] = {
    "ar": (("السيد", "السيدة", "الأستاذ", "الأستاذة"), "\u0600-\u06ff"),
    "bn": (("জনাব", "জনাবা", "বেগম", "শ্রীমতী", "শ্রী"), "\u0980-\u09ff"),
}
_ABBREVIATIONS = {"Mr", "Mrs", "Ms", "Dr", "Dra", "Sr", "Sra", "Srta", "Mme", "Mlle", "Sdr", "Sdri"}
_SPACE = r"[ \t\u00a0]+"


def _honorific_re(h: str) -> str:
    return re.escape(h).replace(r"\ ", _SPACE) + (r"\.?" if h in _ABBREVIATIONS else "")


@functools.lru_cache(maxsize=None)
def _name_pattern(lang: str) -> tuple[re.Pattern[str], bool] | None:
    w = word_char()
    if lang in _HONORIFICS_CASED:
        listed = [_honorific_re(h) for h in sorted(_HONORIFICS_CASED[lang], key=len, reverse=True)]
        any_case = [_honorific_re(h) for h in sorted(_HONORIFICS_ANY_CASE.get(lang, ()), key=len, reverse=True)]
        alts = "|".join([f"(?i:{'|'.join(any_case)})"] * bool(any_case) + listed)
        word = rf"[^\W\d_]{w}*(?:['’\-]{w}+)*\.?"
        # Honorific, then up to four words; which of them belong to the name is checked afterwards.
        pattern = re.compile(rf"(?<!{w})(?:{alts})(?!{w})((?:{_SPACE}{word}){{1,4}})")
        return pattern, True
    if lang in _HONORIFICS_UNCASED:
        words, script = _HONORIFICS_UNCASED[lang]
        alts = "|".join(re.escape(h) for h in sorted(words, key=len, reverse=True))
        pattern = re.compile(rf"(?<!{w})(?:{alts})[ \t\u00a0]+((?!ال)[{script}]+)(?!{w})")
        return pattern, False
    return None


_NAME_WORD = re.compile(r"\S+")


def find_names(source: str, text: str, languages: Sequence[str]) -> list[Flag]:
    flags = []
    seen: set[tuple[int, int]] = set()
    for lang in languages:
        spans = _khmer_names(text) if lang == "km" else []
        compiled = _name_pattern(lang)
        if compiled is not None:
            spans += _honorific_names(text, *compiled, _any_case_honorifics(lang))
        for a, b in spans:
            if (a, b) not in seen:
                seen.add((a, b))
                flags.append(Flag(FlagKind.PERSONAL_NAME, source, a, b, text[a:b]))
    return flags


@functools.lru_cache(maxsize=None)
def _any_case_honorifics(lang: str) -> frozenset[str]:
    return frozenset(h.casefold() for h in _HONORIFICS_ANY_CASE.get(lang, ()))


def _honorific_names(
    text: str, pattern: re.Pattern[str], cased: bool, any_case: frozenset[str]
) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        a = m.start()
        if not cased:
            b: int | None = m.end()
        else:
            honorific = text[a:m.start(1)].rstrip(".").casefold()
            b = _name_end(m, any_case=honorific in any_case)
        if b is None:
            pos = m.start(1)  # not a name: look for the next honorific after this one
            continue
        pos = b
        spans.append((a, b))
    return spans


def _name_end(m: re.Match[str], *, any_case: bool) -> int | None:
    """End of the name after the honorific, or None if there is none.

    After a listed honorific: the capitalised words. After one of ``_HONORIFICS_ANY_CASE``:
    the words written in the case of the first (in lower case or capitals: at most three, up to
    a function word), so "mr john smith said" and "MR JOHN SMITH SAID" give "... john smith".
    """
    b = None
    lower: bool | None = None
    for count, word in enumerate(_NAME_WORD.finditer(m.group(1))):
        token = word.group()
        if any_case:
            if lower is None:
                lower = token[0].islower()
            # Case tells where a capitalised name ends ("Mr Will Smith"), not in lower case or
            # capitals: there a function word ends it ("mme dupont a dit"), or a fourth word.
            # An initial ("A.", "J") is no function word.
            caseless = token.islower() or token.isupper()
            initial = len(token.rstrip(".")) == 1 and (token.endswith(".") or token.isupper())
            if caseless and not initial and token.rstrip(".").casefold() in FUNCTION_WORDS:
                break
            if token[0].islower() != lower or (caseless and count == 3):
                break
        elif not token[0].isupper():
            break
        end = m.start(1) + word.end()
        if token.endswith("."):
            if len(token) == 2:  # an initial: "J."
                b = end
                continue
            return end - 1  # a full stop after the name ends the sentence
        b = end
    return b


# Khmer script has no case and is mostly written without spaces between words; a zero-width
# space, where used, separates words (see normal.py). លោក and លោកស្រី are also pronouns
# ("he", "you") and begin titles: not a name when what follows begins with one of these
# (អ្នក "you", បាន/នឹង/មិន/ត្រូវ verb markers, គ្រូ "teacher", ប្រធាន "chair", ...). A name
# glued to the following words runs to the next space or to one of the verb markers.
_KHMER = "\u1780-\u17ff\u19e0-\u19ff"
_KHMER_LETTERS = "\u1780-\u17d3\u17d7\u17dc\u17dd"  # no punctuation (។), currency or digits
_KHMER_NAME = re.compile(
    rf"(?<![\w{_KHMER}])(?:លោក[ \t]*ស្រី|អ្នកស្រី|លោក)[ \t]*"
    rf"(?=[\u1780-\u17b3])([{_KHMER_LETTERS}]+)(?:([ \t]+)([{_KHMER_LETTERS}]+))?"
)
_KHMER_NOT_NAME = ("អ្នក", "បាន", "នឹង", "មិន", "ត្រូវ", "ក៏", "គឺ", "ថា", "ទាំង", "គ្រូ", "ប្រធាន", "នាយក", "ជំទាវ")
_KHMER_VERB_MARKERS = re.compile("បាន|នឹង|មិន|ត្រូវ")


def _khmer_name_part(part: str) -> int:
    """How much of a run of Khmer letters after an honorific is name: 0 for none."""
    if part.startswith(_KHMER_NOT_NAME):
        return 0
    marker = _KHMER_VERB_MARKERS.search(part, 1)
    return marker.start() if marker else len(part)


def _khmer_names(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _KHMER_NAME.finditer(text):
        first = _khmer_name_part(m.group(1))
        if not first:
            continue
        b = m.start(1) + first
        if first == len(m.group(1)) and m.group(3) and (second := _khmer_name_part(m.group(3))):
            b = m.start(3) + second
        spans.append((m.start(), b))
    return spans
