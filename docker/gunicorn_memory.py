"""Print the memory of the gunicorn master and of each worker in this container, as a table.

Run inside the container: docker compose exec web python docker/gunicorn_memory.py
RSS counts every page a process maps, shared ones included; PSS shares those between the processes.
"""

import os
from pathlib import Path


def kilobytes(text, field):
    for line in text.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def main():
    processes = {}
    for proc in sorted(Path("/proc").iterdir(), key=lambda path: path.name.zfill(10)):
        if not proc.name.isdigit() or proc.name == str(os.getpid()):
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            status = (proc / "status").read_text()
            rollup = (proc / "smaps_rollup").read_text()
        except OSError:
            continue
        if "gunicorn" not in command:
            continue
        processes[int(proc.name)] = (status, rollup)
    print("| pid | process | RSS MB | PSS MB |")
    print("|---|---|---|---|")
    for pid, (status, rollup) in processes.items():
        role = "worker" if kilobytes(status, "PPid") in processes else "master"
        rss, pss = kilobytes(status, "VmRSS") / 1024, kilobytes(rollup, "Pss") / 1024
        print(f"| {pid} | {role} | {rss:.1f} | {pss:.1f} |")


if __name__ == "__main__":
    main()
