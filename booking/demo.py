"""The bundled, fictitious demo officials (booking/data/demo.yaml), loaded into an empty database."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from . import officials_file


def demo_path() -> Path:
    return Path(str(resources.files("booking") / "data" / "demo.yaml"))


async def load_demo_if_empty(db: Any, *, topics: Iterable[str], authorities: Iterable[str]) -> bool:
    """Import the demo officials when no official exists yet. Returns whether it did."""
    row = await db.fetchone("SELECT COUNT(*) AS n FROM officials")
    if row["n"]:
        return False
    data = officials_file.parse_file(demo_path(), topics=topics, authorities=authorities)
    async with db.transaction() as conn:
        async with conn.execute("SELECT COUNT(*) FROM officials") as cur:
            if (await cur.fetchone())[0]:
                return False  # another process got there first
        await officials_file.apply(conn, data)
    return True
