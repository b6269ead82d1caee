"""A request's story, read from a result directory: what happened to it, step by step, and why.

Teaching what a reform does starts from one request: the investigator drafts it, it waits at
a central authority, it is returned for clarification, refused for dual criminality, its data
are lost before execution. The request rows (``requests.parquet``) hold the sums per stage;
the run's timeline (``timeline.parquet``, :mod:`sim.engine.timeline`) holds the order. This
module joins the two for one request into a :class:`RequestStory` (plain values, for the
terminal of ``mlatsim trace`` and for the dashboard alike) and writes it as text
(:func:`format_story`); :func:`pick_request` chooses a typical slow, refused or lost one.

The story accounts for the request's whole time: its stage spans (queue wait, then service)
and its requests for preservation add up to its time to outcome, as the request rows'
``<stage>_days`` do (``sim.engine.records.RequestLog``). A pending request's spans stop at
the run's horizon, where its row stops too.

Errors (no directory, no timeline in it, an unknown request) are :class:`~sim.errors.InputError`
of one line, which the command line prints and the dashboard shows beside the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.analysis.trace_rules import BASIS, rule_for
from sim.analysis.trace_text import story_lines
from sim.errors import InputError
from sim.rules.channels import FORMAL_MLA
from sim.vocabulary import STAGES

TIMELINE_FILE = "timeline.parquet"
"""Each request's steps in a run's result directory (``simulation.timeline``)."""
REQUESTS_FILE = "requests.parquet"
PICKS = ("slow", "refused", "lost")
"""What :func:`pick_request` can choose: a slow fulfilled request, a refused one, a lost one."""
_FORMAL_QUANTILE, _QUANTILE = 0.9, 0.99
"""A "slow" request: nearest this quantile of formal MLA's times to evidence, or of all."""
_BAR = 40
"""Width of the time bar of :func:`format_story`, in characters."""


@dataclass(frozen=True, slots=True)
class Span:
    """One step of a request: a stage of an attempt, or a request for preservation.

    Attributes:
        attempt: The attempt it belongs to (1 for the first channel tried).
        channel: The attempt's channel.
        stage: A stage of ``STAGES``, or ``"preservation"``.
        returns: Returns for clarification before it (0 on the first pass through the channel).
        entered_day: When it joined the stage (or its queue).
        start_day: When a server took it (``entered_day`` for a stage without a queue).
        end_day: When it left the stage (the horizon for a pending request's last stage).
        preservation: For a preservation span, the path asked (else ``"none"``).
        preserved: For a preservation span, whether it froze the data.
        in_progress: The run ended during this span (a pending request).
    """

    attempt: int
    channel: str
    stage: str
    returns: int
    entered_day: float
    start_day: float
    end_day: float
    preservation: str = "none"
    preserved: bool = False
    in_progress: bool = False

    @property
    def days(self) -> float:
        """Days from entering to leaving (wait and service)."""
        return self.end_day - self.entered_day

    @property
    def wait_days(self) -> float:
        """Days queued before a server took it (0 for a stage without a queue)."""
        return self.start_day - self.entered_day


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one attempt on a channel ended.

    Attributes:
        number: 1 for the first channel tried.
        channel: The channel.
        outcome: ``fulfilled``, ``refused``, ``lost`` or ``abandoned`` (``pending`` if the run
            ended during it).
        reason: The reason (``""`` if fulfilled or pending).
        end_day: When it ended (the horizon if pending).
        basis: The channel's legal basis.
        rule: The article or rule that applied (:func:`sim.analysis.trace_rules.rule_for`).
    """

    number: int
    channel: str
    outcome: str
    reason: str
    end_day: float
    basis: str
    rule: str


@dataclass(frozen=True, slots=True)
class RequestStory:
    """Everything the records say about one request, in the order it happened.

    Attributes:
        replication: The replication it belongs to.
        request_id: Its id in the replication.
        facts: Its row of ``requests.parquet`` as plain values (case, crime type, states,
            provider, data type, urgency, ...).
        spans: Its stages and requests for preservation, in time order.
        attempts: How each attempt ended, in order.
        outcome: The request's outcome.
        reason: Its reason (``""`` if none).
        loss_driver: Why a lost request's data were gone (``""`` otherwise).
        rule: The article or rule behind the outcome.
        created_day: The day it was created.
        outcome_day: The day its outcome was known (the horizon if pending).
    """

    replication: int
    request_id: int
    facts: dict[str, object]
    spans: tuple[Span, ...]
    attempts: tuple[Attempt, ...]
    outcome: str
    reason: str
    loss_driver: str
    rule: str
    created_day: float
    outcome_day: float

    @property
    def time_to_outcome_days(self) -> float:
        """Days from creation to the outcome (to the horizon if pending)."""
        return self.outcome_day - self.created_day

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels tried, in order."""
        return tuple(attempt.channel for attempt in self.attempts)

    @property
    def stage_days(self) -> float:
        """Days in stages (waits included), as the request row's ``<stage>_days`` sum them."""
        return math.fsum(span.days for span in self.spans if span.stage != "preservation")

    @property
    def wait_days(self) -> float:
        """Days queued for a server, as the row's ``<stage>_wait_days`` sum them."""
        return math.fsum(span.wait_days for span in self.spans if span.stage != "preservation")

    @property
    def preservation_days(self) -> float:
        """Days spent asking for preservation (in no stage)."""
        return math.fsum(span.days for span in self.spans if span.stage == "preservation")

    @property
    def clarifications(self) -> int:
        """Times it was returned for clarification."""
        return int(self.facts.get("clarifications", 0))  # type: ignore[call-overload]


