"""Scenario files: TOML laid over the packaged defaults and validated into typed settings.

A scenario states only what differs from ``sim/data/defaults.toml``. Loading merges the two,
then validates the result with pydantic models that forbid unknown fields, so that a typo is an
error rather than a silently ignored setting. Every problem is raised as a
:class:`~sim.errors.ScenarioError` naming the dotted path of the field.

The module is over 400 lines because it holds every section of a scenario, including one model
per lever kind; each is small, and together they are the one place a field is defined.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import reduce
from operator import or_
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    Tag,
    field_validator,
    model_validator,
)

from sim import vocabulary
from sim.config.distributions import Distribution
from sim.vocabulary import (
    CHANNELS,
    INSTRUMENTS,
    LEVER_NAMES,
    PRESERVATION_PATHS,
    PRIVACY_REGIMES,
    STAGES,
    TIE_KINDS,
)

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
    # use_attribute_docstrings: a field's docstring is its description, which the dashboard
    # shows beside it (sim/dashboard/controls.py), so the schema is the one place it is said.
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
    )


class Simulation(_Section):
    """Calendar, periods excluded from statistics, replications and seed."""

    start: dt.date
    """Calendar date of day 0 (treaty dates are compared with it)."""
    end: dt.date
    """The run stops here; requests still open are censored."""
    warm_up_days: NonNegative
    """Requests created before this day are left out of the statistics."""
    drain_days: NonNegative
    """No new cases in the last drain_days, so most requests finish."""
    run_out_days: NonNegative = 0.0
    """Cases still opened in the run_out_days before the drain load the authorities as before,
    but their requests are neither recorded nor measured: the measured window ends where the
    run-out begins, so its last requests meet queues still fed by new cases, not draining."""
    replications: Annotated[int, Field(ge=1, le=10_000)]
    """Independent replications (confidence intervals need at least 2)."""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)]
    """The run's seed; each replication and process derives its streams from it."""
    timeseries_interval_days: Annotated[int, Field(ge=1, le=36_500)]
    """How often backlog and staff are recorded (days)."""
    timeline: bool = True
    """Keep each request's steps (``timeline.parquet``, what ``mlatsim trace`` tells); the
    request rows are the same either way."""

    @model_validator(mode="after")
    def _periods_fit(self) -> Simulation:
        if self.end <= self.start:
            raise ValueError("end: must be after simulation.start")
        if self.warm_up_days + self.run_out_days + self.drain_days >= self.horizon_days:
            raise ValueError(
                "warm_up_days: warm_up_days + run_out_days + drain_days must be shorter than "
                "the run"
            )
        return self

    @property
    def horizon_days(self) -> int:
        """Length of the run in days."""
        return (self.end - self.start).days

    @property
    def window_end_days(self) -> float:
        """End (exclusive) of the measured window, in days.

        The statistics describe the requests created from the warm-up's end to this day; after
        it come the run-out and the drain.
        """
        return self.horizon_days - self.drain_days - self.run_out_days

    @property
    def measured_window(self) -> tuple[float, float]:
        """The days whose requests the statistics describe: warm-up end, window end."""
        return float(self.warm_up_days), float(self.window_end_days)

    def day_of(self, date: dt.date) -> float:
        """Simulation day of a calendar date (negative before the start)."""
        return float((date - self.start).days)


class World(_Section):
    """Which states of the world data take part."""

    states: list[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]]
    providers: bool = True
    """Draw each need's provider (providers.csv) and answer direct requests at the providers'
    published rates (provider_rates.csv); False: every holder is its state's domestic provider,
    answering at the direct channel's ``1 - p_provider_decline`` (the model before providers)."""
    blocking_statutes: bool = True
    """Apply the blocking statutes of ``blocking_statutes.csv`` to requests that reach a
    provider without the requested state's authorities (docs/model.md 7.9); False: none."""


class Demand(_Section):
    """How many investigations need evidence abroad, and how old that data is."""

    scale: NonNegative
    """Multiplies every state's cases a year."""
    growth_per_year: Annotated[float, Field(ge=-0.5, le=1.0)]
    """Yearly growth of every arrival rate (cases and other matters)."""
    extra_holders_mean: Annotated[float, Field(ge=0.0, le=20.0)]  # more is not a case, a census
    """A case needs 1 + Poisson(this) foreign evidence holders."""
    data_age_days: NonNegative
    """Mean age (exponential) of the wanted data when the case opens."""


