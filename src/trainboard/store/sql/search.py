"""Name search and the tag filter by index on SQLite: the FTS5 trigram index runs_fts
(migration 0017) narrows the runs to those holding the text's trigrams, and the same LIKE
as before decides, so the answer is exactly LIKE's.

Why both: `LIKE '%text%'` reads every run. A trigram phrase match finds every run whose name
(or tags) contains the text, case-folded; it can also find a few LIKE would not (FTS5 folds
case by Unicode tables, the LIKE compares Python's lower-casing), and the LIKE that follows
leaves those out. Texts shorter than 3 characters have no trigram: they are left to the
LIKE alone, a scan, as are texts outside ASCII, whose lower-casing can change their length
so that a trigram match may miss a run LIKE finds. PostgreSQL needs none of this: pg_trgm's
GIN indexes (0011, 0017) answer the LIKE itself.
"""

from __future__ import annotations

import sqlalchemy as sa

MIN_CHARS = 3
"""The trigram index answers texts of at least this many characters."""

_FTS = sa.table("runs_fts")
_ROWID: sa.ColumnElement[int] = sa.literal_column("runs.rowid")


def indexed(text: str) -> bool:
    """Whether runs_fts can narrow a search for `text` without missing a run."""
    return len(text) >= MIN_CHARS and text.isascii()


def phrase(column: str, text: str) -> str:
    """An FTS5 query matching `text` anywhere in `column`: one quoted phrase, in which every
    character is literal (a quote is written twice)."""
    return f'{column} : "' + text.replace('"', '""') + '"'


def holding(column: str, text: str) -> sa.ColumnElement[bool]:
    """Runs whose `column` ("name" or "tags") may contain `text`, by the trigram index."""
    match = sa.literal_column("runs_fts").op("MATCH")(sa.literal(phrase(column, text)))
    return _ROWID.in_(sa.select(sa.literal_column("rowid")).select_from(_FTS).where(match))