def _read(
    path: Path, filters: list[tuple[str, str, object]] | None, columns: list[str] | None = None
) -> pd.DataFrame:
    """Rows of a Parquet file that pass ``filters``; a file that cannot be read is an error."""
    try:
        return pd.read_parquet(path, filters=filters, columns=columns)
    except (OSError, ValueError) as exc:
        raise InputError(str(path), f"cannot be read ({_first_line(exc)})") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _result_files(result_dir: Path, timeline: bool = True) -> tuple[Path, Path]:
    """The requests and timeline files of a run's result directory, checked to exist."""
    result_dir = Path(result_dir)
    if not result_dir.is_dir():
        raise InputError(str(result_dir), "is not a directory (give a run's result directory)")
    requests = result_dir / REQUESTS_FILE
    if not requests.is_file():
        raise InputError(
            str(result_dir), f"holds no {REQUESTS_FILE}: it is not a run's result directory"
        )
    steps = result_dir / TIMELINE_FILE
    if timeline and not steps.is_file():
        raise InputError(
            str(result_dir),
            f"holds no {TIMELINE_FILE}: the run kept no timeline (simulation.timeline = false "
            "or --no-timeline); run it again with --timeline",
        )
    return requests, steps


def load_story(result_dir: Path, request_id: int, replication: int = 0) -> RequestStory:
    """The story of request ``request_id`` of ``replication`` in a run's result directory.

    Raises:
        InputError: if the directory is not a run's result, holds no timeline, lacks the
            replication or the request, or a file cannot be read (one line naming it).
    """
    requests_path, timeline_path = _result_files(result_dir)
    which = [("replication", "==", replication), ("request_id", "==", request_id)]
    rows = _read(requests_path, which)
    if rows.empty:
        _explain_missing(requests_path, request_id, replication)
    row = {key: _plain(value) for key, value in rows.iloc[0].items()}
    steps = _read(timeline_path, which)
    created = float(row["created_day"])  # type: ignore[arg-type]
    outcome_day = created + float(row["time_to_outcome_days"])  # type: ignore[arg-type]
    spans = _spans(steps, row, created, outcome_day)
    attempts = _attempts(steps, row, outcome_day)
    outcome, reason = str(row["outcome"]), str(row["reason"])
    driver = str(row.get("loss_driver", ""))
    last = str(row["channel"])
    return RequestStory(
        replication=replication,
        request_id=request_id,
        facts=row,
        spans=spans,
        attempts=attempts,
        outcome=outcome,
        reason=reason,
        loss_driver=driver,
        rule=rule_for(outcome, reason, last, driver),
        created_day=created,
        outcome_day=outcome_day,
    )


def _plain(value: object) -> object:
    """A cell as a plain Python value (categories as strings, numpy scalars unwrapped)."""
    if hasattr(value, "item"):
        return value.item()  # type: ignore[union-attr]
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _explain_missing(requests_path: Path, request_id: int, replication: int) -> None:
    """Raise the error for a request or replication the run does not have."""
    rows = _read(requests_path, [("replication", "==", replication)], ["request_id"])
    if rows.empty:
        known = _read(requests_path, None, ["replication"])["replication"].unique()
        raise InputError(
            "replication",
            f"the run has no replication {replication} (it has 0 to {int(known.max())})",
        )
    ids = rows["request_id"]
    raise InputError(
        "request",
        f"replication {replication} has no request {request_id} "
        f"(its ids run from {int(ids.min())} to {int(ids.max())})",
    )


