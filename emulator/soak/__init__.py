"""The soak service: long runs over many scenarios and seeds that never lose a finding.

One module per job:

- ``plan``: lanes (scenario x variant x strategy), shards and seed batches: which runs exist
- ``findings``: what a failed run is (kind, oracle, label) and its deduplication signature
- ``store``: the SQLite findings store (WAL), batch and finding rows, merge
- ``worker``: the worker process: runs batches of seeds, writes the artifacts of new findings
- ``pool``: one worker process seen from the supervisor: spawn, feed, watchdog, replace
- ``supervisor``: the trio supervisor: dispatch, self-check, signals, stop, summary
- ``progress``: live display on a terminal, JSON heartbeat lines off one
- ``status``: the HTTP status endpoint (/healthz, /metrics, /findings)

The commands ``pcemu soak`` and ``pcemu findings`` live in ``emulator.cli.soak``.

Wall-clock reads live here and only here: the replayable model never sees them, and nothing
of the soak enters a run's log or trace.
"""
