"""The report's charts: Vega-Lite specifications (altair), drawn in the page by vega-embed.

Interactive rather than static. vl-convert can render each chart to an SVG that the page would inline
(``vl_convert.vegalite_to_svg``). That page is lighter, and it draws without script, in a mail client too.
But its marks carry no tooltip, so a reader has only the table under the chart to learn a mark's value,
and the hand-drawn charts this replaces had a tooltip on every mark. So the page inlines, once,
vega-embed with Vega and Vega-Lite (``vl_convert.javascript_bundle``, about 0.9 MB), and vega-embed draws
each specification in the browser. An analyst gets:
- hover: a tooltip on every mark, with the figure in 亿元 or 万人 and which members it covers;
- zoom and pan on the line charts (wheel and drag; a double click resets);
- export: each chart's menu saves it as SVG or PNG.
Nothing is fetched at view time: the script is in the page, the data in each specification. The tables
under the charts need no script. Vega alone (no vega-embed) would save about 0.3 MB, but it has no
tooltip table and no export menu.

Every data mark is named ``values`` (its SVG group has the class ``values_marks``). Its datum carries the
mart value it stands for (``value``) and the keys the tests compare with the marts: series, view, x,
complete, status, sector. Its ``aria-label`` is the sentence the tooltip's rows say.
"""

from __future__ import annotations

import functools
import html
import json

import altair as alt
import vl_convert

VEGA_LITE = alt.SCHEMA_VERSION.removeprefix("v").rsplit(".", 1)[0]  # "6.4": the version altair writes
FONT = 'system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'  # the page's, with CJK
MARKS = "values"  # the name of every chart's data marks
# a value axis titled by its unit (亿元, 万人, %) above it, level with the labels
UNIT_AXIS = alt.Axis(titleAngle=0, titleAnchor="end", titleAlign="left", titleBaseline="bottom", titleX=-40, titleY=-6)
CONFIG = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "labelColor": "#444", "titleColor": "#444"},
    "legend": {"labelFontSize": 12, "titleFontSize": 11, "labelLimit": 220},
}

# draws every specification of the page (a <script type="application/json" class="vega-spec"> after the
# element it is drawn in), then marks the page drawn or failed (the tests wait for this)
EMBED = """
const options = {renderer: "svg", actions: {export: true, source: false, compiled: false, editor: false}};
const specs = [...document.querySelectorAll("script.vega-spec")];
Promise.all(specs.map(spec => vegaEmbed(spec.previousElementSibling, JSON.parse(spec.textContent), options)))
  .then(() => { document.body.dataset.charts = "drawn"; })
  .catch(error => {
    document.body.dataset.charts = "failed";
    console.error(error);
  });
"""


@functools.cache
def script() -> str:
    """vega-embed, Vega and Vega-Lite, and the code that draws the page's charts, as one module script."""
    return vl_convert.javascript_bundle(EMBED, vl_version=VEGA_LITE)


def chart_html(chart: alt.TopLevelMixin) -> str:
    """The element a chart is drawn in and its specification, which ``script`` finds; ``</`` in the data
    (none expected) cannot end the script element."""
    spec = {**chart.to_dict(), "config": CONFIG}
    text = json.dumps(spec, ensure_ascii=False, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return f'<div class="vega"></div><script type="application/json" class="vega-spec">{text}</script>'


def page_script() -> str:
    code = script()
    if "</script" in code.lower():  # would end the element early; the bundle has none
        raise ValueError("the vega-embed bundle contains </script")
    return f'<script type="module">{code}</script>'


def empty_html(message: str) -> str:
    return f'<p class="meta">{html.escape(message)}</p>'
