"""Talking to the gateway, for every command that does: the --url and --token
options, a client with the bearer token, problem+json answers turned into one
readable message, and lists fetched page by page."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jifen import config

if TYPE_CHECKING:
    import httpx

    from jifen.progress import Progress

BOUNDARY = "jifen-import-boundary-7d1c"


class ApiError(Exception):
    """The gateway could not be reached or answered a problem; the message says which
    (and, when it could not connect, which URL it tried)."""


def add_gateway_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=config.gateway_url(),
                        help="gateway URL (default: JIFEN_URL, else http://127.0.0.1:"
                             "$JIFEN_GATEWAY_PORT, as `make run` started it; now "
                             "%(default)s)")
    parser.add_argument("--token", help="bearer token (default: a development hr_admin token)")


def client(args: argparse.Namespace, *, timeout: float = 300) -> httpx.Client:
    """A client of the gateway named by ``--url`` that sends ``--token`` (or a
    development hr_admin token)."""
    import httpx

    headers = {"Authorization": f"Bearer {args.token or config.default_token()}"}
    return httpx.Client(base_url=args.url.rstrip("/"), headers=headers,
                        timeout=httpx.Timeout(timeout, connect=5))


def request(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """The response, or ApiError with the problem's title, detail and field errors."""
    import httpx

    try:
        r = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise ApiError(f"cannot reach {client.base_url} ({exc}); is `make run` running? "
                       "(set JIFEN_URL or JIFEN_GATEWAY_PORT, or pass --url)") from exc
    if r.status_code >= 400:
        raise ApiError(f"{r.status_code} {problem_text(r)}")
    return r


def upload(client: httpx.Client, path: str, file: Path, bar: Progress,
           params: dict[str, str]) -> httpx.Response:
    """POST ``file`` as the multipart field ``file``, streamed with ``bar`` advancing."""
    return request(client, "POST", path, params=params,
                   headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
                   content=_multipart(file, bar))


def _multipart(path: Path, bar: Progress) -> Iterator[bytes]:
    yield (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
           f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n').encode()
    with path.open("rb") as fh:
        while chunk := fh.read(64 * 1024):
            bar.advance(len(chunk))
            yield chunk
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def problem_text(r: httpx.Response) -> str:
    try:
        problem = r.json()
        detail = f"{problem.get('title')}: {problem.get('detail')}"
        for error in problem.get("errors") or []:
            detail += f"\n  {error.get('pointer')}: {error.get('detail')}"
        return detail
    except (ValueError, AttributeError):
        return r.text[:500]


def get_all(client: httpx.Client, path: str, params: dict[str, str] | None = None) -> list[Any]:
    """Every item of a paginated list, following next_cursor."""
    items: list[Any] = []
    cursor = None
    while True:
        page = request(client, "GET", path, params={
            **(params or {}), "limit": "500", **({"cursor": cursor} if cursor else {})}).json()
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return items