class CrimeType(_Section):
    """One type of investigation: its weight, urgency, the data it needs and what it is worth.

    ``seriousness`` and the patience (a lognormal with median ``patience_days`` and log-sd
    ``patience_sigma``) decide whether its investigators start or escalate to a slow formal
    request (:mod:`sim.rules.pursuit`, docs/model.md section 7.4).
    """

    share: NonNegative
    urgent_share: Probability
    emergency_share: Probability = 0.0
    """Of its urgent cases, the share involving danger of death or serious physical injury:
    those open to a provider's emergency disclosure (18 U.S.C. 2702(b)(8), (c)(4))."""
    subscriber: NonNegative
    traffic: NonNegative
    content: NonNegative
    dual_criminality_factor: NonNegative
    """How unevenly the offence is defined across states: multiplies the dual-criminality risk."""
    budapest_offence: bool
    """Whether the conduct is an offence established under Budapest Arts 2-11 (Art. 25(5))."""
    seriousness: Probability
    serious_crime_share: Probability = 1.0
    """Share of its cases whose offence carries a maximum of at least three years' prison: the
    "Serious Crime" of a CLOUD Act agreement (UK-US Art. 1(14)), :mod:`sim.rules.agreements`;
    all of them if not given."""
    patience_days: Positive
    patience_sigma: Annotated[float, Field(ge=0.0, le=10.0)]

    @model_validator(mode="after")
    def _needs_data(self) -> CrimeType:
        if self.subscriber + self.traffic + self.content <= 0:
            raise ValueError("at least one of subscriber, traffic, content must be positive")
        return self


class StateParameters(_Section):
    """A state's parameters that no treaty list gives (see docs/model.md for their basis)."""

    ca_staff: Staff
    cases_per_year: CasesPerYear
    other_matters_per_year: CasesPerYear
    provider_share: NonNegative
    retention_days: Positive | None = None
    """The traffic-data period where a statute sets one (None: ``[retention]`` applies)."""
    cyber_law_completeness: Probability
    evidentiary_standard: EvidentiaryStandard
    voluntary_disclosure: bool
    clarification_factor: NonNegative
    provider_preservation: bool
    """Its providers preserve data on a foreign authority's request (docs/model.md, 7.6)."""
    g7_network: bool
    """A member of the G7 24/7 network (counted only where ``preservation.g7_network``)."""


class StateOverride(_Section):
    """Scenario overrides of one state's parameters; unset fields keep the data's values."""

    ca_staff: Staff | None = None
    cases_per_year: CasesPerYear | None = None
    other_matters_per_year: CasesPerYear | None = None
    provider_share: NonNegative | None = None
    retention_days: Positive | None = None
    cyber_law_completeness: Probability | None = None
    evidentiary_standard: EvidentiaryStandard | None = None
    voluntary_disclosure: bool | None = None
    clarification_factor: NonNegative | None = None
    provider_preservation: bool | None = None
    g7_network: bool | None = None


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


class DataValue(_Section):
    """What each data type is worth to a case, relative to the most useful (content)."""

    subscriber: Probability
    traffic: Probability
    content: Probability


class Routing(_Section):
    """How many channels a request may try, and what decides a slow formal request.

    ``pursuit_scale`` multiplies the value of a need (seriousness times data value, clipped
    to 1) in the pursuit rule; it is the parameter a calibration fits to published formal
    volumes. ``urgent_patience`` is the fraction of its crime type's patience an urgent case
    has.
    """

    max_channels: Annotated[int, Field(ge=1, le=len(CHANNELS))]
    """Channels tried for one request (first choice plus fallbacks)."""
    pursuit_scale: NonNegative
    """Multiplies a need's value in the pursuit rule (fitted to the US formal volume)."""
    urgent_patience: Annotated[float, Field(gt=0.0, le=1.0)]
    """The fraction of its crime type's patience an urgent case has."""
    data_value: DataValue


