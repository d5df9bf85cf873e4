"""Automatic screening of supplier responses (text and attachment file names).

Screening *flags*; it never publishes, removes or blocks anything. Each flag names what was
found, where (``source`` is ``"text"`` or ``"filename:<i>"`` for the i-th attachment, with the
span as Python ``str`` indices into that source) and the matched text, so that a moderator can
see it and the queue can be ordered by :func:`severity`.

Where each part lives (each module says what it detects and what it does not):

* ``pipeline``: :func:`screen`, which reads every text in one normal form (``normal``) and
  places the flags in the text as written.
* ``flags``: the kinds of flag, :class:`Flag`, and the severity that orders the queue.
* ``addresses``: e-mail addresses and links, plain or disguised.
* ``numbers``: phone numbers and ID-like numbers.
* ``names``: an honorific followed by a name.
* ``abuse``: words of the per-language lists in ``workflows/wordlists/``.
* ``words``: what the screens share: a word character, function words, language codes.

Not detected by any of them: anything inside attachments (only their file names are screened).
"""

from .abuse import WORDLIST_LANGUAGES, load_wordlist
from .flags import SEVERITY, Flag, FlagKind, severity
from .pipeline import screen

__all__ = [
    "SEVERITY",
    "WORDLIST_LANGUAGES",
    "Flag",
    "FlagKind",
    "load_wordlist",
    "screen",
    "severity",
]
