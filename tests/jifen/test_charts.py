"""Charts with Chinese labels: every Chinese character is drawn with the CJK font
(no tofu boxes), and a missing plotting extra says what to install."""

import sys
import warnings

import pytest

from jifen.charts import CJK_FAMILY, Chart, ChartsMissing, Panel, Series, figure, pyplot, save

CHART = Chart("培训参与率 按月 · 机加工一车间（AP-MACH1）", "月份",
              ["2026-01", "2026-02", "2026-03"],
              [Panel("参与率（%）", [Series("试点部门", [16.7, 11.5, 49.0], "pilot"),
                                    Series("非试点部门", [16.1, 19.7, None], "rest")],
                     bands=[("目标", 40, 60)]),
               Panel("人均积分（分/人）", [Series("合计", [2.8, 2.1, 9.1], "total")],
                     percent=False)],
              split_at=2)


def test_every_chinese_glyph_is_drawn_with_the_cjk_font(tmp_path):
    from matplotlib.backends.backend_agg import get_font
    from matplotlib.font_manager import fontManager
    from matplotlib.ft2font import LoadFlags

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        fig = figure(CHART)
        fig.canvas.draw()
        texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_fontproperties"))
                 if any(ord(c) > 0x2E80 for c in t.get_text())]
        used: dict[str, set[str]] = {}
        for text in texts:
            font = get_font(fontManager._find_fonts_by_props(text.get_fontproperties()))
            # how the renderer lays the text out: each character's glyph and its font
            for glyph in font._layout(text.get_text(), LoadFlags.DEFAULT):
                if ord(glyph.char) > 0x2E80:
                    assert glyph.glyph_index != 0, glyph.char  # a real glyph, not a box
                    used.setdefault(glyph.ft_object.family_name, set()).add(glyph.char)
        pyplot().close(fig)
        save(CHART, str(tmp_path / "c.svg"))
    assert set(used) == {CJK_FAMILY}
    assert {"培", "训", "试", "点", "积", "分", "月", "份"} <= used[CJK_FAMILY]
    assert len(texts) >= 8  # title, axis labels, legend entries, the pilot split
    assert (tmp_path / "c.svg").read_text().startswith("<?xml")


def test_without_the_plotting_extra_it_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)
    with pytest.raises(ChartsMissing, match=r"pip install 'jifen\[charts\]'"):
        pyplot()
