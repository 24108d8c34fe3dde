"""The resident research process: ``backtest grid`` and ``walkforward`` in the terminal hand their work to one
kept-running process per home, so a research loop pays the interpreter, numpy/pandas/numba and the kernels'
load once, as a notebook does, instead of on every command.

- ``wire``: where the process listens (a Unix socket only this OS user may open), the message framing, and the
  fingerprint of the settings a process was started with.
- ``boot``: the process's start-up (``python -m api.research_server``): one per home, the research stack and the
  kernels loaded once. ``server``: it answers one request at a time and ends when idle, when its code or settings
  changed (``self_watch``), or when told to stop.
- ``client``: what the commands call: the resident process when it is up and matches, else this process (and
  then starts the resident one for the next command).

The work itself is the research service's (same actor, same policy, same stored run); only where it runs
differs. ``QUANTPILOT_RESEARCH_SERVER=off`` runs every command in its own process.
"""
