"""What every part of one realtime call works with and none of them owns."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from voice.agent.flow import NORMAL

if TYPE_CHECKING:
    from voice.agent.actions import CallActions
    from voice.agent.audio_clock import AudioClock
    from voice.agent.context import AgentSetup
    from voice.agent.flow import CallFlow
    from voice.agent.records import CallRecorder
    from voice.agent.tooling import ToolRunner
    from voice.call_tasks import CallTasks
    from voice.engine import CallContext
    from voice.engines.realtime.connection import Connection
    from voice.engines.realtime.timings import RealtimeTimings
    from voice.engines.realtime.turns import TurnLog
    from voice.transport import CallTransport


@dataclass(frozen=True, eq=False)
class RealtimeCall:
    """The call's transport, context, tasks, record, transcript, flow, caller audio clock, Realtime
    connection, the agent's setup, actions and tools, and the timings: fixed for the call once the
    agent's setup is known (the engine's parts are built then), each an object with its own state."""

    session: CallTransport
    context: CallContext
    setup: AgentSetup
    tasks: CallTasks
    recorder: CallRecorder
    turns: TurnLog
    flow: CallFlow
    clock: AudioClock
    connection: Connection
    actions: CallActions
    tools: ToolRunner
    timings: RealtimeTimings

    @property
    def log(self) -> logging.Logger | logging.LoggerAdapter[Any]:
        return self.session.log

    @property
    def stopped(self) -> bool:
        """The call is ending: start nothing new (the call's one ending flag)."""
        return self.tasks.ending

    def listening(self) -> bool:
        """The conversation is open: caller turns are answered."""
        return not self.actions.ended and self.flow.mode == NORMAL
