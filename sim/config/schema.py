"""Scenario files: TOML laid over the packaged defaults and validated into typed settings.

A scenario states only what differs from ``sim/data/defaults.toml``. Loading merges the two,
then validates the result with pydantic models that forbid unknown fields, so that a typo is an
error rather than a silently ignored setting. Every problem is raised as a
:class:`~sim.errors.ScenarioError` naming the dotted path of the field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.config.distributions import Distribution
from sim.vocabulary import CHANNELS, INSTRUMENTS, LEVER_NAMES, PRIVACY_REGIMES, STAGES

LEVER_MAX_STRENGTH = {"ca_staffing": 4.0, "data_retention": 4.0}
"""Levers whose strength may exceed 1 (a multiple of today's capacity or retention)."""
_INSTRUMENT = "|".join(INSTRUMENTS)
_GROUP = re.compile(
    rf"^(all|contact_24_7|{_INSTRUMENT}|signatories:({_INSTRUMENT})|(region|subregion):.+)$"
)

MAX_MAGNITUDE = 1e6
"""Upper bound of days, factors and scales: far above any real value, and low enough that no
product of them in the model overflows to infinity (a stage mean of 1e308 days would)."""
MAX_CASES_PER_YEAR = 1e9
MAX_STAFF = 1_000_000
"""Far more staff than any central authority has (the calibration pilot uses this many to
mean "unlimited"); a Python int has no bound of its own."""
MAX_NAME_LENGTH = 100
"""A name becomes a directory name; file systems allow 255 bytes, staging names add some."""

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0, le=MAX_MAGNITUDE)]
Positive = Annotated[float, Field(gt=0.0, le=MAX_MAGNITUDE)]
Staff = Annotated[int, Field(ge=1, le=MAX_STAFF)]
CasesPerYear = Annotated[float, Field(ge=0.0, le=MAX_CASES_PER_YEAR)]
DataType = Literal["subscriber", "traffic", "content"]
EvidentiaryStandard = Literal["probable_cause", "reasonable_grounds", "relevance"]


class _Section(BaseModel):
    # strict: a TOML value of the wrong type is an error, never coerced (true is not 1.0);
    # allow_inf_nan: an infinite rate or time would make a run never end.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Simulation(_Section):
    """Calendar, periods excluded from statistics, replications and seed."""

    start: dt.date
    end: dt.date
    warm_up_days: NonNegative
    drain_days: NonNegative
    replications: Annotated[int, Field(ge=1, le=10_000)]
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)]
    timeseries_interval_days: Annotated[int, Field(ge=1, le=36_500)]

    @model_validator(mode="after")
    def _periods_fit(self) -> Simulation:
        if self.end <= self.start:
            raise ValueError("end: must be after simulation.start")
        if self.warm_up_days + self.drain_days >= self.horizon_days:
            raise ValueError("warm_up_days: warm_up_days + drain_days must be shorter than the run")
        return self

    @property
    def horizon_days(self) -> int:
        """Length of the run in days."""
        return (self.end - self.start).days

    def day_of(self, date: dt.date) -> float:
        """Simulation day of a calendar date (negative before the start)."""
        return float((date - self.start).days)


class World(_Section):
    """Which states of the world data take part."""

    states: list[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]]


class Demand(_Section):
    """How many investigations need evidence abroad, and how old that data is."""

    scale: NonNegative
    extra_holders_mean: Annotated[float, Field(ge=0.0, le=20.0)]  # more is not a case, a census
    data_age_days: NonNegative


class CrimeType(_Section):
    """One type of investigation: its weight, urgency and the data it needs."""

    share: NonNegative
    urgent_share: Probability
    subscriber: NonNegative
    traffic: NonNegative
    content: NonNegative
    dual_criminality_factor: NonNegative

    @model_validator(mode="after")
    def _needs_data(self) -> CrimeType:
        if self.subscriber + self.traffic + self.content <= 0:
            raise ValueError("at least one of subscriber, traffic, content must be positive")
        return self


