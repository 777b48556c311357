"""The status endpoint of a running soak (``--listen HOST:PORT``, 127.0.0.1 by default).

- ``GET /healthz``: 200 and a small JSON body while the supervisor's event loop is alive (the
  Docker HEALTHCHECK asks it)
- ``GET /metrics``: Prometheus text format, made by prometheus-client from the live counters
- ``GET /findings``: the findings store as JSON, each finding with its reproduce command

A tiny HTTP/1.0 server on trio: one request per connection, bounded request size and time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence, Sized
from typing import Any, Protocol

import trio
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from emulator.errors import BadInput
from emulator.soak.jobs import SoakConfig, Stats
from emulator.soak.plan import Plan
from emulator.soak.rows import FindingRow
from emulator.soak.summary import finding_json


class _Worker(Protocol):
    @property
    def alive(self) -> bool: ...


class Supervisor(Protocol):
    """What the endpoint reads of the running supervisor (which passes itself)."""

    @property
    def cfg(self) -> SoakConfig: ...
    @property
    def plan(self) -> Plan: ...
    @property
    def stats(self) -> Stats: ...
    @property
    def session(self) -> int: ...
    @property
    def findings(self) -> Sequence[FindingRow]: ...
    @property
    def workers(self) -> Sequence[_Worker]: ...
    @property
    def inflight(self) -> Sized: ...
    @property
    def stop_reason(self) -> str | None: ...
    def remaining(self) -> float | None: ...
    def coverage_counts(self) -> Mapping[str, tuple[int, int]]: ...


MAX_REQUEST = 8192
REQUEST_TIMEOUT = 5.0
PROM_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class SoakCollector(Collector):
    def __init__(self, sup: Supervisor) -> None:
        self.sup = sup

    def collect(self) -> Iterator[Metric]:
        sup = self.sup
        st = sup.stats
        runs = CounterMetricFamily(
            "pcemu_soak_runs",
            "Runs finished in this session",
            labels=["scenario", "variant", "strategy"],
        )
        for lane, n in zip(sup.plan.lanes, st.lane_runs, strict=True):
            runs.add_metric([lane.scenario, lane.variant, lane.strategy], n)
        yield runs
        yield CounterMetricFamily("pcemu_soak_steps", "Steps executed in this session", st.steps)
        yield CounterMetricFamily(
            "pcemu_soak_batches_committed", "Batches committed in this session", st.committed
        )
        yield CounterMetricFamily(
            "pcemu_soak_worker_restarts", "Workers replaced after a crash or hang", st.restarts
        )
        yield CounterMetricFamily(
            "pcemu_soak_selfcheck_runs",
            "Runs re-run by the determinism self-check",
            st.check_runs,
        )
        # expected="true": a violation its scenario declares for that variant; alert on "false".
        found = GaugeMetricFamily(
            "pcemu_soak_findings", "Distinct findings in the store", labels=["kind", "expected"]
        )
        hits = GaugeMetricFamily(
            "pcemu_soak_finding_hits",
            "Runs that hit a finding, all sessions",
            labels=["kind", "expected"],
        )
        by_kind: dict[tuple[str, str], tuple[int, int]] = {}
        for f in sup.findings:
            key = (f.kind, "false" if f.unexpected else "true")
            n, c = by_kind.get(key, (0, 0))
            by_kind[key] = (n + 1, c + f.count)
        for key, (n, c) in sorted(by_kind.items()):
            found.add_metric(list(key), n)
            hits.add_metric(list(key), c)
        yield found
        yield hits
        # Coverage of every committed run, all sessions: it only grows, and a soak that stops
        # finding new pairs has explored what its strategies reach.
        rf = GaugeMetricFamily(
            "pcemu_coverage_reads_from",
            "Distinct reads-from pairs (reading label, writer label) of committed runs",
            labels=["scenario"],
        )
        orders = GaugeMetricFamily(
            "pcemu_coverage_conflict_orders",
            "Distinct conflict orders (earlier label, later label) of committed runs",
            labels=["scenario"],
        )
        for scenario, (n_rf, n_ord) in sup.coverage_counts().items():
            rf.add_metric([scenario], n_rf)
            orders.add_metric([scenario], n_ord)
        yield rf
        yield orders
        left = sup.remaining()
        if left is not None:
            yield GaugeMetricFamily(
                "pcemu_soak_remaining_seconds", "Seconds of --duration left", left
            )
        yield GaugeMetricFamily(
            "pcemu_soak_workers", "Worker processes alive", sum(1 for w in sup.workers if w.alive)
        )
        yield GaugeMetricFamily(
            "pcemu_soak_inflight_batches", "Batches in flight", len(sup.inflight)
        )
        yield GaugeMetricFamily("pcemu_soak_uptime_seconds", "Seconds since start", st.elapsed)
        yield GaugeMetricFamily(
            "pcemu_soak_stopping", "1 once the soak is stopping", int(sup.stop_reason is not None)
        )


class Handler:
    def __init__(self, sup: Supervisor) -> None:
        self.sup = sup
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(SoakCollector(sup))

    def respond(self, path: str) -> tuple[int, str, bytes]:
        sup = self.sup
        if path == "/healthz":
            body = {
                "status": "stopping" if sup.stop_reason else "ok",
                "session": sup.session,
                "runs": sup.stats.runs,
            }
            return 200, "application/json", json.dumps(body).encode() + b"\n"
        if path == "/metrics":
            return 200, PROM_TYPE, generate_latest(self.registry)
        if path == "/findings":
            rows = [finding_json(f, sup.cfg.out) for f in sup.findings]
            return 200, "application/json", json.dumps(rows, indent=1).encode() + b"\n"
        return 404, "text/plain", b"not found: try /healthz, /metrics or /findings\n"

    async def __call__(self, stream: trio.SocketStream) -> None:
        try:
            with trio.move_on_after(REQUEST_TIMEOUT):
                data = b""
                while b"\r\n\r\n" not in data and b"\n\n" not in data:
                    chunk = await stream.receive_some(1024)
                    if not chunk:
                        break
                    data += chunk
                    if len(data) > MAX_REQUEST:
                        break
                parts = data.split(b"\r\n", 1)[0].split()
                if len(parts) < 2 or parts[0] not in (b"GET", b"HEAD"):
                    code, ctype, body = 405, "text/plain", b"GET only\n"
                else:
                    path = parts[1].decode("latin-1").split("?", 1)[0]
                    try:
                        code, ctype, body = self.respond(path)
                    except Exception as exc:  # a status page must never take the soak down
                        code, ctype, body = 500, "text/plain", f"{exc!r}\n".encode()
                reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}.get(code, "Error")
                head = (
                    f"HTTP/1.0 {code} {reason}\r\nContent-Type: {ctype}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                ).encode()
                await stream.send_all(head + (body if parts[:1] != [b"HEAD"] else b""))
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            await stream.aclose()


async def serve_status(
    sup: Supervisor,
    listen: tuple[str, int],
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    host, port = listen
    try:
        listeners = await trio.open_tcp_listeners(port, host=host)
    except OSError as exc:
        raise BadInput(
            f"--listen {host}:{port}: cannot listen there ({exc.strerror or exc}); pick another "
            "port, --listen 127.0.0.1:0 for any free one, or --listen off"
        ) from None
    sock: Any = listeners[0].socket
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    task_status.started(f"{shown}:{bound_port}")
    await trio.serve_listeners(Handler(sup), listeners)
