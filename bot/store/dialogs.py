"""Dialog state per member: which flow and step they are in, its data, and the
choices last offered (so "2" or a button's words resolve after a restart)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .db import Database


@dataclass(slots=True)
class DialogState:
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    offered: list[tuple[str, str]] = field(default_factory=list)  # (label, action)

    def enter(self, flow: str, step: str, **data: Any) -> None:
        self.flow, self.step = flow, step
        self.data = dict(data)

    def clear(self) -> None:
        self.flow = self.step = None
        self.data = {}

    def snapshot(self) -> tuple:
        return (self.flow, self.step, json.dumps(self.data, sort_keys=True), tuple(self.offered))


UPSERT_DIALOG = (
    "INSERT INTO dialog_state (member_id, flow, step, data, offered, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET"
    " flow = excluded.flow, step = excluded.step, data = excluded.data,"
    " offered = excluded.offered, updated_at = excluded.updated_at"
)


def dialog_row(member_id: int, state: DialogState, now: datetime) -> tuple:
    """The parameters of UPSERT_DIALOG (also written with the inbound journal)."""
    return (
        member_id,
        state.flow,
        state.step,
        json.dumps(state.data, ensure_ascii=False),
        json.dumps(state.offered, ensure_ascii=False),
        now.isoformat(),
    )


class Dialogs:
    """Repository of dialog states."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, member_id: int) -> DialogState:
        row = await self.db.fetchone(
            "SELECT flow, step, data, offered FROM dialog_state WHERE member_id = ?", (member_id,)
        )
        if row is None:
            return DialogState()
        return DialogState(
            flow=row["flow"],
            step=row["step"],
            data=json.loads(row["data"] or "{}"),
            offered=[tuple(x) for x in json.loads(row["offered"] or "[]")],
        )

    async def put(self, member_id: int, state: DialogState, now: datetime) -> None:
        await self.db.execute(UPSERT_DIALOG, dialog_row(member_id, state, now))

    async def prune(self, before: datetime) -> int:
        """Forget flows left untouched since ``before`` (the person moved on)."""
        return await self.db.execute(
            "UPDATE dialog_state SET flow = NULL, step = NULL, data = '{}', offered = '[]'"
            " WHERE updated_at < ? AND flow IS NOT NULL",
            (before.isoformat(),),
        )
