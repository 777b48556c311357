"""The Kubernetes scale-out recipe in docker/k8s/ is valid and does what the README says.

The manifests are checked against the Kubernetes schema (kubernetes-validate, strict), and the
exact arguments they give pcemu are run here: every index of the Indexed Job soaks its own
shard into its own folder, and the merge job's arguments merge all of them into one store.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.soak_helpers import Soak, findings, pcemu

K8S = Path(__file__).resolve().parents[2] / "docker" / "k8s"
MANIFESTS = sorted(K8S.glob("*.yaml"))


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((K8S / name).read_text())
    return doc


def container_args(job: dict[str, Any]) -> list[str]:
    (container,) = job["spec"]["template"]["spec"]["containers"]
    return [str(a) for a in container["args"]]


def test_manifests_pass_the_kubernetes_schema_strictly() -> None:
    tool = shutil.which("kubernetes-validate") or str(
        Path(sys.executable).with_name("kubernetes-validate")
    )
    if not Path(tool).exists():
        pytest.fail("kubernetes-validate is not installed: pip install -e '.[test]'")
    done = subprocess.run(
        [tool, "--strict", *map(str, MANIFESTS)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("passed") == len(MANIFESTS) == 3


def test_the_job_is_indexed_and_its_shard_count_matches_its_completions() -> None:
    job = load("soak-job.yaml")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    n = spec["completions"]
    args = container_args(job)
    assert args[args.index("--shard") + 1] == f"$(JOB_COMPLETION_INDEX)/{n}"
    assert args[args.index("--out") + 1] == "/data/shard-$(JOB_COMPLETION_INDEX)"
    assert "--resume" in args
    merged = container_args(load("merge-job.yaml"))
    sources = [merged[i + 1] for i, a in enumerate(merged) if a == "--merge"]
    assert sources == [f"/data/shard-{i}" for i in range(n)]
    claims = {
        load(m)["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"]
        for m in ("soak-job.yaml", "merge-job.yaml")
    }
    assert claims == {load("pvc.yaml")["metadata"]["name"]}


def test_the_manifests_arguments_soak_every_shard_and_merge_them(tmp_path: Path) -> None:
    """Two indices of a 2-shard job, run with the manifest's own arguments (Kubernetes expands
    $(JOB_COMPLETION_INDEX)), then the merge job's arguments: one store with both shards."""
    n = 2
    data = tmp_path / "data"
    data.mkdir()
    soak_args = container_args(load("soak-job.yaml"))
    outs = []
    for index in range(n):
        args = [
            a.replace("$(JOB_COMPLETION_INDEX)", str(index)).replace("/8", f"/{n}")
            for a in soak_args
        ]
        args = [a.replace("/data", str(data)) for a in args]
        # A short soak of one lane stands for the 12 h one; no status port in a test.
        cut = args.index("--duration")
        args[cut : cut + 2] = ["--seeds", "60"]
        cut = args.index("--listen")
        del args[cut : cut + 2]
        cut = args.index("--out")  # Soak passes the same --out itself
        out = Path(args[cut + 1])
        del args[cut : cut + 2]
        assert args[0] == "soak" and out == data / f"shard-{index}"
        extra = [
            "--scenarios",
            "fault-vs-invalidate2",
            "--variants",
            "buggy",
            "--strategies",
            "chaos",
        ]
        soak = Soak(out, *args[1:], *extra, "--workers", "1", cwd=tmp_path)
        assert soak.wait(120) == 0, soak.log()
        outs.append(out)
    merge_args = [a.replace("/data", str(data)) for a in container_args(load("merge-job.yaml"))]
    keep = [merge_args[0], merge_args[1]]
    for i, a in enumerate(merge_args):
        if a == "--merge" and int(merge_args[i + 1].rsplit("-", 1)[1]) < n:
            keep += [a, merge_args[i + 1]]
    done = pcemu(*keep, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    merged = findings(data / "merged")
    shards = [findings(o) for o in outs]
    assert all(shards), "each shard of the buggy lane should have found the race"
    for key in set().union(*shards):
        assert merged[key][0] == sum(s[key][0] for s in shards if key in s)
