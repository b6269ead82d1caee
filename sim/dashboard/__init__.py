"""``mlatsim dashboard``: a local web page to run a reform against the teaching world.

The page (Solara, which Mesa's visualisation is built on) is a thin view over plain modules
that can be tested without a browser: :mod:`sim.dashboard.controls` (the page's fields, read
from the scenario schema, and the scenarios they make), :mod:`sim.dashboard.live` (an executor
that shows one replication's state while it runs), :mod:`sim.dashboard.session` (a run: the
baseline and the reform through the same runner, store and comparison as the command line),
:mod:`sim.dashboard.world_graph` and :mod:`sim.dashboard.figures` (what the page draws),
:mod:`sim.dashboard.app` (the page) and :mod:`sim.dashboard.server` (the local server).
"""
