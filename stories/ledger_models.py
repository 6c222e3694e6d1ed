"""The export ledger: every file that left the portal, and which story versions were in it (S6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow


class ExportRecord(Base):
    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))
    actor: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(40))      # stories-xlsx, stories-docx, letters-...
    outlet: Mapped[str | None] = mapped_column(String(200))  # for whom
    item_count: Mapped[int] = mapped_column(default=0)

    items: Mapped[list[ExportItem]] = relationship(back_populates="export")


class ExportItem(Base):
    """One story version in one export: what a withdrawal's recall list is made of."""

    __tablename__ = "export_items"

    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id", ondelete="CASCADE"),
                                           primary_key=True)
    story_id: Mapped[int] = mapped_column(primary_key=True, index=True)
    story_version: Mapped[int]

    export: Mapped[ExportRecord] = relationship(back_populates="items")
