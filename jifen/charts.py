"""Charts HR can paste into a slide: a time axis, titles and axis units, Chinese labels
that render (the Noto Sans CJK SC face of the ``noto-cjk-sans-otc`` font package, so
no system font is needed), pilot and the rest in distinct styles.

matplotlib and the font are the optional extra ``jifen[charts]`` (``make venv``
installs it); without it, drawing raises :class:`ChartsMissing` with what to install.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CJK_FAMILY = "Noto Sans CJK SC"
FORMATS = (".png", ".svg")
# what a series is, and how it looks: pilot and rest must be told apart in greyscale too
STYLES: dict[str, dict[str, Any]] = {
    "pilot": {"color": "#c0392b", "linestyle": "-", "marker": "o", "linewidth": 2.4},
    "rest": {"color": "#7f8c8d", "linestyle": "--", "marker": "s", "linewidth": 1.8},
    "total": {"color": "#1f3a5f", "linestyle": "-", "marker": "o", "linewidth": 2.6},
    "plain": {"linestyle": "-", "marker": ".", "linewidth": 1.5},
}


class ChartsMissing(RuntimeError):
    """matplotlib or the CJK font is not installed."""


@dataclass
class Series:
    name: str
    values: list[float | None]
    style: str = "plain"  # a key of STYLES


@dataclass
class Panel:
    """One plot: its series share a y axis with this label (which names the unit)."""

    y_label: str
    series: list[Series]
    percent: bool = True  # values are percentages: the axis reads 0-100%
    # target bands (label, low, high), the i-th in the colour of the i-th plain series
    bands: list[tuple[str, float, float]] = field(default_factory=list)


@dataclass
class Chart:
    title: str
    x_label: str
    x: list[str]
    panels: list[Panel]
    split_at: int | None = None  # index of the first x after a change (the pilot start)
    split_label: tuple[str, str] = ("试点前", "试点后")


def check_path(path: str) -> None:
    """Refuse a file type we cannot write before anything is fetched."""
    if Path(path).suffix.lower() not in FORMATS:
        raise ValueError(f"--chart {path}: write a .png or a .svg file")


def pyplot() -> Any:
    """matplotlib's pyplot, drawing off-screen with the CJK font first in line."""
    try:
        import matplotlib
        import noto_cjk_sans_otc
    except ImportError as exc:
        raise ChartsMissing(
            f"charts need the plotting extra ({exc.name} is missing): "
            "pip install 'jifen[charts]' (or `make venv`, which installs it)") from exc
    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    if CJK_FAMILY not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(noto_cjk_sans_otc.FONT_PATH))
    plt.rcParams["font.family"] = [CJK_FAMILY, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False  # the CJK face has no U+2212
    plt.rcParams["svg.fonttype"] = "path"  # an SVG that needs no font where it is opened
    return plt


def figure(chart: Chart) -> Any:
    """The chart as a matplotlib figure (drawn, not saved)."""
    plt = pyplot()
    from matplotlib.ticker import PercentFormatter

    fig, axes = plt.subplots(len(chart.panels), 1, sharex=True, squeeze=False,
                             figsize=(10, 3.2 * len(chart.panels) + 1.2))
    positions = list(range(len(chart.x)))
    for ax, panel in zip(axes[:, 0], chart.panels, strict=True):
        for i, (label, low, high) in enumerate(panel.bands):  # in the colour of series i
            ax.axhspan(low, high, alpha=0.08, color=f"C{i}")
            ax.text(positions[-1] + 0.4, (low + high) / 2, label, va="center", fontsize=8,
                    color=f"C{i}")
        for s in panel.series:
            ax.plot(positions, [float("nan") if v is None else v for v in s.values],
                    label=s.name, **STYLES[s.style])
        if chart.split_at is not None:
            _split(ax, chart, len(positions))
        ax.set_ylabel(panel.y_label)
        if panel.percent:
            ax.yaxis.set_major_formatter(PercentFormatter(decimals=None))
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="best", fontsize=9, frameon=False)
    bottom = axes[-1, 0]
    bottom.set_xticks(positions, chart.x, rotation=45 if len(chart.x) > 8 else 0,
                      ha="right" if len(chart.x) > 8 else "center")
    bottom.set_xlabel(chart.x_label)
    fig.suptitle(chart.title, fontsize=13)
    fig.tight_layout()
    return fig


def _split(ax: Any, chart: Chart, n: int) -> None:
    assert chart.split_at is not None
    ax.axvspan(chart.split_at - 0.5, n - 0.5, color="#f5b041", alpha=0.12, lw=0)
    ax.axvline(chart.split_at - 0.5, color="#d35400", linestyle=":", linewidth=1.5)
    top = ax.get_ylim()[1]
    ax.text(chart.split_at - 0.6, top, chart.split_label[0], ha="right", va="top",
            fontsize=9, color="#d35400")
    ax.text(chart.split_at - 0.4, top, chart.split_label[1], ha="left", va="top",
            fontsize=9, color="#d35400")


def save(chart: Chart, path: str) -> None:
    fig = figure(chart)
    fig.savefig(path, dpi=150)
    pyplot().close(fig)
