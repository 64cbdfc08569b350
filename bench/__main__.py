"""`make bench`: runs every benchmark, printing Markdown rows for docs/benchmarks.md."""

from __future__ import annotations

import platform
import subprocess

from bench import api_reads


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"{cpu}, {cores} cores, Python {platform.python_version()}"


def main() -> None:
    print(f"machine: {machine()}")
    for row in api_reads.run():
        print(row)


if __name__ == "__main__":
    main()