class CloudActOrders(_Section):
    """Which needs an order under a CLOUD Act executive agreement serves (docs/model.md 7.3).

    The crime types' ``serious_crime_share`` is the agreement's serious-crime threshold; the
    two shares here are the rest of its scope (:mod:`sim.rules.agreements`).
    """

    other_party_person: Probability
    """Share of targets who are the receiving party's persons or in its territory, whom an
    order may not target (UK-US agreement Art. 4(3)-(4)); an assumption."""
    uptake: Probability
    """Share of the needs in scope for which the issuing authorities apply for an order, for
    an issuing state not in ``uptake_by_state``."""
    uptake_by_state: dict[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], Probability]
    """The same share for named issuing states (fitted to the orders each party published)."""


class ConflictingLaw(_Section):
    """Third-country laws that bar a provider from answering an EU production order.

    Regulation (EU) 2023/1543 Art. 17: a provider that holds that complying would breach a
    third country's law objects; the issuing authority reviews the order and, to uphold it,
    asks its court, which lifts it or upholds it (docs/model.md 7.9).
    """

    content_bar: list[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]]
    """States whose law bars their providers from disclosing content to a foreign authority
    (USA: 18 U.S.C. 2702(a), save an agreement order or an emergency)."""
    p_order_lifted: Probability
    """Chance that the court lifts an order it finds in conflict (Art. 17(7)); an assumption."""
    objection_days: NonNegative
    """Mean days the objection and the review add to the order's execution; an assumption."""


class Adaptation(_Section):
    """The states' adaptive behaviours (DESIGN section 1); a strength of 0 switches one off."""

    capacity_response: Probability
    """Capacity response: share of the staffing gap a state closes at each review (0: off)."""
    capacity_review_days: Positive
    """How often a central authority's staffing is reviewed."""
    capacity_lag_days: NonNegative
    """Hiring takes this long after the decision."""
    capacity_budget: Annotated[float, Field(ge=1.0, le=20.0)]
    """Staff never grows past this multiple of the initial staff."""
    backlog_target_days: Positive
    """The wait (backlog over daily capacity) a state tolerates."""
    reciprocity: Probability
    """Reciprocity: normal requests from partners that answer slowly queue later (0: off)."""
    reciprocity_delay_days: NonNegative
    """As if they arrived up to this much later (at full strength)."""
    trust: Probability
    """Trust: shortens legal review and cuts returns, up to 50% (0: off)."""
    trust_rate: Probability
    """How far one exchange moves trust (fulfilled up, refused down)."""
    treaty_uptake: Probability
    """Treaty uptake: chance per review of joining Budapest at full unmet need (0: off)."""
    uptake_review_days: Positive
    """How often a non-party considers joining."""


class Retention(_Section):
    """How long providers keep each data type, where no statute of the holder state says.

    A holder state's ``retention_days`` (a statutory period) replaces ``traffic_days``.
    """

    subscriber_days: Positive
    """Days providers keep subscriber data."""
    traffic_days: Positive
    """Days providers keep traffic data (a state's statutory retention_days replaces it)."""
    content_days: Positive
    """Days providers keep content."""


class PreservationPath(_Section):
    """How long one path of preservation holds data (docs/model.md, section 7.6).

    The data are held ``hold_days``, then renewed ``renewal_days`` at a time, at most
    ``renewals`` times, while the formal request is pending; with ``until_decision`` (Budapest
    Art. 29(7)) they are kept for good once the requested state has the formal request.
    """

    hold_days: Positive
    renewal_days: NonNegative
    renewals: Annotated[int, Field(ge=0, le=100)]
    until_decision: bool


class Preservation(_Section):
    """Expedited preservation before a slow formal request, by the paths open to a pair."""

    enabled: bool
    """Whether requests ask for expedited preservation at all."""
    margin_days: NonNegative
    """Preserve if retention runs out within the channel's nominal time plus this margin."""
    p_success: Probability
    """The provider finds and freezes the data."""
    time: Distribution
    g7_network: bool
    """Whether members of the G7 24/7 network (``g7_network`` states) count as contacts."""
    paths: dict[Literal[PRESERVATION_PATHS[1:]], PreservationPath]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _every_path(self) -> Preservation:
        missing = set(PRESERVATION_PATHS[1:]) - set(self.paths)
        if missing:
            raise ValueError(f"paths lacks {', '.join(sorted(missing))}")
        return self


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
    dual_criminality_data_types: list[DataType]
    """The data types whose measure the test covers (the coercive ones, docs/model.md 7.7)."""
    conduct_test: bool
    """Budapest Art. 25(5): the condition is judged by the conduct, not the offence's label."""
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


