"""An agent running in a thread of the test, and how to stop it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from lbaas.agent.client import AgentApiClient
from lbaas.agent.loop import Agent


@dataclass
class RunningAgent:
    agent: Agent
    client: AgentApiClient
    stop_event: threading.Event
    thread: threading.Thread

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(10)
        self.client.close()
        assert not self.thread.is_alive(), "the agent did not stop"


StartAgent = Callable[..., RunningAgent]
