"""The audit log: who among staff did what, and when (exports say who asked)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .db import Database


class Audit:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, actor: str, action: str, now: datetime, **detail: Any) -> None:
        await self.db.execute(
            "INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)",
            (now.isoformat(), actor, action, json.dumps(detail, ensure_ascii=False)),
        )

    async def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = await self.db.fetchall(
            "SELECT at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [
            {"at": r["at"], "actor": r["actor"], "action": r["action"],
             "detail": json.loads(r["detail"])}
            for r in rows
        ]
