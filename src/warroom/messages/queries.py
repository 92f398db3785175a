"""The SQL form of a MessageFilter, for history and search (see filters.matches)."""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import Connection, Select, and_, exists, func, literal_column, or_, select, text
from sqlalchemy.sql.elements import ColumnElement

from warroom.messages.filters import MessageFilter
from warroom.store.tables import message_tags, messages

_WORD = re.compile(r"\w+", re.UNICODE)

# Below this many tagged messages (in the page's range) a tag filter is "sparse": the page is
# found fastest by reading the tag index and looking each message up. Above it, scanning
# messages newest-first and checking the tag finds a page of 100 long before the end.
SPARSE_TAG_ROWS = 2000


def fts_words(query: str) -> list[str]:
    """Words of a free-text query; punctuation never reaches the FTS parser."""
    return _WORD.findall(query.lower())


def _tagged_ids(channel_ids: Collection[str] | None, tags: Collection[str]) -> Select[tuple[int]]:
    q = select(message_tags.c.message_id).where(message_tags.c.tag.in_(sorted(tags)))
    if channel_ids is not None:
        q = q.where(message_tags.c.channel_id.in_(list(channel_ids)))
    return q


def tags_are_sparse(
    conn: Connection,
    channel_ids: Collection[str] | None,
    f: MessageFilter,
    *,
    before: int | None = None,
    after: int | None = None,
) -> bool:
    """True when few messages carry the wanted tags (a bounded count, cheap on the tag index)."""
    if not f.tags_any:
        return False
    q = _tagged_ids(channel_ids, f.tags_any)
    if before is not None:
        q = q.where(message_tags.c.message_id < before)
    if after is not None:
        q = q.where(message_tags.c.message_id > after)
    probe = select(func.count()).select_from(q.limit(SPARSE_TAG_ROWS).subquery())
    return int(conn.execute(probe).scalar_one()) < SPARSE_TAG_ROWS


def conditions(
    dialect: str,
    channel_ids: Collection[str] | None,
    f: MessageFilter,
    *,
    sparse_tags: bool = False,
    id_below: int | None = None,
    id_above: int | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses for `f`. `sparse_tags` (see tags_are_sparse) changes the plan, not the rows."""
    conds: list[ColumnElement[bool]] = []
    if channel_ids is not None:
        ids = list(channel_ids)
        conds.append(messages.c.channel_id == ids[0] if len(ids) == 1 else messages.c.channel_id.in_(ids))
    if f.priorities:
        conds.append(messages.c.priority.in_(sorted(p.rank for p in f.priorities)))
    if f.min_priority is not None:
        conds.append(messages.c.priority <= f.min_priority.rank)
    if f.tags_any and sparse_tags:
        # Drive from the tag index: the planner looks up a few thousand ids at most.
        conds.append(messages.c.id.in_(_tagged_ids(channel_ids, f.tags_any)))
    elif f.tags_any:
        conds.append(
            exists().where(
                and_(
                    message_tags.c.message_id == messages.c.id,
                    message_tags.c.tag.in_(sorted(f.tags_any)),
                )
            )
        )
    for tag in sorted(f.tags_all):
        conds.append(
            exists().where(and_(message_tags.c.message_id == messages.c.id, message_tags.c.tag == tag))
        )
    if f.themes:
        conds.append(messages.c.theme.in_(sorted(f.themes)))
    if f.threads:
        conds.append(messages.c.thread_id.in_(sorted(f.threads)))
    if f.senders:
        who = sorted(f.senders)
        conds.append(
            or_(
                messages.c.sender_user_id.in_(who),
                messages.c.sender_name.in_(who),
                messages.c.published_by.in_(who),
            )
        )
    if f.since is not None:
        conds.append(messages.c.created_at >= f.since)
    if f.until is not None:
        conds.append(messages.c.created_at < f.until)
    if f.text:
        words = fts_words(f.text)
        if words:
            conds.append(_text_condition(dialect, words, f.text, id_below=id_below, id_above=id_above))
    return conds


def _text_condition(
    dialect: str, words: list[str], raw: str, *, id_below: int | None = None, id_above: int | None = None
) -> ColumnElement[bool]:
    if dialect == "sqlite":
        # Each word quoted: a phrase of one token, ANDed; FTS5 operators in input mean nothing.
        q = " ".join('"' + w.replace('"', "") + '"' for w in words)
        # The page's cursor bounds go inside: FTS5 then reads only that rowid range of its
        # posting lists instead of every match of a common word.
        sql = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH :fts_q"
        params: dict[str, object] = {"fts_q": q}
        if id_below is not None:
            sql += " AND rowid < :fts_below"
            params["fts_below"] = id_below
        if id_above is not None:
            sql += " AND rowid > :fts_above"
            params["fts_above"] = id_above
        sub = text(sql).bindparams(**params)
        return messages.c.id.in_(sub.columns(literal_column("rowid")))
    vector = func.to_tsvector(literal_column("'simple'"), messages.c.title + " " + messages.c.body)
    # The raw text, not `words`: PostgreSQL's parser must split the query as it split the
    # documents ("db-1" is 'db' and '-1' there), and plainto_tsquery ignores any operators.
    query = func.plainto_tsquery(literal_column("'simple'"), raw.lower())
    return vector.op("@@")(query)


def page_query(
    dialect: str,
    channel_ids: Collection[str] | None,
    f: MessageFilter,
    *,
    before: int | None,
    after: int | None,
    limit: int,
    sparse_tags: bool = False,
) -> Select[tuple[object, ...]]:
    """Newest first by default; `before` pages to older, `after` pages to newer (ascending)."""
    q = select(messages).where(
        *conditions(dialect, channel_ids, f, sparse_tags=sparse_tags, id_below=before, id_above=after)
    )
    if after is not None:
        return q.where(messages.c.id > after).order_by(messages.c.id.asc()).limit(limit + 1)
    if before is not None:
        q = q.where(messages.c.id < before)
    return q.order_by(messages.c.id.desc()).limit(limit + 1)
