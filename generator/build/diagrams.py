"""Geometry of the two drawings made at build time (no script in the page draws them): the
monthly bar chart of /insights/ and the prerequisite graph of /pathways/. Plain numbers in
frozen dataclasses; the templates turn them into SVG, so a theme can restyle them.

The pathway graph is layered by level (the site's level order, badges without a level
last). Inside a layer, badges are ordered by the barycenter of their neighbours in the
layers around them (Sugiyama's heuristic: a few sweeps down and up cut most crossings),
then wrapped column by column into rows of at most ``MAX_COLS`` boxes, so the left-to-right
order survives the wrapping and 1,000 badges make a tall drawing, never an unreadably wide
one. Boxes sit on a grid: they cannot overlap."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..content.figures import Month
from ..content.model import Catalog

# bar chart
BAR_W, BAR_GAP, PLOT_H, LEFT, TOP, BOTTOM, FEW_H = 22, 8, 180, 52, 14, 46, 6
# pathway graph
NODE_W, NODE_H, COL_GAP, ROW_GAP, BAND_HEAD, BAND_GAP, PAD = 184, 40, 28, 20, 30, 34, 24
LANES, LANE = 5, 3  # edges spread over 5 lanes 3 px apart
MAX_COLS, LABEL_CHARS, SWEEPS = 5, 22, 4  # 5 columns: 1,056 px, fits a 1280 px screen


@dataclass(frozen=True)
class Bar:
    month: str  # YYYY-MM
    x: float
    y: float
    height: float
    value: int | None  # None: fewer than 5 (drawn as a marker that shows no height)
    label: str  # month name under the bar
    year: str  # the year under January and the first bar, else ""


@dataclass(frozen=True)
class BarChart:
    width: float
    height: float
    baseline: float
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, int], ...]  # (y, value) of the horizontal grid lines


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def bar_chart(months: tuple[Month, ...]) -> BarChart:
    """Bars of credentials issued per month, scaled to the largest published count."""
    top = max((m.issued for m in months if m.issued is not None), default=0)
    step = _nice_step(top)
    scale_top = step * math.ceil(top / step) if top else step
    baseline = TOP + PLOT_H
    bars = []
    for i, m in enumerate(months):
        x = LEFT + BAR_GAP + i * (BAR_W + BAR_GAP)
        h = PLOT_H * m.issued / scale_top if m.issued is not None else FEW_H
        month_no = int(m.month[5:])
        year = m.month[:4] if i == 0 or month_no == 1 else ""
        bars.append(Bar(m.month, x, round(baseline - h, 2), round(h, 2), m.issued,
                        MONTHS[month_no - 1], year))
    ticks = tuple((round(baseline - PLOT_H * v / scale_top, 2), v)
                  for v in range(0, scale_top + 1 if top else 1, step))
    width = LEFT + BAR_GAP + len(months) * (BAR_W + BAR_GAP) + 8
    return BarChart(width, baseline + BOTTOM, baseline, tuple(bars), ticks)


def _nice_step(top: int) -> int:
    """A round grid step (1, 2 or 5 × 10^n) giving at most 5 lines up to ``top``."""
    raw = max(top / 5, 1)
    power = 10 ** math.floor(math.log10(raw))
    return next(int(f * power) for f in (1, 2, 5, 10) if f * power >= raw)


@dataclass(frozen=True)
class Node:
    slug: str
    name: str
    label: str  # the name, shortened to fit its box
    x: float
    y: float


@dataclass(frozen=True)
class Edge:
    source: str  # the prerequisite
    target: str  # the badge that requires it
    d: str  # SVG path data


@dataclass(frozen=True)
class Band:
    level: str  # "" for badges without a level
    y: float
    height: float


@dataclass(frozen=True)
class Graph:
    width: float
    height: float
    node_w: float
    node_h: float
    bands: tuple[Band, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def pathway_graph(catalog: Catalog) -> Graph:
    """Boxes and edges of the prerequisite graph, one edge per prerequisite."""
    layers = _layers(catalog)
    order = _order(catalog, layers)
    cols = max(1, min(MAX_COLS, max((len(layer) for layer in layers), default=1)))
    width = 2 * PAD + cols * NODE_W + (cols - 1) * COL_GAP
    nodes, bands, at = [], [], {}
    y = PAD
    for level, layer in zip((lvl for lvl, _ in _bands(catalog)), order, strict=True):
        if not layer:
            continue
        rows = math.ceil(len(layer) / cols)
        used = math.ceil(len(layer) / rows)
        left = PAD + (cols - used) * (NODE_W + COL_GAP) / 2
        top = y + BAND_HEAD
        for i, slug in enumerate(layer):  # column by column: the order reads left to right
            x = left + (i // rows) * (NODE_W + COL_GAP)
            ny = top + (i % rows) * (NODE_H + ROW_GAP)
            badge = catalog.badge(slug)
            nodes.append(Node(slug, badge.name, _label(badge.name), x, ny))
            at[slug] = (x, ny)
        height = BAND_HEAD + rows * (NODE_H + ROW_GAP) - ROW_GAP
        bands.append(Band(level, y, height))
        y += height + BAND_GAP
    pairs = [(req, b.slug) for b in catalog.badges for req in b.requires if req in at]
    edges = tuple(Edge(a, b, _route(at[a], at[b], i % LANES - LANES // 2))
                  for i, (a, b) in enumerate(pairs))
    return Graph(width, y - BAND_GAP + PAD, NODE_W, NODE_H, tuple(bands), tuple(nodes), edges)


def _bands(catalog: Catalog) -> list[tuple[str, list[str]]]:
    levels = list(catalog.levels)
    if any(not b.level for b in catalog.badges):
        levels.append("")
    return [(lvl, [b.slug for b in catalog.badges if b.level == lvl]) for lvl in levels]


def _layers(catalog: Catalog) -> list[list[str]]:
    return [sorted(slugs, key=lambda s: catalog.badge(s).name.casefold())
            for _, slugs in _bands(catalog)]


def _order(catalog: Catalog, layers: list[list[str]]) -> list[list[str]]:
    """Each layer sorted by the mean position of its neighbours in the other layers
    (positions as fractions of their layer, which may be of another size), sweeping down
    by prerequisites and up by what a badge leads to, ending on a downward sweep."""
    pos = {s: (i + 0.5) / len(layer) for layer in layers for i, s in enumerate(layer)}
    band = {s: n for n, layer in enumerate(layers) for s in layer}
    for sweep in range(SWEEPS):
        down = sweep % 2 == 0 or sweep == SWEEPS - 1
        for layer in (layers if down else reversed(layers)):
            layer.sort(key=lambda s, down=down: _barycenter(catalog, s, down, pos, band))
            for i, s in enumerate(layer):
                pos[s] = (i + 0.5) / len(layer)
    return layers


def _barycenter(catalog: Catalog, slug: str, down: bool, pos: dict[str, float],
                band: dict[str, int]) -> tuple[float, float]:
    badge = catalog.badge(slug)
    near = [pos[n] for n in (badge.requires if down else badge.leads_to)
            if n in band and band[n] != band[slug]]
    return (sum(near) / len(near) if near else pos[slug], pos[slug])


def _label(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[:LABEL_CHARS - 1].rstrip() + "…"


def _route(a: tuple[float, float], b: tuple[float, float], lane: int) -> str:
    """From the side of box a that faces box b, along the gap between two columns, then
    along the gap above b's row, down into the top of b. Gaps hold no box, so a line
    never runs through a badge it does not join (a straight line through a wrapped layer
    would seem to join every box in its way); ``lane`` shifts it a few pixels so lines
    sharing a gap stay apart."""
    right = b[0] >= a[0]
    x1, y1 = (a[0] + NODE_W if right else a[0]), a[1] + NODE_H / 2
    gap = x1 + (COL_GAP / 2 if right else -COL_GAP / 2) + lane * LANE
    above = b[1] - ROW_GAP / 2 + lane * LANE / 2
    x2 = b[0] + NODE_W / 2 + lane * 2 * LANE
    return f"M{x1:g},{y1:g} H{gap:g} V{above:g} H{x2:g} V{b[1]:g}"
