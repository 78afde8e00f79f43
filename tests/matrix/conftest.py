"""A real Synapse for the whole test session (started once, a few seconds), and people on it."""

from __future__ import annotations

import pytest

from .clients import MatrixBot, MxUser
from .synapse import Synapse


@pytest.fixture(scope="session")
def synapse(tmp_path_factory):
    """Never skipped: a Synapse that cannot start fails the tests that need it."""
    hs = Synapse(tmp_path_factory.mktemp("synapse"))
    hs.start()
    yield hs
    hs.stop()


@pytest.fixture
async def bot(synapse, settings, clock, knowledge_store):
    b = await MatrixBot(synapse, settings, clock, knowledge_store).start()
    yield b
    await b.stop()


@pytest.fixture
async def people(synapse, tmp_path):
    """`await people()` makes a new Matrix user with its own client and crypto store."""
    made: list[MxUser] = []

    async def make() -> MxUser:
        user = await MxUser.create(synapse, tmp_path / "people")
        made.append(user)
        return user

    yield make
    for user in made:
        await user.close()


@pytest.fixture
async def founder(people):
    return await people()