def _known_channel(name: str) -> str:
    """``name`` if it is a channel of the vocabulary (read when validating, not at import)."""
    if name in vocabulary.RETIRED_CHANNELS:
        raise ValueError(vocabulary.RETIRED_CHANNELS[name])
    if name not in vocabulary.CHANNELS:
        raise ValueError(f"unknown channel (choose {', '.join(vocabulary.CHANNELS)})")
    return name


class Channels(RootModel[dict[Annotated[str, AfterValidator(_known_channel)], Channel]]):
    """Every channel of ``vocabulary.CHANNELS``, by name, each with its settings.

    A mapping rather than one field per channel, so that adding a channel is its name in the
    vocabulary, its spec in ``sim/rules/channels.py`` and its ``[channels.NAME]`` block, with
    nothing to add here. Every known channel is required and an unknown one is refused, both
    naming the field (``channels.pigeon_post: unknown channel``). Channels read as attributes
    (``channels.eio``), by name (``channels["eio"]``) or in DESIGN order (:meth:`items`).
    """

    # The settings of _Section, less extra="forbid", which a root model cannot take (the
    # key validator refuses unknown channels instead).
    model_config = ConfigDict(frozen=True, strict=True, allow_inf_nan=False)

    @field_validator("root")
    @classmethod
    def _complete(cls, channels: dict[str, Channel]) -> dict[str, Channel]:
        missing = [name for name in vocabulary.CHANNELS if name not in channels]
        if missing:
            raise ValueError(f"{missing[0]}: required field is missing")
        return {name: channels[name] for name in vocabulary.CHANNELS}

    def __getattr__(self, name: str) -> Channel:
        # Only reached for names that are not attributes; pydantic's own (private ones, and
        # root while the model is being built or unpickled) go to pydantic.
        if name.startswith("_") or name == "root":
            return super().__getattr__(name)  # type: ignore[misc, no-any-return]
        try:
            return self.root[name]
        except KeyError:
            raise AttributeError(f"no channel '{name}'") from None

    def __getitem__(self, name: str) -> Channel:
        return self.root[name]

    def items(self) -> list[tuple[str, Channel]]:
        """(name, channel) pairs in DESIGN order."""
        return list(self.root.items())


ISO3 = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class LeverSettings(_Section):
    """What every lever has: its kind, strength and first day (see sim/rules/lever_kinds.py).

    Each kind of lever is a subclass naming itself in ``lever`` and declaring only the fields
    it takes; ``Lever`` is their union, told apart by ``lever``, so a field a kind does not
    take is an unknown field (``levers[2].instrument: unknown field``).
    """

    MAX_STRENGTH: ClassVar[float] = 1.0
    """The largest strength, alone or summed over levers of this kind (docs/levers.md)."""

    lever: str
    strength: Annotated[float, Field(ge=0.0)] = 1.0
    """How strongly it acts: 0 is off, 1 full (some kinds go further: ``MAX_STRENGTH``)."""
    start: dt.date | None = None
    """The first day it applies, inside the run (none: from the run's first day)."""

    @classmethod
    def kind_name(cls) -> str:
        """The lever's name: the one value its ``lever`` field admits."""
        (name,) = get_args(cls.model_fields["lever"].annotation)
        return str(name)

    @field_validator("strength")
    @classmethod
    def _at_most_max(cls, strength: float) -> float:
        if strength > cls.MAX_STRENGTH:
            raise ValueError(f"must be at most {cls.MAX_STRENGTH:g} for lever '{cls.kind_name()}'")
        return strength


class _Targeted(LeverSettings):
    """A lever acting on some states: ``states`` and/or a ``group`` (neither: every state)."""

    states: list[ISO3] = []
    """The ISO3 codes of the states it targets."""
    group: str | None = None
    """A group it targets: all, an instrument's parties, a region (none with no states: all)."""

    @field_validator("group")
    @classmethod
    def _known_group(cls, group: str | None) -> str | None:
        if group is not None and not _GROUP.match(group):
            raise ValueError(
                f"unknown group '{group}' (choose all, an instrument, "
                "signatories:<instrument>, region:<name>, subregion:<name> or contact_24_7)"
            )
        return group


