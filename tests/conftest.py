from __future__ import annotations

import pytest

from tests.helpers import TEXT_ONLY, Harness


@pytest.fixture
async def bot(tmp_path):
    h = await Harness(tmp_path).open()
    yield h
    await h.close()


@pytest.fixture
async def textbot(tmp_path):
    h = await Harness(tmp_path, caps=TEXT_ONLY).open()
    yield h
    await h.close()
