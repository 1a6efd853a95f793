"""Plotly figures shared by the pages. Pure functions: arrays in, figures out; no streamlit.

Small maps become heatmaps with one clickable marker per cell (a heatmap's own cells do not report
clicks in Streamlit); large maps become an image sent as one PNG, which the browser draws far faster
than a quarter of a million heatmap cells. Both use pixel coordinates (row r, column c at y=r, x=c),
so the same overlay shapes work on either.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import plotly.graph_objects as go

CLICKABLE_SIDE = 64        # maps up to this many rows/columns are heatmaps with click targets
NUMBERS_SIDE = 12          # maps up to this size are charts with their values written in, clickable or not
NUMBERS_CELLS = 144        # write each value in its cell up to 12x12
GRAY = [[0.0, "#000000"], [1.0, "#ffffff"]]
DIVERGING = [[0.0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1.0, "#b2182b"]]
HIGHLIGHT = "#00c853"
PADDING_FILL = "rgba(255, 167, 38, 0.35)"


def probability_text(p: float) -> str:
    """A probability as a percentage with the precision that means something: one decimal, and never a
    rounded "100.0%" or "0.0%" (a network is never certain): "> 99.9%" and "< 0.1%" at the ends."""
    percent = 100.0 * float(p)
    if percent > 99.9:
        return "> 99.9%"
    if percent < 0.1:
        return "< 0.1%"
    return f"{percent:.1f}%"


def accuracy_text(accuracy: float | None) -> str:
    """An accuracy as "92.50%"; "—" where there is none (no run yet, or no test image: an own set whose classes
    have one sample each trains on all of them)."""
    if accuracy is None or not np.isfinite(float(accuracy)):
        return "—"
    return f"{100 * float(accuracy):.2f}%"


def _range(values: np.ndarray, signed: bool) -> tuple[float, float]:
    if signed:
        m = float(np.max(np.abs(values))) or 1.0
        return -m, m
    lo, hi = float(np.min(values)), float(np.max(values))
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def _palette(signed: bool) -> np.ndarray:
    """(256, 3) uint8: the heatmaps' colour scale sampled at 256 steps."""
    scale = DIVERGING if signed else GRAY
    stops = np.array([s for s, _ in scale])
    colours = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for _, c in scale], dtype=np.float64)
    t = np.linspace(0.0, 1.0, 256)
    return np.stack([np.interp(t, stops, colours[:, i]) for i in range(3)], axis=-1).round().astype(np.uint8)


_PALETTES = {signed: _palette(signed) for signed in (False, True)}


def _indices(values: np.ndarray, signed: bool) -> np.ndarray:
    """(H, W) floats -> (H, W) uint8 positions on the colour scale."""
    lo, hi = _range(values, signed)
    return np.clip((values - lo) * (255.0 / (hi - lo)) + 0.5, 0, 255).astype(np.uint8)


def colorize(values: np.ndarray, signed: bool) -> np.ndarray:
    """(H, W) floats -> (H, W, 3) uint8 with the same colour scale the heatmaps use."""
    return _PALETTES[signed][_indices(values, signed)]


def png_data_uri(pixels: np.ndarray, palette: np.ndarray | None = None) -> str:
    """uint8 (H, W, 3) RGB, or (H, W) indices into `palette`, as a PNG data URI."""
    from PIL import Image

    img = Image.fromarray(pixels)
    if palette is not None:  # one byte a pixel: about four times faster to encode than RGB
        img = Image.frombytes("P", img.size, img.tobytes())
        img.putpalette(palette.ravel().tolist())
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", compress_level=1)  # speed over size: the app runs locally
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


ORANGE, GREEN = (255, 152, 0), (0, 200, 83)
_LEVELS = 254  # palette entries for the colour scale; the last two are the overlay colours


def _overlay_palette(signed: bool) -> np.ndarray:
    scale = _PALETTES[signed][np.linspace(0, 255, _LEVELS).round().astype(int)]
    return np.vstack([scale, [ORANGE, GREEN]]).astype(np.uint8)


_OVERLAY_PALETTES = {signed: _overlay_palette(signed) for signed in (False, True)}


DISPLAY_SIDE = 320  # small maps are enlarged (nearest neighbour) to about this many pixels a side


