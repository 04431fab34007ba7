"""How many cores the serving processes and the FAQ's build threads count on."""

from __future__ import annotations

import os

import pytest

from dialogs.cores import usable_cores


@pytest.mark.parametrize(("cpu_max", "expected"), [
    ("max 100000\n", "all"),  # no quota
    ("150000 100000\n", 2),  # one and a half cores: two threads, the second part-time
    ("50000 100000\n", 1),
    ("not a quota\n", "all"),
    (None, "all"),  # no cgroup v2 file
])
def test_build_threads_keep_within_a_containers_cpu_quota(tmp_path, cpu_max, expected):
    quota = tmp_path / "cpu.max"
    if cpu_max is not None:
        quota.write_text(cpu_max, encoding="ascii")
    cores = len(os.sched_getaffinity(0))
    assert usable_cores(quota) == (cores if expected == "all" else min(cores, expected))
