"""The world as a network of treaty ties, coloured by time to evidence or by membership.

No package here ships country shapes for offline use, and nothing may be downloaded at run
time, so the world is drawn as a graph (networkx, a dependency of Mesa's): one node per state,
one edge per bilateral tie in force (an MLA treaty or agreement, a CLOUD Act agreement, or a
suspension, drawn dashed). The ties and memberships are the reform's, on the last day of the
run: its treaty levers are applied to the calendar as a replication applies them
(:func:`sim.rules.levers.resolve`, with replication 0's draws).
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from sim.analysis.figure_style import new_figure
from sim.config.schema import Scenario
from sim.engine.streams import RandomStreams
from sim.rules.levers import resolve
from sim.vocabulary import INSTRUMENTS, TIE_KINDS
from sim.world.build import build_world
from sim.world.data import load_world_data

MEDIAN = "median time to evidence"
"""The colouring by each requested state's median days to evidence."""
COLOURINGS = (MEDIAN, *(f"party to {name}" for name in INSTRUMENTS))
"""What the nodes may be coloured by."""
_STYLE = {"mlat": "solid", "mla_agreement": "solid", "cloud_act": "solid", "suspended": "dashed"}
_TIE_COLOUR = {
    "mlat": "#777777",
    "mla_agreement": "#999999",
    "cloud_act": "#0072b2",
    "suspended": "#d55e00",
}


def treaty_graph(scenario: Scenario) -> nx.Graph:
    """The scenario's states and their bilateral ties on its last day.

    Nodes carry ``parties``: the instruments the state is bound by that day. Edges carry
    ``kind``: the tie kinds in force between the two.
    """
    world = build_world(load_world_data(), scenario)
    calendar = world.calendar.fork()
    streams = RandomStreams(scenario.simulation.seed, 0)
    resolve(scenario, world.states, calendar, streams["levers/join"])
    day = float(scenario.simulation.horizon_days - 1)
    codes = [state.iso3 for state in world.states]
    graph = nx.Graph()
    for code in codes:
        parties = tuple(name for name in INSTRUMENTS if calendar.is_party(code, name, day))
        graph.add_node(code, parties=parties)
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            kinds = tuple(kind for kind in TIE_KINDS if calendar.has_tie(kind, a, b, day))
            if kinds:
                graph.add_edge(a, b, kind=kinds[-1] if "suspended" in kinds else kinds[0])
    return graph


def world_figure(
    graph: nx.Graph, colouring: str = MEDIAN, medians: Mapping[str, float] | None = None
) -> Figure:
    """Draw the graph, nodes coloured by ``colouring`` (one of :data:`COLOURINGS`).

    Args:
        graph: From :func:`treaty_graph`.
        colouring: What colours the nodes.
        medians: Median days to evidence by requested state (for :data:`MEDIAN`); states
            without one are grey.
    """
    fig = new_figure(8.0, 6.0)
    ax = fig.subplots()
    positions = nx.circular_layout(sorted(graph.nodes))
    for kind in TIE_KINDS:
        edges = [(a, b) for a, b, k in graph.edges(data="kind") if k == kind]
        if edges:
            nx.draw_networkx_edges(
                graph,
                positions,
                edgelist=edges,
                ax=ax,
                style=_STYLE[kind],
                edge_color=_TIE_COLOUR[kind],
                width=1.5,
                label=kind,
            )
    nodes = sorted(graph.nodes)
    if colouring == MEDIAN:
        values = {code: (medians or {}).get(code, float("nan")) for code in nodes}
        finite = [v for v in values.values() if np.isfinite(v)]
        norm = Normalize(min(finite, default=0.0), max(finite, default=1.0))
        cmap = colormaps["viridis"]
        colours = [
            cmap(norm(values[code])) if np.isfinite(values[code]) else "#cccccc" for code in nodes
        ]
        mappable = cmap_scalar(cmap, norm)
        fig.colorbar(mappable, ax=ax, label="median days to evidence (requested state)")
        ax.set_title("Treaty ties; states coloured by median time to evidence")
    else:
        instrument = colouring.removeprefix("party to ")
        colours = [
            "#009e73" if instrument in graph.nodes[code]["parties"] else "#dddddd" for code in nodes
        ]
        ax.set_title(f"Treaty ties; green: party to {instrument}")
    nx.draw_networkx_nodes(graph, positions, nodelist=nodes, node_color=colours, ax=ax)
    nx.draw_networkx_labels(graph, positions, ax=ax, font_size=8)
    ax.legend(fontsize=7, loc="lower right", title="bilateral ties")
    ax.set_axis_off()
    return fig


def cmap_scalar(cmap: object, norm: Normalize) -> object:
    """A colour-bar source for a colour map and a range (no pyplot)."""
    from matplotlib.cm import ScalarMappable

    return ScalarMappable(norm=norm, cmap=cmap)  # type: ignore[arg-type]