class StateParameters(_Section):
    """A state's parameters that no treaty list gives (see docs/model.md for their basis)."""

    ca_staff: Staff
    ca_backlog_days: NonNegative
    cases_per_year: CasesPerYear
    provider_share: NonNegative
    retention_days: Positive
    cyber_law_completeness: Probability
    evidentiary_standard: EvidentiaryStandard
    voluntary_disclosure: bool
    clarification_factor: NonNegative


class StateOverride(_Section):
    """Scenario overrides of one state's parameters; unset fields keep the data's values."""

    ca_staff: Staff | None = None
    ca_backlog_days: NonNegative | None = None
    cases_per_year: CasesPerYear | None = None
    provider_share: NonNegative | None = None
    retention_days: Positive | None = None
    cyber_law_completeness: Probability | None = None
    evidentiary_standard: EvidentiaryStandard | None = None
    voluntary_disclosure: bool | None = None
    clarification_factor: NonNegative | None = None


class EvidentiaryRule(_Section):
    """Effect of the requested state's evidentiary standard on a domestic order for content."""

    content_time_factor: Positive
    p_refuse_content: Probability


class PrivacyTables(_Section):
    """Strictness of a requested state's regime and trust in a requesting state's safeguards."""

    strictness: dict[Literal[PRIVACY_REGIMES], Probability]  # type: ignore[valid-type]
    safeguards: dict[Literal[PRIVACY_REGIMES], Probability]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _complete(self) -> PrivacyTables:
        for table in ("strictness", "safeguards"):
            missing = set(PRIVACY_REGIMES) - set(getattr(self, table))
            if missing:
                raise ValueError(f"{table} lacks {', '.join(sorted(missing))}")
        return self


class Routing(_Section):
    """How many channels a request may try."""

    max_channels: Annotated[int, Field(ge=1, le=len(CHANNELS))]
    p_formal_after_direct_decline: Probability
    p_pursue_formal: Probability


class Adaptation(_Section):
    """The states' adaptive behaviours (DESIGN section 1); a strength of 0 switches one off."""

    capacity_response: Probability
    capacity_review_days: Positive
    capacity_lag_days: NonNegative
    capacity_budget: Annotated[float, Field(ge=1.0, le=20.0)]
    backlog_target_days: Positive
    reciprocity: Probability
    reciprocity_delay_days: NonNegative
    trust: Probability
    trust_rate: Probability
    treaty_uptake: Probability
    uptake_review_days: Positive


class Preservation(_Section):
    """Expedited preservation through the 24/7 network before a slow formal request."""

    enabled: bool
    margin_days: NonNegative
    hold_days: Positive
    p_success: Probability
    time: Distribution


class Stage(_Section):
    """One stage of a channel: its time and who serves it."""

    time: Distribution
    servers: Literal["unlimited", "central_authority"] | Staff


class Channel(_Section):
    """A cooperation channel: expectations, decision probabilities and its stages."""

    enabled: bool
    time_scale: Positive
    nominal_days: Positive
    data_types: list[DataType]
    urgent_factor: Positive
    timeout_days: Positive
    p_clarify: Probability
    p_refuse_grounds: Probability
    dual_criminality: bool
    p_refuse_dual_criminality: Probability
    data_protection: bool
    p_refuse_data_protection: Probability
    p_provider_decline: Probability
    max_clarifications: Annotated[int, Field(ge=0, le=1_000)]
    stages: dict[Literal[STAGES], Stage]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _has_execution(self) -> Channel:
        if "execution" not in self.stages:
            raise ValueError("stages must include execution")
        if not self.data_types:
            raise ValueError("data_types must not be empty")
        return self

    def path(self) -> tuple[str, ...]:
        """The stages this channel goes through, in DESIGN order."""
        return tuple(stage for stage in STAGES if stage in self.stages)


