"""The dashboard's local server: Solara's Starlette app under uvicorn, on localhost.

The page (:mod:`sim.dashboard.app`) is given its settings and registered as Solara's default
app before the server starts. The server listens on 127.0.0.1 only: the page runs simulations
on this machine, for whoever sits at it.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import tempfile
from pathlib import Path

from sim.config.loading import Calibration
from sim.errors import InputError

DEFAULT_PORT = 8765
HOST = "127.0.0.1"


def port_free(port: int, host: str = HOST) -> bool:
    """Whether ``port`` can be listened on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def choose_port(asked: int | None, host: str = HOST) -> int:
    """The port asked for (an error if taken), else 8765 if free, else one the system picks.

    Raises:
        InputError: naming ``--port`` if the port asked for is taken.
    """
    if asked is not None:
        if not port_free(asked, host):
            raise InputError("--port", f"{asked} is in use; choose another or leave it out")
        return asked
    if port_free(DEFAULT_PORT, host):
        return DEFAULT_PORT
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def serve(scenario: Path, calibration: Calibration, workers: int, port: int, say=print) -> None:
    """Serve the dashboard until interrupted; ``say`` is told its address first.

    The page is registered with Solara directly as its default app (what its ``SOLARA_APP``
    variable would do), so nothing is passed through the environment.
    """
    from solara.server import app as solara_app

    from sim.dashboard import app
    from sim.experiments import preflight

    loaded = preflight.load(scenario, calibration)
    # The runs' files live as long as the server: removed when it stops (Ctrl-C or SIGTERM,
    # which the command line turns into exceptions that leave this block).
    with tempfile.TemporaryDirectory(prefix="mlatsim-dashboard-") as folder:
        root = Path(folder)
        app.configure(app.Settings(loaded, scenario, calibration, workers, root))
        solara_app.apps["__default__"] = solara_app.AppScript("sim.dashboard.app:Page")
        import uvicorn
        from solara.server.starlette import app as starlette_app

        config = uvicorn.Config(starlette_app, host=HOST, port=port, log_level="warning")
        server = uvicorn.Server(config)
        say(
            f"mlatsim dashboard: http://{HOST}:{port}/ (runs kept in {root} until it stops; "
            "Ctrl-C stops it)"
        )
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
    sys.stdout.flush()


__all__ = ["DEFAULT_PORT", "HOST", "InputError", "choose_port", "port_free", "serve"]
