"""Whether an investigator turns an evidence need abroad into a request at all.

Many needs that only formal mutual legal assistance could serve are never pursued: the
request would take longer than the investigation can wait, or cost more than the case is
worth (docs/model.md, section 7.4). The uniform number is the need's own (keyed by the need,
docs/model.md section 4.9), so a scenario that opens other routes to it decides with the same
number; the engine counts the needs not pursued in the requesting state's ``unpursued``
series.
"""

from __future__ import annotations

from sim.rules.channels import FORMAL_MLA


def pursues(routes: tuple[str, ...], u: float, p_pursue_formal: float) -> bool:
    """Whether a need becomes a request.

    The rule: a need whose fastest open channel is a formal MLA channel (``FORMAL_MLA``: the
    slow route through central authorities is the best there is) is pursued with probability
    ``p_pursue_formal``; a need with a faster channel open, or with none open at all (it is
    then requested and abandoned for want of a channel), is always pursued.

    Args:
        routes: The channels open to the need, fastest first.
        u: The investigator's uniform draw on [0, 1).
        p_pursue_formal: ``routing.p_pursue_formal``.
    """
    return u < p_pursue_formal or not routes or routes[0] not in FORMAL_MLA
