"""Which evidence needs an order under a CLOUD Act executive agreement may serve.

An executive agreement under 18 U.S.C. 2523 (in the world data: UK-US from 3 Oct 2022,
Australia-US from 31 Jan 2024) lets one party's authorities order a provider in the other's
territory to disclose data directly, and lifts the Stored Communications Act's bar on
disclosing content to a foreign government for such orders (18 U.S.C. 2702(b)(9)). The router
opens the channel to every pair the agreement ties (:mod:`sim.rules.channels`); whether a
given need may use it depends on the agreement's scope, which is per case, not per pair:

- **Serious crime.** Orders may be issued only for the prevention, detection, investigation or
  prosecution of a Serious Crime, an offence punishable by a maximum term of imprisonment of
  at least three years (UK-US agreement Arts. 1(14) and 4(1); 18 U.S.C. 2523(b)(4)(D)(i)).
  Each crime type gives the share of its cases that meet the threshold
  (``crime_types.NAME.serious_crime_share``).
- **Not the other party's persons.** An order may not intentionally target a person of the
  receiving party or a person located in its territory (UK-US Art. 4(3)-(4); 18 U.S.C.
  2523(b)(4)(A)-(B)); ``cloud_act_orders.other_party_person`` is the share of targets who are
  (an assumption: no published figure).
- **Uptake.** The issuing authorities apply for an order (in the UK an Overseas Production
  Order from a Crown Court judge, Crime (Overseas Production Orders) Act 2019 s. 1) for a
  share of the needs in scope: ``cloud_act_orders.uptake_by_state``, or ``uptake`` for a
  state not listed. The UK made 37 such orders for
  stored data in the agreement's first two years, against 20,105 interception orders (UK-US
  report of Nov 2024, as summarised in docs/validation.md V29); no mechanism of the model
  explains so low a use of a fast route, so the share is fitted to that count, and the US
  share to the 63 orders the US sent to UK providers; V29 is then a calibration target, not
  a validation (docs/model.md section 7.3). A ``new_agreement`` lever of kind ``cloud_act``
  may give its states an ``uptake`` of their own: how much new parties would use an agreement
  is the crux of such a reform.

A need out of scope loses the channel from its routes before the pursuit rule weighs it, so
it goes by the next open channel (a direct request, or formal MLA if the investigator pursues
it). The decision is one comparison of the need's own uniform with the product of the three
shares, which are independent by assumption.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sim.config.schema import CloudActOrders, CrimeType

CLOUD_ACT = "cloud_act"
"""The channel of the executive agreements (``vocabulary.CHANNELS``)."""


@dataclass(frozen=True)
class AgreementScope:
    """The chance that a need may be served by an agreement order, by issuing state and crime.

    Attributes:
        in_scope: By requesting state's number, then crime number: serious-crime share x
            (1 - other-party person) x the state's uptake.
    """

    in_scope: tuple[tuple[float, ...], ...]

    @classmethod
    def from_settings(
        cls,
        orders: CloudActOrders,
        crime_types: Sequence[CrimeType],
        states: Sequence[str],
        levers: Mapping[str, float] | None = None,
    ) -> AgreementScope:
        """The scope for the run's states (ISO3 codes by number) and crime types, in order.

        Args:
            orders: The scenario's ``cloud_act_orders``.
            crime_types: The crime types, in the run's order.
            states: The run's states' ISO3 codes, by number.
            levers: Uptake that ``new_agreement`` levers give their states (over ``orders``).
        """
        kept = 1.0 - orders.other_party_person
        uptake = {**orders.uptake_by_state, **(levers or {})}
        return cls(
            tuple(
                tuple(
                    crime.serious_crime_share * kept * uptake.get(iso3, orders.uptake)
                    for crime in crime_types
                )
                for iso3 in states
            )
        )

    def narrow(
        self, routes: tuple[str, ...], requesting: int, crime: int, u: float
    ) -> tuple[str, ...]:
        """``routes`` without the agreement's channel if the need is out of its scope.

        Args:
            routes: The channels open to the need, fastest first.
            requesting: The requesting (issuing) state's number.
            crime: The case's crime number.
            u: The need's own uniform for this decision.
        """
        if CLOUD_ACT not in routes or u < self.in_scope[requesting][crime]:
            return routes
        return tuple(name for name in routes if name != CLOUD_ACT)
