"""``python -m sim``: the same as the ``mlatsim`` command."""

from sim.cli import main

raise SystemExit(main())
