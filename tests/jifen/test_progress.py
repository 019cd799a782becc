"""The progress of long jobs when the output is not a terminal: a line now and then,
never a redraw."""

import io

from jifen.progress import _Lines, progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_every_interval_with_done_total_and_rate_then_a_last_line():
    out, clock = io.StringIO(), Clock()
    with _Lines("training facts", total=1000, unit="req", byte_sizes=False, stream=out,
                interval=5, clock=clock) as bar:
        for _ in range(10):  # 100 requests a second for 10 s, counted every 0.5 s
            for _ in range(2):
                clock.now += 0.5
                bar.advance(50)
    assert out.getvalue().splitlines() == [
        "training facts: 500/1,000 req (50.0%), 100 req/s",
        "training facts: 1,000/1,000 req (100.0%), 100 req/s",
        "training facts: 1,000/1,000 req in 10 s, 100 req/s",
    ]


def test_polled_jobs_learn_their_total_late_and_bytes_read_as_sizes():
    out, clock = io.StringIO(), Clock()
    bar = _Lines("replaying events", total=None, unit="ev", byte_sizes=False, stream=out,
                 interval=5, clock=clock)
    clock.now += 6
    bar.set(30)
    clock.now += 6
    bar.set(120, total=480)
    bar.close()
    bar.close()  # once
    upload = _Lines("upload a.csv", total=2_500_000, unit="", byte_sizes=True, stream=out,
                    interval=5, clock=clock)
    clock.now += 2
    upload.advance(2_500_000)
    upload.close()
    assert out.getvalue().splitlines() == [
        "replaying events: 30 ev, 5 ev/s",
        "replaying events: 120/480 ev (25.0%), 10 ev/s",
        "replaying events: 120/480 ev in 12 s, 10 ev/s",
        "upload a.csv: 2.5 MB/2.5 MB in 2 s, 1.2 MB/s",
    ]


def test_a_stream_that_is_not_a_terminal_gets_lines_and_disabled_progress_says_nothing():
    out = io.StringIO()
    with progress("x", total=2, stream=out) as bar:
        bar.advance(2)
    assert isinstance(bar, _Lines)
    assert "\r" not in out.getvalue() and out.getvalue().startswith("x: 2/2 in ")
    quiet = io.StringIO()
    with progress("x", total=2, stream=quiet, enabled=False) as bar:
        bar.advance(2)
    assert quiet.getvalue() == ""