Instrument = Literal[INSTRUMENTS]  # type: ignore[valid-type]
Partners = Annotated[list[ISO3], Field(min_length=1)]


class HarmonisedDefinitionsLever(_Targeted):
    """Offence definitions harmonised in the targeted (requested) states."""

    lever: Literal["harmonised_definitions"]


class StandardProceduresLever(_Targeted):
    """Standard request templates and procedures among the targeted states."""

    lever: Literal["standard_procedures"]


class HarmonisedEvidenceLever(_Targeted):
    """Evidentiary standards for content harmonised in the targeted (requested) states."""

    lever: Literal["harmonised_evidence"]


class PrivacyBridgeLever(_Targeted):
    """A data-protection bridge among the targets, or with ``partners`` between them and those."""

    lever: Literal["privacy_bridge"]
    partners: list[ISO3] = []


class ElectronicTransmissionLever(_Targeted):
    """Secure electronic transmission among the targeted states."""

    lever: Literal["electronic_transmission"]


class CaStaffingLever(_Targeted):
    """More central-authority staff in the targeted states (up to +400%)."""

    MAX_STRENGTH: ClassVar[float] = 4.0
    lever: Literal["ca_staffing"]


class TrainingLever(_Targeted):
    """Training of the targeted (requesting) states' investigators."""

    lever: Literal["training"]


class Preservation247Lever(_Targeted):
    """A 24/7 point of contact and better expedited preservation for the targeted states."""

    lever: Literal["preservation_24_7"]


class DataRetentionLever(_Targeted):
    """Longer data retention in the targeted states (up to five times as long)."""

    MAX_STRENGTH: ClassVar[float] = 4.0
    lever: Literal["data_retention"]


class JoinLever(_Targeted):
    """The targeted states become parties to ``instrument`` (each with chance ``strength``)."""

    lever: Literal["join"]
    instrument: Instrument


class InForceLever(LeverSettings):
    """``instrument`` enters into force; it takes no states (parties are made with ``join``)."""

    lever: Literal["in_force"]
    instrument: Instrument


class NewAgreementLever(_Targeted):
    """A bilateral tie of ``kind`` between each targeted state and each of ``partners``."""

    lever: Literal["new_agreement"]
    kind: Literal[TIE_KINDS]  # type: ignore[valid-type]
    partners: Partners
    uptake: Probability | None = None
    """For a ``cloud_act`` agreement: the share of needs in its scope for which the targeted
    states apply for orders (without it, their ``cloud_act_orders`` uptake)."""

    @model_validator(mode="after")
    def _uptake_of_an_agreement(self) -> NewAgreementLever:
        if self.uptake is not None and self.kind != "cloud_act":
            raise ValueError(f'uptake: only for kind = "cloud_act", not "{self.kind}"')
        return self


LEVER_MODELS: tuple[type[LeverSettings], ...] = (
    HarmonisedDefinitionsLever,
    StandardProceduresLever,
    HarmonisedEvidenceLever,
    PrivacyBridgeLever,
    ElectronicTransmissionLever,
    CaStaffingLever,
    TrainingLever,
    Preservation247Lever,
    DataRetentionLever,
    JoinLever,
    InForceLever,
    NewAgreementLever,
)
"""One scenario model per lever, in the order of ``LEVER_NAMES`` (the registry's order)."""
if tuple(model.kind_name() for model in LEVER_MODELS) != LEVER_NAMES:
    raise TypeError("LEVER_MODELS must name the levers of vocabulary.LEVER_NAMES, in order")


def _lever_tag(value: Any) -> str | None:
    """The name a lever table (or model) gives in ``lever``; None if it gives none."""
    name = value.get("lever") if isinstance(value, dict) else getattr(value, "lever", None)
    return name if isinstance(name, str) else None


Lever = Annotated[
    reduce(or_, (Annotated[model, Tag(model.kind_name())] for model in LEVER_MODELS)),
    Discriminator(
        _lever_tag,
        custom_error_type="unknown_lever",
        custom_error_message=f"lever: unknown or missing lever (choose {', '.join(LEVER_NAMES)})",
    ),
]
"""A scenario's lever: the model of the kind its ``lever`` field names."""


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
    cloud_act_orders: CloudActOrders
    conflicting_law: ConflictingLaw
    adaptation: Adaptation
    retention: Retention
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