class Channels(_Section):
    """Every channel of DESIGN's table, by name."""

    direct_provider: Channel
    second_protocol: Channel
    e_evidence: Channel
    eio: Channel
    cloud_act: Channel
    bilateral_mlat: Channel
    budapest_mla: Channel
    un_convention_mla: Channel
    letters_rogatory: Channel

    def items(self) -> list[tuple[str, Channel]]:
        """(name, channel) pairs in DESIGN order."""
        return [(name, getattr(self, name)) for name in CHANNELS]


ISO3 = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class Lever(_Section):
    """A policy lever switched on for some states from a date (see sim/levers.py)."""

    lever: Literal[LEVER_NAMES]  # type: ignore[valid-type]
    strength: Annotated[float, Field(ge=0.0)] = 1.0
    states: list[ISO3] = []
    group: str | None = None
    start: dt.date | None = None
    instrument: Literal[INSTRUMENTS] | None = None  # type: ignore[valid-type]
    kind: Literal["cloud_act", "mlat"] | None = None
    partners: list[ISO3] = []

    @model_validator(mode="after")
    def _consistent(self) -> Lever:
        top = LEVER_MAX_STRENGTH.get(self.lever, 1.0)
        if self.strength > top:
            raise ValueError(f"strength: must be at most {top:g} for lever '{self.lever}'")
        if self.group is not None and not _GROUP.match(self.group):
            raise ValueError(
                f"group: unknown group '{self.group}' (choose all, an instrument, "
                "signatories:<instrument>, region:<name>, subregion:<name> or contact_24_7)"
            )
        treaty = self.lever in ("join", "in_force")
        if treaty and self.instrument is None:
            raise ValueError(f"instrument: lever '{self.lever}' needs an instrument")
        if not treaty and self.instrument is not None:
            raise ValueError("instrument: only the levers 'join' and 'in_force' take one")
        if self.lever == "in_force" and (self.states or self.group is not None):
            # Entry into force is a fact of the instrument, not of some states; parties are
            # made with 'join'. Targets here would be silently ignored.
            raise ValueError(
                "states: lever 'in_force' takes no states or group (make parties with 'join')"
            )
        agreement = self.lever == "new_agreement"
        if agreement and (self.kind is None or not self.partners):
            raise ValueError("kind: lever 'new_agreement' needs a kind and partners")
        if not agreement and self.kind is not None:
            raise ValueError("kind: only the lever 'new_agreement' takes a kind")
        if self.partners and self.lever not in ("new_agreement", "privacy_bridge"):
            raise ValueError(
                "partners: only the levers 'new_agreement' and 'privacy_bridge' take partners"
            )
        return self


class Scenario(_Section):
    """A validated scenario: the defaults with the file's changes laid over them."""

    # A name is a directory name under results/: no path separator, and no leading dot, so
    # that '.' and '..' (which would name results/ itself or its parent) cannot be one.
    name: Annotated[
        str,
        Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"),
    ]
    description: str
    simulation: Simulation
    world: World
    demand: Demand
    crime_types: dict[Annotated[str, Field(pattern=r"^[a-z0-9_]+$")], CrimeType]
    state_defaults: StateParameters
    evidentiary_standards: dict[EvidentiaryStandard, EvidentiaryRule]
    privacy: PrivacyTables
    routing: Routing
    adaptation: Adaptation
    preservation: Preservation
    channels: Channels
    states: dict[str, StateOverride]
    levers: list[Lever]

    @model_validator(mode="after")
    def _some_crime(self) -> Scenario:
        if sum(crime.share for crime in self.crime_types.values()) <= 0:
            raise ValueError("crime_types: at least one share must be positive")
        run = self.simulation
        for index, lever in enumerate(self.levers):
            if lever.start is not None and not run.start <= lever.start < run.end:
                raise ValueError(
                    f"levers[{index}].start: {lever.start} is outside the run "
                    f"({run.start} to {run.end})"
                )
        return self
