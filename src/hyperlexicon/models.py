"""The SQL schema, as SQLAlchemy 2.0 typed models. Alembic migrations are generated from it.

Every content table hangs off a lexicon with ``ON DELETE CASCADE``. Revisions and versions
are append-only: history refers to entries by id and form but has no foreign key to the
entry row, so deleting an entry never deletes its past.
"""

from __future__ import annotations

import itertools
import os
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


# An ISO instant: a scripted run (the docs' screenshots) stores the same dates and ids every
# time. Never for a lexicon people use: every record would carry that one instant.
REPRODUCIBLE = "HYPERLEXICON_REPRODUCIBLE"
_numbered = itertools.count(1)


@lru_cache(maxsize=4)
def _instant(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """Now, in UTC; under ``HYPERLEXICON_REPRODUCIBLE`` the clock stands at that instant."""
    frozen = os.environ.get(REPRODUCIBLE)
    return _instant(frozen) if frozen else datetime.now(UTC)


def new_id() -> str:
    """A fresh id for a job or a dialogue: random; under ``HYPERLEXICON_REPRODUCIBLE``, the
    process's n-th id (a UUID derived from n), so a repeated script names them alike."""
    if os.environ.get(REPRODUCIBLE):
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hyperlexicon:id:{next(_numbered)}"))
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Lexicon(Base):
    __tablename__ = "lexicon"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Entry(Base):
    __tablename__ = "entry"
    __table_args__ = (
        UniqueConstraint("lexicon_id", "form_key"),
        Index("ix_entry_lexicon_id_status_kind", "lexicon_id", "status", "kind"),
        # browsing a large lexicon: its default order (glyphs first) and by weight read an
        # index, not the wide rows (store.SORTS)
        Index("ix_entry_lexicon_id_kind_form_key", "lexicon_id", "kind", "form_key"),
        Index("ix_entry_lexicon_id_weight_form_key", "lexicon_id", "weight", "form_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lexicon_id: Mapped[int] = mapped_column(ForeignKey("lexicon.id", ondelete="CASCADE"))
    form: Mapped[str] = mapped_column(String(400))
    form_key: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(16))
    weight: Mapped[float] = mapped_column(Float, default=0.5)
    status: Mapped[str] = mapped_column(String(16), default="active")
    provenance: Mapped[str] = mapped_column(String(16), default="user")
    notes: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(32))
    # The weight a person gave (learned weights start from it; see calibration.py)
    prior_weight: Mapped[float | None] = mapped_column(Float)
    # The whole entry as its native record (EntryData.to_dict). The child tables below hold
    # the same glosses, components and registers in searchable form; reading an entry takes
    # this one column, so a lookup is one indexed select.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    row_version: Mapped[int] = mapped_column(Integer, default=1)


class Gloss(Base):
    __tablename__ = "gloss"
    __table_args__ = (
        Index("ix_gloss_entry_id", "entry_id"),
        # lemma lookups take the first few matches per lemma in this order (store.by_lemmas)
        Index("ix_gloss_lemma_position_entry_id", "lemma", "position", "entry_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(1000))
    # casefolded text, and its lemmas joined by spaces: indexed for exact and lemma search
    norm: Mapped[str] = mapped_column(String(1000), index=True)
    lemma: Mapped[str] = mapped_column(String(1000))


class GlossHead(Base):
    """The head word of each name of several words (``morphology.name_parts``: "woman" of
    "old woman"), by which a sentence that says only the head finds the name (a partial
    match, ``Bridge._lemmas``). Kept by the store with its entry's glosses: a derived row,
    made again wherever the glosses are."""

    __tablename__ = "gloss_head"
    __table_args__ = (
        Index("ix_gloss_head_entry_id", "entry_id"),
        # looked up with the glosses and components, in the same order (store.by_lemmas)
        Index("ix_gloss_head_lemma_position_entry_id", "lemma", "position", "entry_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)  # the gloss's
    lemma: Mapped[str] = mapped_column(String(1000))  # the head's
    # what else the name says, each thing as its lemmas: JSON, [["birthday", "birthdays"]]
    things: Mapped[str] = mapped_column(String(1000))


class Component(Base):
    __tablename__ = "component"
    __table_args__ = (
        Index("ix_component_entry_id", "entry_id"),
        Index("ix_component_lemma_position_entry_id", "lemma", "position", "entry_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    meaning: Mapped[str] = mapped_column(String(1000))
    lang: Mapped[str | None] = mapped_column(String(16))
    # a soft link by form key to another entry of the same lexicon (survives re-imports)
    ref_key: Mapped[str | None] = mapped_column(String(400))
    ref: Mapped[str | None] = mapped_column(String(400))
    norm: Mapped[str] = mapped_column(String(1000), index=True)
    lemma: Mapped[str] = mapped_column(String(1000))


class EntryRegister(Base):
    __tablename__ = "entry_register"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True
    )
    register: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)


class Example(Base):
    __tablename__ = "example"
    __table_args__ = (Index("ix_example_entry_id", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(1000))


class Revision(Base):
    """One change to one entry. Never updated, never deleted (except with its lexicon)."""

    __tablename__ = "revision"
    __table_args__ = (
        Index("ix_revision_lexicon_id_entry_id_id", "lexicon_id", "entry_id", "id"),
        # a lexicon's last revision, asked on every encode: one seek (migration 0010)
        Index("ix_revision_lexicon_id_id", "lexicon_id", "id"),
        Index("ix_revision_lexicon_id_form_key", "lexicon_id", "form_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lexicon_id: Mapped[int] = mapped_column(ForeignKey("lexicon.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(Integer)
    form_key: Mapped[str] = mapped_column(String(400))
    op: Mapped[str] = mapped_column(String(16))  # create | update | delete
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Version(Base):
    """A named point in a lexicon's history: every revision with id <= ``revision_id``."""

    __tablename__ = "version"
    __table_args__ = (UniqueConstraint("lexicon_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lexicon_id: Mapped[int] = mapped_column(ForeignKey("lexicon.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(200))
    revision_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Outbox(Base):
    """Entry changes not yet applied to the vector index; written in the entry's transaction."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_lexicon_id_id", "lexicon_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lexicon_id: Mapped[int] = mapped_column(ForeignKey("lexicon.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(16))  # upsert | delete
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueryLog(Base):
    """Every encode, decode, compress and ask: what came in, what went out, against which
    version of the lexicon, how long it took and who asked. Calibration learns from it."""

    __tablename__ = "query_log"
    __table_args__ = (Index("ix_query_log_lexicon_id_mode_id", "lexicon_id", "mode", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lexicon_id: Mapped[int] = mapped_column(ForeignKey("lexicon.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(16))  # encode | decode | compress | ask
    input: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)  # the scene (or answer) as JSON
    output: Mapped[str] = mapped_column(Text)  # the hyperstring or the rendered text
    revision: Mapped[int] = mapped_column(Integer)  # the lexicon version it was made against
    latency_ms: Mapped[float] = mapped_column(Float)
    author: Mapped[str] = mapped_column(String(200))
    connector: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Feedback(Base):
    """A person's verdict on a logged query: accept or reject the scene or one lexeme,
    correct a span, or rate the style for a register."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_lexicon_id_user_created_at", "lexicon_id", "user", "created_at"),
        Index("ix_feedback_lexicon_id_entry_id", "lexicon_id", "entry_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lexicon_id: Mapped[int] = mapped_column(ForeignKey("lexicon.id", ondelete="CASCADE"))
    query_id: Mapped[int] = mapped_column(ForeignKey("query_log.id", ondelete="CASCADE"))
    user: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # accept | reject | correct | rate
    target: Mapped[str] = mapped_column(String(16))  # scene | lexeme | span
    form: Mapped[str | None] = mapped_column(String(400))  # the lexeme judged
    entry_id: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)  # the lexeme's score in that scene
    how: Mapped[str | None] = mapped_column(String(16))  # how it had matched
    register: Mapped[str | None] = mapped_column(String(16))
    span: Mapped[str | None] = mapped_column(Text)  # the text a correction is about
    correction: Mapped[str | None] = mapped_column(Text)  # the right form or meaning
    correction_entry_id: Mapped[int | None] = mapped_column(Integer)
    rating: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Proposal(Base):
    """A candidate entry grown from use; becomes an entry only when accepted."""

    __tablename__ = "proposal"
    __table_args__ = (UniqueConstraint("lexicon_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lexicon_id: Mapped[int] = mapped_column(ForeignKey("lexicon.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(400))
    source: Mapped[str] = mapped_column(String(16))  # unmatched | compound | correction
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the proposed entry's native record
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|accepted|rejected
    entry_id: Mapped[int | None] = mapped_column(Integer)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProposalEvidence(Base):
    """One observation for or against a proposal key: a query where the span went unexplained,
    or a correction. Support counts distinct queries and distinct users."""

    __tablename__ = "proposal_evidence"
    __table_args__ = (
        UniqueConstraint("lexicon_id", "key", "query_id", "feedback_id"),
        Index("ix_proposal_evidence_lexicon_id_key", "lexicon_id", "key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lexicon_id: Mapped[int] = mapped_column(ForeignKey("lexicon.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(400))
    query_id: Mapped[int] = mapped_column(Integer)
    feedback_id: Mapped[int] = mapped_column(Integer, default=0)  # 0: not from feedback
    user: Mapped[str] = mapped_column(String(200))
    polarity: Mapped[int] = mapped_column(Integer)  # +1 for, -1 against
    context: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Calibration(Base):
    """A fitted set of thresholds, with the held-out figures that justified it."""

    __tablename__ = "calibration"
    __table_args__ = (Index("ix_calibration_lexicon_id_id", "lexicon_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lexicon_id: Mapped[int] = mapped_column(ForeignKey("lexicon.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(32))
    folds: Mapped[int] = mapped_column(Integer)
    pairs: Mapped[int] = mapped_column(Integer)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LexiconSetting(Base):
    """Per-lexicon settings kept with the data (the auto-accept rule, the feedback rate)."""

    __tablename__ = "lexicon_setting"

    lexicon_id: Mapped[int] = mapped_column(
        ForeignKey("lexicon.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Job(Base):
    """Long work run in the background (import, index rebuild, calibrate, batch encode): its
    state is kept here so that it outlives the client, and a restart can tell the truth."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_state_created_at", "state", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    lexicon: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))  # import | rebuild | calibrate | encode-batch
    # queued | running | done | failed | cancelled | interrupted
    state: Mapped[str] = mapped_column(String(16))
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who runs it, with several servers on one database (see jobs.py): the server's id (a
    # label people read), the process that holds it (the identity leases are checked by),
    # when that process last said it still runs the job, and until when that promise holds.
    # A job whose lease has run out is another server's to take over; never before.
    owner: Mapped[str | None] = mapped_column(String(200))
    owner_process: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateBucket(Base):
    """The per-token rate limit shared by every server on the database: a token bucket per
    client key, refilled and spent in one atomic statement (see server/security.py).
    ``stamp`` is the database's clock in seconds, so servers with skewed clocks agree."""

    __tablename__ = "rate_bucket"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    stamp: Mapped[float] = mapped_column(Float)
    allowed: Mapped[bool] = mapped_column(Boolean, default=True)


class Dialogue(Base):
    """A WebSocket conversation, kept so that a client can resume it after a reconnect."""

    __tablename__ = "dialogue"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    lexicon: Mapped[str] = mapped_column(String(100))
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DialogueTurn(Base):
    __tablename__ = "dialogue_turn"
    __table_args__ = (UniqueConstraint("dialogue_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dialogue_id: Mapped[str] = mapped_column(ForeignKey("dialogue.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    query_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
