"""The article or rule behind each way a request or an attempt ends, in words for a reader.

A request's story (:mod:`sim.analysis.trace`) says not only *that* a request was refused for
dual criminality but under which rule: the channel's legal basis (the one line of each
``ChannelSpec`` in :mod:`sim.rules.channels`) and the provision or mechanism of
``docs/model.md`` that the model applies for that reason. The wording is kept here, beside
the reasons of :data:`sim.vocabulary.REASONS`, so every reason has exactly one sentence;
:func:`check_wording` refuses a reason without one (a new reason must be explained).
"""

from __future__ import annotations

from sim.rules.channels import CHANNEL_SPECS
from sim.vocabulary import LOSS_DRIVERS, REASONS

BASIS = {spec.name: spec.basis for spec in CHANNEL_SPECS}
"""Each channel's legal basis, as its registry entry states it."""

REASON_RULES = {
    "": "",
    "dual_criminality": (
        "dual criminality: the conduct is not an offence under the requested state's law, a "
        "condition its instrument allows for coercive measures (docs/model.md 7.7)"
    ),
    "data_protection": (
        "data protection: the requested state's review found no adequate safeguards for a "
        "transfer to the requesting state (in the EU, Directive 2016/680 Chapter V; "
        "docs/model.md 7.7)"
    ),
    "insufficient_grounds": (
        "grounds for refusal: insufficient grounds, or the political-offence, sovereignty, "
        "security and ordre public grounds (Budapest Art. 27(4), UNTOC Art. 18(21); "
        "docs/model.md 7.7)"
    ),
    "evidentiary_standard": (
        "evidentiary standard: the requested state's court refused the order for content "
        "under its own standard (the USA: probable cause for a warrant, 18 U.S.C. 2703; "
        "docs/model.md 7.8)"
    ),
    "provider_declined": (
        "the provider declined to produce the data (a direct request is voluntary: for US "
        "providers 18 U.S.C. 2702(c)(6), non-content only; docs/model.md 7.9)"
    ),
    "retention_expired": (
        "the data were gone when execution began: deleted at the end of the holder's "
        "retention period (docs/model.md 7.2, 7.9)"
    ),
    "too_many_clarifications": (
        "returned for clarification more than the channel's max_clarifications times; the "
        "investigators gave up (docs/model.md 7.7)"
    ),
    "timeout": (
        "no answer within the channel's timeout_days: the investigators abandoned the attempt "
        "(docs/model.md 7.10)"
    ),
    "no_channel": (
        "no cooperation channel was open between the two states for this data type "
        "(docs/model.md 7.3)"
    ),
    "conflicting_law": (
        "the provider objected that its home law bars disclosing content to a foreign "
        "authority (US: 18 U.S.C. 2702(a)), and the issuing state's court lifted the European "
        "Production Order (Regulation (EU) 2023/1543 Art. 17; docs/model.md 7.9)"
    ),
    "blocking_statute": (
        "a blocking statute of the requested state kept the data from leaving it without its "
        "authorities' approval, which was refused (e.g. China's Data Security Law Art. 36; "
        "docs/model.md 7.9)"
    ),
}
"""One sentence per reason of :data:`sim.vocabulary.REASONS`: the rule that applied."""

DUAL_CRIMINALITY_BASIS = {
    "bilateral_mlat": "the treaty's dual-criminality clause, for coercive measures only",
    "treaty_mla": "UNTOC Art. 18(9), ETS 030 Art. 5(1)(a): for coercive measures",
    "budapest_mla": "Budapest Art. 25(4), judged by the conduct between Parties (Art. 25(5))",
    "un_convention_mla": "the UN Convention, on the pattern of UNTOC Art. 18(9)",
    "letters_rogatory": "comity: the requested state's own law on coercive measures",
}
"""Where each channel that tests dual criminality takes the test from (docs/model.md 7.7)."""

LOSS_DRIVER_WORDS = {
    "": "",
    "gone_at_request": "the data were already deleted when the need arose",
    "not_asked": "preservation was never asked (the data were expected to outlive the channel)",
    "no_preservation_open": "preservation was due but no path was open to the pair",
    "preservation_failed": "preservation was asked but failed",
    "hold_expired": "the data were preserved, but the hold and its renewals ran out first",
}
"""Why a lost request's data were gone, one phrase per driver of ``LOSS_DRIVERS``."""


def check_wording() -> None:
    """Refuse wording that does not cover exactly the reasons and loss drivers.

    Raises:
        ValueError: naming the reasons or drivers without words, or words for unknown ones.
    """
    for kind, words, names in (
        ("reason", REASON_RULES, REASONS),
        ("loss driver", LOSS_DRIVER_WORDS, LOSS_DRIVERS),
    ):
        if set(words) != set(names):
            missing = sorted(set(names) - set(words))
            unknown = sorted(set(words) - set(names))
            raise ValueError(f"{kind} wording: missing {missing}, unknown {unknown}")


check_wording()


def rule_for(outcome: str, reason: str, channel: str, loss_driver: str = "") -> str:
    """The rule that applied to an attempt or request that ended with ``outcome``, ``reason``.

    A fulfilled one names its channel's legal basis; a pending one says it was still in
    progress; the others give the reason's rule, the channel's source of the dual-criminality
    test where that applies, and a lost request's driver.
    """
    basis = BASIS.get(channel, "")
    if outcome == "fulfilled":
        return f"answered; legal basis: {basis}" if basis else "answered"
    if outcome == "pending":
        return "still in progress when the run ended (censored at the horizon)"
    text = REASON_RULES.get(reason, reason)
    if reason == "dual_criminality" and channel in DUAL_CRIMINALITY_BASIS:
        text += f"; on this channel: {DUAL_CRIMINALITY_BASIS[channel]}"
    if reason == "retention_expired" and LOSS_DRIVER_WORDS.get(loss_driver):
        text += f"; {LOSS_DRIVER_WORDS[loss_driver]}"
    return text
