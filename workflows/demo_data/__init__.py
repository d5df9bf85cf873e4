"""Deterministic demo data in the assessment-export format (`assessment-export/1`).

`generate_demo` builds a list of export documents that, imported in list order (each in its own
transaction), fill an empty portal with a realistic but entirely fictional programme: the
question catalogue, seven country programmes, factories with one to four yearly cycles,
assessments with findings for every question, refusals, and finally a few corrections of
already-published findings.

Everything is drawn from `random.Random` instances seeded from the `seed` argument, and every
date is computed relative to `as_of`, so the same arguments always give byte-identical
documents (`json.dumps(..., sort_keys=True)`). Factory `i` draws from its own generator
(seeded from `seed` and `i`), so a smaller demo is a prefix of a bigger one with the same seed.

Documents share their finding dicts (one per question and result) to keep 1.2 million findings
cheap: treat the documents as read-only.

Where each part lives:

* ``documents``: :func:`generate_demo` and the reference and factory documents.
* ``exports``: :data:`FORMAT`, :class:`DemoExport` and a document's top level.
* ``question_tables``: the catalogue's hand-written questions, topic phrases and translations
  (data only); ``questions`` builds the catalogue from them.
* ``countries``: the seven country programmes and the questions each reports publicly.
* ``names``: factory types and names.
* ``history``: cycles, assessment dates, statuses and exits.
* ``refusals``, ``findings``: what each factory's assessments and visits record.
* ``factories``: one factory's data, and every factory's own generator.
* ``corrections``: the documents that correct already-published findings.
"""

from __future__ import annotations

from .documents import generate_demo
from .exports import FORMAT, DemoExport

__all__ = ["FORMAT", "DemoExport", "generate_demo"]
