"""States as Mesa agents, each owning its central authority's queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.engine.queues import ServiceQueue
from sim.world.build import StateProfile

if TYPE_CHECKING:
    from sim.engine.model import CooperationModel


class StateAgent(mesa.Agent):
    """A state: its profile, its central authority and the other service pools it runs.

    The central authority is a priority queue whose servers are the authority's staff; urgent
    requests are served first. It handles both the outgoing review of the state's own
    requests and the legal review of requests it receives, as real central authorities do.

    States are held in the model's Mesa agent set. They are not stepped each day: what they
    decide (their staff, whether to join a treaty) falls on the review days of the adaptive
    behaviours (``sim.engine.behaviours``), SimPy events at which the behaviour activates
    every state in turn, in state order, through that set.

    Args:
        model: The model the state belongs to.
        profile: The state's facts and parameters.
        number: The state's index in the model's state table (used in records).
    """

    def __init__(self, model: CooperationModel, profile: StateProfile, number: int) -> None:
        super().__init__(model)
        self.profile = profile
        self.iso3 = profile.iso3
        self.number = number
        self.central_authority = ServiceQueue(model.env, profile.params.ca_staff)
        self.pools: dict[tuple[str, int], ServiceQueue] = {}
        """Service pools of stages given a fixed number of servers, by (channel, stage)."""
        self.open_requests = 0
        """Requests addressed to this state that are still in progress."""
        self.unpursued = 0
        """Evidence needs its investigators left unpursued because only formal MLA was open."""
        self.bars_content = profile.iso3 in model.config.conflicting_law.content_bar
        """Whether its law bars its providers from disclosing content to a foreign authority
        (an EU production order for content meets an objection, docs/model.md 7.9)."""

    def pool(self, key: tuple[str, int], servers: int) -> ServiceQueue:
        """The state's pool for a stage with ``servers`` servers, created on first use."""
        resource = self.pools.get(key)
        if resource is None:
            resource = self.pools[key] = ServiceQueue(self.model.env, servers)
        return resource

    @property
    def backlog(self) -> int:
        """Requests waiting for or under review at the central authority."""
        return len(self.central_authority)
