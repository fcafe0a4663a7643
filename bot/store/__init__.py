"""Persistence: the only place with SQL.  ``Store`` bundles the repositories."""

from __future__ import annotations

from pathlib import Path

from .audit import Audit
from .broadcasts import Broadcast, Broadcasts, CopyResult, Recipient, Rule
from .checkins import Checkins, Response, Run
from .courses import Course, Courses, Notice, Registrant, Registration
from .db import Database, StoreError
from .dialogs import Dialogs, DialogState
from .direct import DirectMessages, DirectRow
from .journal import Entry, Journal, ReplyRow
from .links import Links
from .members import Member, Members
from .people import FORGET_PLAN, Found, Group, People
from .questions import Question, Questions
from .reads import Reads
from .reporting import Answered, Reporting, RunCount, Tally
from .tokens import TokenPair, Tokens
from .web import WebAuth, WebSession

__all__ = [
    "FORGET_PLAN",
    "Answered",
    "Audit",
    "Broadcast",
    "Broadcasts",
    "Checkins",
    "CopyResult",
    "Course",
    "Courses",
    "Database",
    "DialogState",
    "Dialogs",
    "DirectMessages",
    "DirectRow",
    "Entry",
    "Found",
    "Group",
    "Journal",
    "Links",
    "Member",
    "Members",
    "Notice",
    "People",
    "Question",
    "Questions",
    "Reads",
    "Recipient",
    "Registrant",
    "Registration",
    "ReplyRow",
    "Reporting",
    "Response",
    "Rule",
    "Run",
    "RunCount",
    "Store",
    "StoreError",
    "Tally",
    "TokenPair",
    "Tokens",
    "WebAuth",
    "WebSession",
]


class Store:
    """The database and one repository per aggregate."""

    def __init__(self, path: Path | str) -> None:
        self.db = Database(path)
        self.members = Members(self.db)
        self.dialogs = Dialogs(self.db)
        self.audit = Audit(self.db)
        self.reads = Reads(self.db)
        self.questions = Questions(self.db)
        self.broadcasts = Broadcasts(self.db)
        self.courses = Courses(self.db)
        self.checkins = Checkins(self.db)
        self.links = Links(self.db)
        self.journal = Journal(self.db)
        self.reporting = Reporting(self.db)
        self.people = People(self.db)
        self.tokens = Tokens(self.db)
        self.web = WebAuth(self.db)
        self.direct = DirectMessages(self.db)

    async def open(self, migrate: bool = True, create: bool = True, check: bool = True) -> Store:
        await self.db.open(migrate=migrate, create=create, check=check)
        return self

    async def close(self) -> None:
        await self.db.close()
