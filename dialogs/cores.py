"""How many cores this process may use: for the serving processes and the FAQ's build threads."""

from __future__ import annotations

import math
import os
from pathlib import Path

CPU_QUOTA_FILE = Path("/sys/fs/cgroup/cpu.max")


def usable_cores(quota_file: Path = CPU_QUOTA_FILE) -> int:
    """The cores this process may use: those it may run on, capped by a container's CPU quota
    (cgroup v2 `cpu.max`, "quota period" or "max period"). More build threads than the quota
    would only get the whole container throttled, the event loop with it."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        quota, period = quota_file.read_text(encoding="ascii").split()[:2]
        if quota != "max":
            cores = min(cores, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass  # no cgroup v2 quota to read: the cores are the limit
    return max(1, cores)
