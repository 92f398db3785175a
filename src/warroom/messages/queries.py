"""The SQL form of a MessageFilter, for history and search (see filters.matches)."""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import Select, and_, exists, func, literal_column, or_, select, text
from sqlalchemy.sql.elements import ColumnElement

from warroom.messages.filters import MessageFilter
from warroom.store.tables import message_tags, messages

_WORD = re.compile(r"\w+", re.UNICODE)


def fts_words(query: str) -> list[str]:
    """Words of a free-text query; punctuation never reaches the FTS parser."""
    return _WORD.findall(query.lower())


def conditions(
    dialect: str, channel_ids: Collection[str] | None, f: MessageFilter
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if channel_ids is not None:
        ids = list(channel_ids)
        conds.append(messages.c.channel_id == ids[0] if len(ids) == 1 else messages.c.channel_id.in_(ids))
    if f.priorities:
        conds.append(messages.c.priority.in_(sorted(p.rank for p in f.priorities)))
    if f.min_priority is not None:
        conds.append(messages.c.priority <= f.min_priority.rank)
    if f.tags_any:
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
            conds.append(_text_condition(dialect, words))
    return conds


def _text_condition(dialect: str, words: list[str]) -> ColumnElement[bool]:
    if dialect == "sqlite":
        # Each word quoted: a phrase of one token, ANDed; FTS5 operators in input mean nothing.
        q = " ".join('"' + w.replace('"', "") + '"' for w in words)
        sub = text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH :fts_q").bindparams(fts_q=q)
        return messages.c.id.in_(sub.columns(literal_column("rowid")))
    vector = func.to_tsvector(literal_column("'simple'"), messages.c.title + " " + messages.c.body)
    query = func.plainto_tsquery(literal_column("'simple'"), " ".join(words))
    return vector.op("@@")(query)


def page_query(
    dialect: str,
    channel_ids: Collection[str] | None,
    f: MessageFilter,
    *,
    before: int | None,
    after: int | None,
    limit: int,
) -> Select[tuple[object, ...]]:
    """Newest first by default; `before` pages to older, `after` pages to newer (ascending)."""
    q = select(messages).where(*conditions(dialect, channel_ids, f))
    if after is not None:
        return q.where(messages.c.id > after).order_by(messages.c.id.asc()).limit(limit + 1)
    if before is not None:
        q = q.where(messages.c.id < before)
    return q.order_by(messages.c.id.desc()).limit(limit + 1)
