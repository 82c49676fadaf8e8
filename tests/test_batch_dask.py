"""evalkit batch --scheduler: the same engine on a Dask cluster, and a worker that dies (own file, so pytest-xdist
--dist loadfile runs it beside the other batch tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit import batch

NB = "01_gloucestershire_yst"


def test_dask_cluster_runs_tasks_and_survives_a_dead_worker(tmp_path):
    """`--scheduler tcp://...`: the same task function on a two-process Dask cluster; a worker
    killed in the middle of a task gives that task `failed` with a reason, and the batch goes on."""
    import os
    import signal
    import threading

    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("dask.distributed")
    base, out = tmp_path / "las", tmp_path / "runs"
    batch.new_la("Dasktown", base=base, notebooks=[NB], synthetic=True)
    batch.new_la("Killtown", base=base, notebooks=[NB], synthetic=True, seed=1)
    killed: list[str] = []

    def kill_the_killtown_worker(address: str, stop: threading.Event) -> None:
        with distributed.Client(address) as client:
            pids = client.run(os.getpid)
            while not stop.is_set():
                for worker, keys in client.processing().items():
                    if any("killtown" in str(k) for k in keys):
                        os.kill(pids[worker], signal.SIGKILL)
                        killed.append(worker)
                        return
                stop.wait(0.1)

    # no retries on another worker: a task whose worker dies is reported, not rerun
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        stop = threading.Event()
        killer = threading.Thread(target=kill_the_killtown_worker, args=(cluster.scheduler_address, stop))
        killer.start()
        try:
            result = batch.run_batch(["Dasktown", "Killtown"], base=base, out=out,
                                     scheduler=cluster.scheduler_address, progress=False)
        finally:
            stop.set()
            killer.join(30)
    assert killed, "the Killtown task was never seen running"
    by = {t.slug: t for t in result.tasks}
    assert by["dasktown"].status == "ok" and Path(by["dasktown"].html).exists()
    assert by["killtown"].status == "failed"
    assert by["killtown"].error.startswith("worker died: KilledWorker")
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["command"]["scheduler"] == cluster.scheduler_address
    assert [t["status"] for t in manifest["tasks"]] == ["ok", "failed"]