def _spans(
    steps: pd.DataFrame, row: dict[str, object], created: float, outcome_day: float
) -> tuple[Span, ...]:
    """The stage and preservation spans, clipped to the outcome day.

    A preservation span begins where the request's previous step ended; a stage planned to
    begin after a pending request's horizon did not happen within the run and is left out;
    a stage a server had at the horizon takes its wait from the request row (the row's wait
    for that stage less the waits of its earlier visits).
    """
    spans: list[Span] = []
    waited = dict.fromkeys(STAGES, 0.0)
    previous_end = created
    for step in steps.itertuples(index=False):
        stage = str(step.stage)
        if stage == "attempt_end":  # an attempt's end as a row of its own: no time in it
            continue
        entered = previous_end if stage == "preservation" else float(step.entered_day)
        if entered >= outcome_day and entered > created:
            continue  # planned beyond the horizon of a pending request
        end = min(float(step.end_day), outcome_day)
        start = float(step.start_day)
        if stage == "preservation":
            start = entered
        elif math.isnan(start):  # in service at the horizon: the row knows the wait
            total = float(row[f"{stage}_wait_days"])  # type: ignore[arg-type]
            start = entered + max(0.0, total - waited[stage])
        start = min(start, end)
        if stage in waited:
            waited[stage] += start - entered
        spans.append(
            Span(
                attempt=int(step.attempt),
                channel=str(step.channel),
                stage=stage,
                returns=int(step.returns),
                entered_day=entered,
                start_day=start,
                end_day=end,
                preservation=str(step.preservation),
                preserved=bool(step.preserved),
                in_progress=str(row["outcome"]) == "pending" and float(step.end_day) >= outcome_day,
            )
        )
        previous_end = end
    return tuple(spans)


def _attempts(
    steps: pd.DataFrame, row: dict[str, object], outcome_day: float
) -> tuple[Attempt, ...]:
    """How each attempt ended; an attempt the run ended during is pending."""
    ends = {
        int(step.attempt): step
        for step in steps.itertuples(index=False)
        if isinstance(step.outcome, str)  # the attempt's last step carries its outcome
    }
    channels: dict[int, str] = {}
    for step in steps.itertuples(index=False):
        channels.setdefault(int(step.attempt), str(step.channel))
    attempts = []
    for number, channel in sorted(channels.items()):
        end = ends.get(number)
        if end is None or float(end.end_day) > outcome_day:
            outcome, reason, day = "pending", "", outcome_day
        else:
            outcome, reason, day = str(end.outcome), _reason(end.reason), float(end.end_day)
        driver = str(row.get("loss_driver", "")) if outcome == "lost" else ""
        attempts.append(
            Attempt(
                number=number,
                channel=channel,
                outcome=outcome,
                reason=reason,
                end_day=day,
                basis=BASIS.get(channel, ""),
                rule=rule_for(outcome, reason, channel, driver),
            )
        )
    return tuple(attempts)


def _reason(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def pick_request(result_dir: Path, which: str, replication: int = 0) -> int:
    """A request to tell: ``slow``, ``refused`` or ``lost``, the same one every time.

    ``slow``: among requests fulfilled through formal MLA (the slow path, through central
    authorities' queues), the one nearest their 90th percentile of time to evidence (slow,
    but not a freak); if none was, the fulfilled request nearest the 99th percentile (most
    requests are direct ones, answered in days). ``refused``: among refusals for the most
    common reason, the one nearest their median time to outcome. ``lost``: the lost request
    nearest the median time to outcome of lost ones. Ties go to the lowest id.

    Raises:
        InputError: for another ``which``, a directory that is not a run's result, or a
            replication with no such request.
    """
    if which not in PICKS:
        raise InputError("pick", f"'{which}' is not one of {', '.join(PICKS)}")
    requests_path, _ = _result_files(result_dir, timeline=False)
    columns = ["request_id", "channel", "outcome", "reason", "time_to_outcome_days"]
    rows = _read(requests_path, [("replication", "==", replication)], columns)
    if rows.empty:
        _explain_missing(requests_path, 0, replication)
    outcome = {"slow": "fulfilled", "refused": "refused", "lost": "lost"}[which]
    chosen = rows[rows["outcome"] == outcome]
    if chosen.empty:
        raise InputError("pick", f"replication {replication} has no {outcome} request")
    quantile = 0.5
    if which == "slow":
        formal = chosen[chosen["channel"].astype(str).isin(FORMAL_MLA)]
        chosen, quantile = (formal, _FORMAL_QUANTILE) if len(formal) else (chosen, _QUANTILE)
    if which == "refused":
        common = chosen["reason"].astype(str).value_counts()
        top = common[common == common.max()].index.min()  # ties: alphabetical, so stable
        chosen = chosen[chosen["reason"].astype(str) == top]
    times = chosen["time_to_outcome_days"]
    target = float(times.quantile(quantile, interpolation="nearest"))
    distance = (times - target).abs()
    nearest = chosen[distance == distance.min()]
    return int(nearest["request_id"].min())


def format_story(story: RequestStory) -> str:
    """The story as text for a terminal: who asked whom for what, each step with a time bar.

    The bar of a step spans its days on the request's own time line (creation to outcome):
    ``░`` while it waits for a server, ``█`` while it is served, ``▒`` while preservation
    is asked.
    """
    return "\n".join(story_lines(story, _BAR))
