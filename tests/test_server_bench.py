"""bench/server_bench.py --three-servers, run for a moment: one server against three on one
PostgreSQL schema and one ``chroma run``, every operation and client count paired, and the
ratio lines printed. The figures themselves mean nothing at this duration (docs/benchmarks.md
has a real run); what is checked is that the mode runs end to end, that every request
succeeds, that the servers stop cleanly and that the output says what it measured."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import PG_URL, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROW = re.compile(
    r"^  (lookup|encode)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x\s+([\d.]+)-([\d.]+)\s", re.M
)


def test_the_three_server_bench_prints_a_ratio_per_operation_and_client_count(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "server_bench.py"),
            "--three-servers",
            "--duration",
            "0.6",
            "--rounds",
            "2",
            "--clients",
            "1,2",
            "--pg-url",
            PG_URL,
            "--dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=170,
    )
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    rows = ROW.findall(out)
    assert sorted((op, int(n)) for op, n, *_ in rows) == [
        ("encode", 1),
        ("encode", 2),
        ("lookup", 1),
        ("lookup", 2),
    ], out
    for _, _, one, three, ratio, q1, q3 in rows:
        assert float(one) > 0 and float(three) > 0
        assert 0 < float(q1) <= float(ratio) <= float(q3)
    assert f"{os.cpu_count()} cores" in out
    assert "cannot go faster with more server processes than there are cores" in out
    assert "2 rounds" in out and "alternates from round to round" in out
    assert "encode answers identical on all three" in out
    assert "(0 failed)" in out
    assert "3 of 3 clean shutdowns" in out and "0 error lines in their logs" in out
    assert not list(tmp_path.iterdir())  # the temporary homes and Chroma's data are gone


def test_the_warm_bench_runs_both_arms_and_prints_their_ratios() -> None:
    """bench/warm_bench.py for one round: both servers start, answer two encodes and stop;
    the output names each arm and the paired ratios."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "warm_bench.py"), "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert re.search(r"serve \(warm\)\s+ready [\d.]+ s, first encode \d+ ms", out), out
    assert re.search(r"serve --no-warm\s+ready [\d.]+ s, first encode \d+ ms", out), out
    assert re.search(r"first encode, warm / cold: [\d.]+x \(IQR", out), out
