"""The soak service: long runs over many scenarios and seeds that never lose a finding.

One module per job:

- ``plan``: lanes (scenario x variant x strategy), shards and seed batches: which runs exist
- ``findings``: what a failed run is (kind, oracle, label) and its deduplication signature
- ``protocol``: the typed messages between supervisor and worker, decoded once at the pipe
- ``worker``: the worker process: runs batches of seeds, writes the artifacts of new findings
- ``runner``: one run in a worker: the coverage new to that worker, rff campaigns that last as
  long as the worker
- ``pool`` and ``watchdog``: one worker process seen from the supervisor; when it is hung
- ``queue``, ``ledger``, ``dispatch``: what runs next; recording and committing results;
  keeping one worker busy
- ``supervisor`` and ``snapshot``: the trio supervisor (signals, --duration, the end) and the
  frozen snapshots of its state that everything else reads
- ``schema``, ``store``, ``rows``, ``paths``, ``merge``: the SQLite findings store (WAL),
  checked when opened, its records, the artifact paths it may name, merging stores
- ``options``, ``progress``, ``status``, ``summary``: checked values; live display and
  heartbeat lines; the HTTP status endpoint (/healthz, /metrics, /findings); the summary

The commands ``pcemu soak`` and ``pcemu findings`` live in ``emulator.cli.soak``.

Wall-clock reads live here and only here: the replayable model never sees them, and nothing
of the soak enters a run's log or trace.
"""