def as_picture(shape: tuple[int, ...], *, clickable: bool) -> bool:
    """Whether a map is shown as a picture (map_png) rather than a chart (map_figure).

    A picture redraws far faster; a chart is needed for clicking cells and for values written in them.
    """
    side = max(shape[-2:])
    return side > CLICKABLE_SIDE or (not clickable and side > NUMBERS_SIDE)


def _outline(pixels: np.ndarray, r0: int, c0: int, r1: int, c1: int, colour, scale: int = 1) -> None:
    """A box around cells r0..r1, c0..c1 of a map drawn `scale` pixels a cell (clipped to the picture).

    At scale 1 the box lies just outside the cells; enlarged, it is drawn on the cells' own border.
    """
    h, w = pixels.shape[:2]
    if scale == 1:
        top, bottom, left, right = r0 - 1, r1 + 1, c0 - 1, c1 + 1
        width = 1
    else:
        top, bottom, left, right = r0 * scale, (r1 + 1) * scale - 1, c0 * scale, (c1 + 1) * scale - 1
        width = max(1, scale // 6)
    top, left, bottom, right = max(top, 0), max(left, 0), min(bottom, h - 1), min(right, w - 1)
    pixels[top:top + width, left:right + 1] = colour
    pixels[bottom - width + 1:bottom + 1, left:right + 1] = colour
    pixels[top:bottom + 1, left:left + width] = colour
    pixels[top:bottom + 1, right - width + 1:right + 1] = colour


def map_png(values: np.ndarray, *, signed: bool = True,
            pads: tuple[tuple[int, int], tuple[int, int]] | None = None,
            receptive: tuple[np.ndarray, np.ndarray] | None = None,
            cell: tuple[int, int] | None = None) -> bytes:
    """A map as a PNG with map_figure's overlays drawn in as outlines.

    For maps that need no clicks: an <img> redraws far faster in the browser than a chart. Small maps
    are enlarged with square pixels; grayscale maps are palette PNGs (one byte a pixel) whose last two
    entries are the overlay colours.
    """
    from PIL import Image

    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 3:  # an RGB input: true colour, overlays in RGB
        pixels = (np.clip(values, 0, 1) * 255).round().astype(np.uint8).transpose(1, 2, 0).copy()
        orange, green = ORANGE, GREEN
    else:
        pixels = (_indices(values, signed).astype(np.uint16) * (_LEVELS - 1) // 255).astype(np.uint8)
        orange, green = _LEVELS, _LEVELS + 1
    height, width = pixels.shape[:2]
    scale = max(1, DISPLAY_SIDE // max(height, width))
    if scale > 1:
        pixels = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
    if pads is not None and any(sum(p) for p in pads):
        (top, bottom), (left, right) = pads
        _outline(pixels, top, left, height - 1 - bottom, width - 1 - right, orange, scale)  # the original image
    if receptive is not None:
        rows, cols = receptive
        if scale > 1:  # each sampled pixel (they are apart when dilated)
            for r in rows:
                for c in cols:
                    _outline(pixels, r, c, r, c, green, scale)
        else:
            _outline(pixels, rows[0], cols[0], rows[-1], cols[-1], green)
    if cell is not None:
        # Below a screen pixel a cell would vanish: box it with a margin so it can be found.
        margin = 0 if scale > 1 else max(1, max(height, width) // 100)
        _outline(pixels, cell[0] - margin, cell[1] - margin, cell[0] + margin, cell[1] + margin, green, scale)
    img = Image.fromarray(pixels)
    if values.ndim != 3:
        img = Image.frombytes("P", img.size, img.tobytes())
        img.putpalette(_OVERLAY_PALETTES[signed].ravel().tolist())
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _rect(r0: float, c0: float, r1: float, c1: float, **style) -> dict:
    """A rectangle covering cells r0..r1, c0..c1 inclusive."""
    return dict(type="rect", xref="x", yref="y", x0=c0 - 0.5, x1=c1 + 0.5, y0=r0 - 0.5, y1=r1 + 0.5, **style)


def _figure(data: list[dict], layout: dict) -> go.Figure:
    # Our figures are built from known-good dicts; plotly's per-property validation would cost more
    # than the whole convolution (tests/test_viz.py rebuilds every kind of figure with validation on).
    return go.Figure(data=data, layout=layout, _validate=False)


def map_figure(values: np.ndarray, *, title: str = "", signed: bool = True, height: int = 340,
               pads: tuple[tuple[int, int], tuple[int, int]] | None = None,
               receptive: tuple[np.ndarray, np.ndarray] | None = None,
               cell: tuple[int, int] | None = None, show_colorbar: bool = False,
               clickable: bool = False) -> go.Figure:
    """One map as a figure.

    values (H, W) floats, or (3, H, W) RGB in [0, 1]. `pads` marks the padding band of a padded input;
    `receptive` = (rows, cols) outlines the pixels a kernel samples; `cell` outlines one output cell.
    `clickable` adds the click targets (one SVG marker per cell: the costliest part to redraw).
    """
    values = np.asarray(values, dtype=np.float64)
    rgb = values.ndim == 3
    height_px, width_px = values.shape[-2:]
    small = max(height_px, width_px) <= CLICKABLE_SIDE
    data: list[dict] = []
    if rgb:
        pixels = (np.clip(values, 0, 1) * 255).round().astype(np.uint8).transpose(1, 2, 0)
        data.append(dict(type="image", source=png_data_uri(pixels), hoverinfo="skip"))
    elif small:
        lo, hi = _range(values, signed)
        numbers = values.size <= NUMBERS_CELLS
        data.append(dict(
            type="heatmap", z=values, zmin=lo, zmax=hi, colorscale=DIVERGING if signed else GRAY,
            showscale=show_colorbar, xgap=1 if numbers else 0, ygap=1 if numbers else 0,
            hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>",
            **(dict(texttemplate="%{z:.2f}", textfont=dict(size=10)) if numbers else {}),
        ))
    else:
        data.append(dict(type="image", source=png_data_uri(_indices(values, signed), _PALETTES[signed]),
                         hoverinfo="skip"))

    if small and clickable:
        # One nearly invisible marker per cell: what makes a click report (row, col).
        rows, cols = np.mgrid[0:height_px, 0:width_px]
        cell_px = max(4.0, (height - 60) / max(height_px, width_px))
        shown = values if not rgb else values.mean(axis=0)
        data.append(dict(
            type="scatter", x=cols.ravel(), y=rows.ravel(), mode="markers",
            marker=dict(symbol="square", size=cell_px, opacity=0.01, color="#000"),
            customdata=shown.ravel(), showlegend=False,
            hovertemplate="row %{y}, col %{x}: %{customdata:.3f}<extra></extra>",
        ))

    shapes = []
    if pads is not None:
        (top, bottom), (left, right) = pads
        last_r, last_c = height_px - 1, width_px - 1
        bands = [(0, 0, top - 1, last_c), (last_r - bottom + 1, 0, last_r, last_c),
                 (top, 0, last_r - bottom, left - 1), (top, last_c - right + 1, last_r - bottom, last_c)]
        for r0, c0, r1, c1 in bands:
            if r1 >= r0 and c1 >= c0:
                shapes.append(_rect(r0, c0, r1, c1, fillcolor=PADDING_FILL, line=dict(width=0), layer="above"))
        if top or bottom or left or right:
            shapes.append(_rect(top, left, last_r - bottom, last_c - right,
                                line=dict(color="#ff9800", width=2, dash="dash")))
    if receptive is not None:
        rows, cols = receptive
        for r in rows:
            for c in cols:
                shapes.append(_rect(r, c, r, c, line=dict(color=HIGHLIGHT, width=2),
                                    fillcolor="rgba(0, 200, 83, 0.15)"))
        if len(rows) > 1 and (rows[1] - rows[0] > 1 or (len(cols) > 1 and cols[1] - cols[0] > 1)):
            shapes.append(_rect(rows[0], cols[0], rows[-1], cols[-1],
                                line=dict(color=HIGHLIGHT, width=1, dash="dot")))
    if cell is not None:
        shapes.append(_rect(cell[0], cell[1], cell[0], cell[1], line=dict(color=HIGHLIGHT, width=3)))

    axis = dict(showgrid=False, zeroline=False, visible=False, constrain="domain")
    layout = dict(
        title=dict(text=title, font=dict(size=14)), height=height, shapes=shapes,
        margin=dict(l=4, r=4, t=36 if title else 4, b=4), dragmode=False, clickmode="event+select",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis=dict(axis, range=[-0.5, width_px - 0.5]),
        yaxis=dict(axis, range=[height_px - 0.5, -0.5], scaleanchor="x"),
    )
    return _figure(data, layout)


def matrix_figure(index: np.ndarray, weights: np.ndarray, *, title: str = "", height: int = 420,
                  kernel: np.ndarray | None = None, rows_title: str = "output cell", cols_title: str = "input pixel",
                  entry_title: str = "kernel weight") -> go.Figure:
    """The convolution matrix, each non-zero coloured by which kernel entry it is (shared weights). With the
    `kernel` (k, k), a colour bar names each colour's entry and its weight."""
    n_entries = int(index.max()) + 1 if index.max() >= 0 else 1
    shown = np.where(index >= 0, index, np.nan)
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf"]
    scale = []
    for i in range(n_entries):
        colour = palette[i % len(palette)]
        scale += [[i / n_entries, colour], [(i + 1) / n_entries, colour]]
    text = np.where(index >= 0, np.char.mod("%.2g", weights), "")
    heatmap = dict(type="heatmap", z=shown, zmin=-0.5, zmax=n_entries - 0.5, colorscale=scale, showscale=False,
                   xgap=1, ygap=1, text=text, textfont=dict(size=8),
                   hovertemplate=f"{rows_title} %{{y}}, {cols_title} %{{x}}<br>w = %{{text}}<extra></extra>")
    if kernel is not None:
        width = kernel.shape[-1]
        names = [f"w[{i // width},{i % width}] = {kernel.ravel()[i]:.3g}" for i in range(n_entries)]
        heatmap.update(showscale=True, colorbar=dict(
            title=dict(text=entry_title, side="right"), tickvals=list(range(n_entries)), ticktext=names,
            ticks="", thickness=14, len=1.0 if n_entries > 4 else 0.5, tickfont=dict(size=11)))
    if index.size <= 2500:
        heatmap["texttemplate"] = "%{text}"
    layout = dict(title=dict(text=title, font=dict(size=14)), height=height, plot_bgcolor="#fafafa",
                  margin=dict(l=40, r=10, t=40, b=30), yaxis=dict(autorange="reversed", title=dict(text=rows_title)),
                  xaxis=dict(title=dict(text=cols_title), side="top"))
    return _figure([heatmap], layout)


def size_formula_html(axis: str, size: int, kernel: int, stride: int, pads: tuple[int, int],
                      dilation: int, result: int) -> str:
    """The output size of one axis with this moment's numbers, as HTML: Lesson 2's o = ⌊(i + 2p − k)/s⌋ + 1
    when the dilation is 1, and the general o = ⌊(i + 2p − d(k−1) − 1)/s⌋ + 1 otherwise (the same number:
    with d = 1, d(k−1) + 1 = k). Padding different on the two sides is written as their sum.

    Plain text with sub- and superscripts: typeset maths (KaTeX) took about 100 ms of every redraw.
    """
    before, after = pads
    padding = f"2·{before}" if before == after else f"{before} + {after}"
    span = f"{kernel}" if dilation == 1 else f"{dilation}·({kernel} − 1) − 1"
    return f"o<sub>{axis}</sub> = ⌊ ({size} + {padding} − {span}) / {stride} ⌋ + 1 = <b>{result}</b>"


def tile(maps: np.ndarray, columns: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Feature maps (K, H, W) laid out in a grid, each scaled to its own range, one blank cell between.

    Returns (mosaic with NaN in the gaps, the map index of every mosaic cell or -1, columns). Each map
    on its own scale, because deep maps differ in size by orders of magnitude.
    """
    maps = np.asarray(maps, dtype=np.float64)
    count, h, w = maps.shape
    columns = columns or max(1, min(count, int(np.ceil(np.sqrt(count * w / h * 1.6)))))
    rows = int(np.ceil(count / columns))
    mosaic = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), np.nan)
    index = np.full(mosaic.shape, -1)
    for k in range(count):
        r, c = divmod(k, columns)
        scale = np.max(np.abs(maps[k])) or 1.0
        mosaic[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = maps[k] / scale
        index[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = k
    return mosaic, index, columns


# A perceptual "inferno"-like ramp for heat maps: black, purple, red, orange, pale yellow.
_HEAT = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=np.float64)


def heat_colours(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (H, W) -> uint8 RGB (H, W, 3) on the heat ramp."""
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), 0, 1) * (len(_HEAT) - 1)
    low = np.floor(v).astype(int).clip(0, len(_HEAT) - 2)
    frac = (v - low)[..., None]
    return ((1 - frac) * _HEAT[low] + frac * _HEAT[low + 1]).round().astype(np.uint8)


HEAT = [[k / (len(_HEAT) - 1), "#" + "".join(f"{int(v):02x}" for v in rgb)] for k, rgb in enumerate(_HEAT)]
SCALES = {"diverging": DIVERGING, "gray": GRAY, "heat": HEAT}


def css_gradient(scale: str) -> str:
    """A colour scale (SCALES' name) as a CSS linear-gradient from its low end (left) to its high end."""
    return "linear-gradient(to right, " + ", ".join(f"{c} {100 * s:g}%" for s, c in SCALES[scale]) + ")"


def map_range(values: np.ndarray, signed: bool) -> tuple[float, float]:
    """The values at the two ends of a map's colour scale (as map_png, map_figure and the browser's maps
    colour it): ±the largest |value| for signed maps, the smallest and largest value otherwise."""
    return _range(np.asarray(values, dtype=np.float64), signed)


def overlay(image: np.ndarray, heat: np.ndarray, *, alpha: float = 0.55, side: int = 224) -> np.ndarray:
    """A heat map (H, W) in [0, 1] laid over a gray (H, W) or RGB (3, H, W) image; enlarged to about `side`."""
    image = np.asarray(image, dtype=np.float64)
    base = np.repeat(image[..., None], 3, axis=-1) if image.ndim == 2 else image.transpose(1, 2, 0)
    mixed = (1 - alpha) * np.clip(base, 0, 1) * 255 + alpha * heat_colours(heat)
    scale = max(1, side // max(image.shape[-2:]))
    return np.kron(mixed.round().astype(np.uint8), np.ones((scale, scale, 1), dtype=np.uint8))


def enlarge(image: np.ndarray, side: int = 112) -> np.ndarray:
    """A gray (H, W) or colour (H, W, 3) picture in [0, 1] -> square uint8 thumbnail: padded with black to a
    square (so thumbnails of any aspect line up), then enlarged with hard pixel edges."""
    image = np.clip(np.asarray(image, dtype=np.float64), 0, 1)
    h, w = image.shape[:2]
    if h != w:
        square = np.zeros((max(h, w), max(h, w)) + image.shape[2:])
        square[(max(h, w) - h) // 2:(max(h, w) - h) // 2 + h, (max(h, w) - w) // 2:(max(h, w) - w) // 2 + w] = image
        image = square
    scale = max(1, side // max(h, w))
    block = np.ones((scale, scale) + (1,) * (image.ndim - 2), dtype=np.uint8)
    return np.kron((image * 255).round().astype(np.uint8), block)


def mosaic_picture(maps: np.ndarray, *, side: int = 360) -> np.ndarray:
    """tile() as uint8 RGB with white gaps, enlarged so its longer side is about `side` (for overviews)."""
    mosaic, index, _ = tile(maps)
    signed = bool(np.min(maps) < 0)
    pixels = colorize(np.nan_to_num(mosaic), signed) if signed else colorize(np.nan_to_num(mosaic).clip(0, 1), False)
    pixels[index < 0] = 255
    scale = max(1, side // max(mosaic.shape))
    return np.kron(pixels, np.ones((scale, scale, 1), dtype=np.uint8))


# ---------------------------------------------------------------- training figures


def filters_png(filters: np.ndarray) -> bytes:
    """First-layer kernels (F, C, k, k), channel 1, side by side with a one-pixel gap, each on its own scale."""
    filters = np.asarray(filters, dtype=np.float64)
    f, _, k, _ = filters.shape
    cols = min(f, 16)
    rows = -(-f // cols)
    mosaic = np.zeros((rows * (k + 1) - 1, cols * (k + 1) - 1))
    for i in range(f):
        r, c = divmod(i, cols)
        kernel = filters[i, 0]
        mosaic[r * (k + 1): r * (k + 1) + k, c * (k + 1): c * (k + 1) + k] = kernel / (np.abs(kernel).max() or 1)
    return map_png(mosaic)


def confusion_figure(confusion: np.ndarray, hover: str, classes=None, *, x_title: str = "", y_title: str = "",
                     count_title: str = "", height: int = 460) -> go.Figure:
    """A confusion matrix (rows true, columns answered) with counts written in, the classes named on both
    axes, a colour bar of counts, and a clickable marker per cell; `hover` is a plotly template that may use
    %{y} and %{x} (the true and the answered class's names) and %{customdata} (the count). `classes` are
    shown as given: escape names that users typed (plotly reads HTML in them)."""
    confusion = np.asarray(confusion)
    n = confusion.shape[0]
    names = [str(c) for c in (classes if classes is not None else range(n))]
    fig = map_figure(np.log1p(confusion), signed=False, clickable=True, height=height)
    top = int(confusion.max()) if confusion.size else 0
    counts = [0] + [10 ** k for k in range(int(np.log10(top)) + 1 if top else 0)]
    fig.update_traces(selector=dict(type="heatmap"), text=confusion, texttemplate="%{text}", textfont=dict(size=12),
                      colorscale=[[0, "#ffffff"], [1, "#1f77b4"]], hovertemplate=None, hoverinfo="skip",
                      showscale=True, colorbar=dict(title=dict(text=count_title, side="right"), thickness=12,
                                                    tickvals=np.log1p(counts).tolist(),
                                                    ticktext=[str(c) for c in counts]))
    # Each cell's hover names its classes (%{y} and %{x} would be the row's and column's numbers): the count,
    # the true class and the answered class ride along in customdata.
    rows, cols = np.indices(confusion.shape)
    cells = [[int(count), names[r], names[c]] for count, r, c in zip(confusion.ravel(), rows.ravel(), cols.ravel())]
    template = hover.replace("%{customdata}", "%{customdata[0]}").replace("%{y}", "%{customdata[1]}")
    fig.update_traces(selector=dict(type="scatter"), customdata=cells,
                      hovertemplate=template.replace("%{x}", "%{customdata[2]}") + "<extra></extra>")
    ticks = dict(visible=True, tickmode="array", tickvals=list(range(n)), ticktext=names, tickfont=dict(size=12),
                 showgrid=False, zeroline=False)
    fig.update_layout(margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(ticks, title=dict(text=x_title), side="bottom"),
                      yaxis=dict(ticks, title=dict(text=y_title)))
    return fig


def bars_figure(values, labels=None, *, height: int = 220, top: int | None = None, percent: bool = False,
                x_title: str = "", y_title: str = "") -> go.Figure:
    """A bar per value (class probabilities, a dense layer's units); `top` is drawn in red."""
    values = np.asarray(values, dtype=np.float64)
    x = [str(label) for label in labels] if labels is not None else list(range(len(values)))
    colours = ["#e53935" if k == top else "#5c6bc0" for k in range(len(values))]
    bar = dict(type="bar", x=x, y=values, marker=dict(color=colours),
               hovertemplate="%{x}: %{y:.2%}<extra></extra>" if percent else "%{x}: %{y:.3f}<extra></extra>")
    layout = dict(height=height, margin=dict(l=10, r=10, t=10, b=10), bargap=0.1,
                  xaxis=dict(type="category", showticklabels=len(values) <= 40, title=dict(text=x_title)),
                  yaxis=dict(title=dict(text=y_title)))
    if percent:
        bar.update(text=[f"{100 * p:.0f}%" if p >= 0.01 else "" for p in values], textposition="outside")
        layout["yaxis"].update(range=[0, 1.15], tickformat=".0%")
    return _figure([bar], layout)


def compare_figure(series: dict[str, tuple[list, list]], *, x_title: str, y_title: str, height: int = 300) -> go.Figure:
    """Several runs' curves on one chart: {label: (epochs, values)}; epochs on whole-number ticks. Labels hold
    names people typed, and plotly reads HTML tags in a trace's name: they are escaped, so they show as typed."""
    data = [dict(type="scatter", x=list(x), y=list(y), mode="lines+markers", name=html.escape(label))
            for label, (x, y) in series.items()]
    last = max([int(max(x)) for x, _ in series.values() if len(x)] or [1])
    layout = dict(height=height, margin=dict(l=10, r=10, t=10, b=10),
                  xaxis=dict(title=dict(text=x_title), range=[0.5, last + 0.5], **whole_ticks(last)),
                  yaxis=dict(title=dict(text=y_title)))
    return _figure(data, layout)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten_text(exponent: int) -> str:
    """10**exponent as a student reads it: 1000, 100, 10, 1, 0.1, 0.01, 0.001, then 10⁻⁴, 10⁴..."""
    if -3 <= exponent <= 3:
        return f"{10.0 ** exponent:.{max(0, -exponent)}f}"
    return "10" + str(exponent).translate(_SUPERSCRIPT)


def log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Ticks at every power of ten from below `low` to above `high` (both > 0), with readable labels."""
    first, last = int(np.floor(np.log10(low))), int(np.ceil(np.log10(high)))
    exponents = range(first, last + 1)
    return [10.0 ** e for e in exponents], [power_of_ten_text(e) for e in exponents]


def whole_ticks(count: int, most: int = 10) -> dict:
    """An axis of whole numbers 0..count: ticks every 1, 2, 5, 10, 20... so at most about `most` show."""
    step = 1
    for candidate in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        step = candidate
        if count / candidate <= most:
            break
    return dict(tickmode="linear", tick0=0, dtick=step, tickformat="d")


def loss_curve_figure(losses: list[float], *, x_title: str, y_title: str, height: int = 240) -> go.Figure:
    """The loss after each step, from step 0: a log scale once it has fallen a hundredfold (a converging
    loss keeps falling by factors; on a linear scale it would sit on the axis after a few steps), with a
    tick at each power of ten (1, 0.1, 0.01...). Steps are whole numbers."""
    steps = list(range(len(losses)))
    positive = [v for v in losses if v > 0]
    log = len(positive) == len(losses) and max(positive) / min(positive) > 100
    data = [dict(type="scatter", x=steps, y=list(losses), mode="lines+markers" if len(losses) < 60 else "lines",
                 line=dict(color="#d62728"), marker=dict(size=5), hovertemplate="%{x}: %{y:.4g}<extra></extra>")]
    last = max(10, len(losses)) - 1
    yaxis = dict(title=dict(text=y_title), type="log" if log else "linear")
    if log:
        values, labels = log_ticks(min(positive), max(positive))
        yaxis.update(tickmode="array", tickvals=values, ticktext=labels,
                     range=[np.log10(values[0]), np.log10(values[-1])])
    else:
        yaxis.update(rangemode="tozero")
    layout = dict(height=height, margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
                  xaxis=dict(title=dict(text=x_title), range=[-0.5, last + 0.5], **whole_ticks(last)), yaxis=yaxis)
    return _figure(data, layout)


LANDSCAPE = [[0.0, "#fcfdbf"], [0.25, "#fc8961"], [0.5, "#b73779"], [0.75, "#51127c"], [1.0, "#000004"]]


def landscape_figure(a: np.ndarray, b: np.ndarray, losses: np.ndarray, path_a, path_b, *, x_title: str,
                     y_title: str, loss_title: str, start: str, now: str, height: int = 420) -> go.Figure:
    """The loss over two weights as a filled contour map (light = low, with a colour bar of loss values),
    and the path the two weights took so far: from `start` (a hollow circle) to `now` (a filled one)."""
    contour = dict(type="contour", x=np.asarray(a).tolist(), y=np.asarray(b).tolist(), z=np.asarray(losses).tolist(),
                   colorscale=LANDSCAPE,
                   ncontours=18, line=dict(width=0.5, color="rgba(255,255,255,0.5)"),
                   colorbar=dict(title=dict(text=loss_title, side="right"), thickness=14),
                   hovertemplate=f"{x_title} = %{{x:.2f}}<br>{y_title} = %{{y:.2f}}<br>{loss_title} = %{{z:.4g}}"
                                 "<extra></extra>")
    path_a, path_b = list(map(float, path_a)), list(map(float, path_b))
    walk = dict(type="scatter", x=path_a, y=path_b, mode="lines+markers", showlegend=False,
                line=dict(color="#00e5ff", width=2), marker=dict(size=4, color="#00e5ff"),
                hovertemplate="%{x:.3f}, %{y:.3f}<extra></extra>")
    ends = dict(type="scatter", x=[path_a[0], path_a[-1]], y=[path_b[0], path_b[-1]], mode="markers+text",
                text=[start, now], textposition=["bottom center", "top center"], showlegend=False,
                textfont=dict(color="#111111", size=13),
                marker=dict(size=[11, 13], color=["rgba(0,0,0,0)", "#00e5ff"], line=dict(color="#00e5ff", width=2)),
                hoverinfo="skip")
    layout = dict(height=height, margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
                  xaxis=dict(title=dict(text=x_title), range=[float(a[0]), float(a[-1])], constrain="domain"),
                  yaxis=dict(title=dict(text=y_title), range=[float(b[0]), float(b[-1])], scaleanchor="x"))
    return _figure([contour, walk, ends], layout)
