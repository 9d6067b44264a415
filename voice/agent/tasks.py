"""Ending a call's background tasks, the same way in both engines."""

import asyncio
from collections.abc import Iterable
from typing import Any


async def cancel_others(tasks: Iterable[asyncio.Task[Any]], *, within: float) -> None:
    """Cancel every task but the calling one and give them `within` seconds to wind down."""
    current = asyncio.current_task()
    running = [task for task in tasks if task is not current]
    for task in running:
        task.cancel()
    if running:
        await asyncio.wait(running, timeout=within)
