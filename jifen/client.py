"""HTTP client side of CLI commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
from tqdm import tqdm


def _upload_stream(path: Path, bar: tqdm, boundary: str):
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    yield head
    with path.open("rb") as fh:
        while chunk := fh.read(64 * 1024):
            bar.update(len(chunk))
            yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


def import_employees(path: Path, *, url: str, token: str, dry_run: bool, as_json: bool) -> int:
    if not path.is_file():
        print(f"jifen import-employees: no such file: {path}", file=sys.stderr)
        return 2
    boundary = "jifen-import-boundary-7d1c"
    size = path.stat().st_size
    with tqdm(
        total=size, unit="B", unit_scale=True, desc=f"upload {path.name}", file=sys.stderr
    ) as bar:
        with httpx.Client(timeout=httpx.Timeout(600, connect=5)) as client:
            try:
                resp = client.post(
                    f"{url.rstrip('/')}/training/v1/employee-imports",
                    params={"dry_run": str(dry_run).lower()},
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": f"multipart/form-data; boundary={boundary}",
                    },
                    content=_upload_stream(path, bar, boundary),
                )
            except httpx.HTTPError as exc:
                print(f"\njifen import-employees: cannot reach {url}: {exc}", file=sys.stderr)
                return 1
    if resp.status_code >= 400:
        print(f"jifen import-employees: {resp.status_code} {resp.text}", file=sys.stderr)
        return 1
    report = resp.json()
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        mode = " (dry run: nothing written)" if report["dry_run"] else ""
        print(
            f"{report['total_rows']} rows read ({report['encoding']}){mode}: "
            f"{report['created']} created, {report['updated']} updated, "
            f"{report['unchanged']} unchanged, {len(report['rejected'])} rejected"
        )
        for row in report["rejected"]:
            print(f"  line {row['line']}: {row['employee_no'] or '-'}: {row['reason']}")
    return 1 if report["rejected"] else 0
