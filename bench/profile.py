"""`python -m bench.profile FILE ...`: where a profiled service's CPU went.

Reads py-spy's collapsed stacks (``-f raw``, as ``BENCH_PROFILE`` writes them) and
prints the share of the samples by the package the sampled line is in (self time),
and by the innermost function of our own code on the stack (what of ours the time
was spent under), with the packages it went to there."""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?\.py|<frozen [^>]*>):?\d*\)$")
_OURS = ("services", "shared")
# the first part of a frame's path (as py-spy shortens it) -> what it is
_PACKAGES = {
    "services": "ours", "shared": "ours", "pydantic_core": "pydantic",
    "httptools": "uvicorn", "h11": "uvicorn", "httpx": "http client",
    "httpcore": "http client", "aiohttp": "http client", "httpx_aiohttp": "http client",
    "yarl": "http client", "multidict": "http client", "structlog": "logging",
    "jwt": "tokens", "cryptography": "tokens", "prometheus_client": "metrics",
    "orjson": "json",
}


def _parts(path: str) -> list[str]:
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1].split("/", 1)[-1] if marker.startswith("/") \
                else path.split(marker, 1)[1]
    parts = path.strip("/").split("/")
    at = next((i for i, part in enumerate(parts[:-1]) if part in _OURS), 0)
    return parts[at:]  # our files from the repository's root, wherever it is


def package(path: str) -> str:
    """What a frame's file belongs to: ours, a package, or the standard library."""
    parts = _parts(path)
    if len(parts) == 1:  # a module of its own: the standard library's (socket.py, ...)
        return "python stdlib"
    return _PACKAGES.get(parts[0], parts[0])


def ours(frame: tuple[str, str]) -> str | None:
    func, path = frame
    parts = _parts(path)
    return f"{'/'.join(parts)}:{func}" if parts[0] in _OURS else None


def read(files: list[Path]) -> list[tuple[list[tuple[str, str]], int]]:
    stacks = []
    for file in files:
        for line in file.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = [(m["func"], m["file"]) for f in stack.split(";")
                      if (m := _FRAME.match(f))]
            if frames and count.isdigit():
                stacks.append((frames, int(count)))
    return stacks


def report(files: list[Path], top: int = 12) -> list[str]:
    stacks = read(files)
    total = sum(n for _, n in stacks) or 1
    by_package: Counter[str] = Counter()
    under: Counter[str] = Counter()
    under_packages: dict[str, Counter[str]] = defaultdict(Counter)
    for frames, n in stacks:
        leaf = package(frames[-1][1])
        by_package[leaf] += n
        mine = next((o for f in reversed(frames) if (o := ours(f))), "(none of ours)")
        under[mine] += n
        under_packages[mine][leaf] += n
    lines = [f"{total:,} samples in {', '.join(f.name for f in files)}", "self time by package:"]
    lines += [f"  {name:<14} {n / total:6.1%}" for name, n in by_package.most_common()]
    lines.append("under our innermost function (and the packages it went to):")
    for name, n in under.most_common(top):
        parts = ", ".join(f"{p} {c / total:.0%}" for p, c in under_packages[name].most_common(3))
        lines.append(f"  {n / total:6.1%}  {name}  [{parts}]")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    print("\n".join(report(args.files, args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
