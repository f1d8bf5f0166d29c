"""What the benchmark ran on, for the report: figures mean little without it."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import confluent_kafka

ROOT = Path(__file__).resolve().parents[2]
KAFKA_LIB = ROOT / "deploy" / "kafka" / "lib"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return "unknown"


def kafka_version(lib: Path = KAFKA_LIB) -> str:
    """From the broker jar deploy/kafka/fetch.sh downloaded (kafka_2.13-X.Y.Z.jar)."""
    for jar in sorted(lib.glob("kafka_2.*-*.jar")):
        name = jar.stem
        if name.count("-") == 1:
            return name.split("-", 1)[1]
    return "unknown (no broker jar in deploy/kafka/lib)"


def describe() -> dict[str, str]:
    return {
        "CPU": _cpu_model(),
        "Cores": str(os.cpu_count() or "unknown"),
        "Memory": _memory(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Kafka": kafka_version(),
        "librdkafka": confluent_kafka.libversion()[0],
    }


def code_version(root: Path = ROOT) -> str:
    """The commit measured, and whether the working tree differed from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit} (with uncommitted changes)" if dirty else commit
