// The Lab's maps: padded input, feature map, activated map, pooled map, and the arithmetic of any cell.
// Python computes every map and sends it (float64 where small enough to send, float32 for big pictures);
// this file only draws them and answers the pointer: hovering, clicking, scrubbing and Play recompute
// one window's patch ⊙ kernel from the sent input and kernel, in the browser, without a round trip.

// decode, colour, picture, fmt, fill, paint and outline come from map_common.js, and the arithmetic (compute,
// windowAt, poolWindow, poolCellFor...) from lab_arith.js: both are put in front of this file.
const GREEN = "#00c853", ORANGE = "#ff9800";
const PREVIEW_WORK = 2_000_000;   // multiply-adds a preview may take (a few ms), so a drag stays smooth


// ---------------------------------------------------------------- drawing one panel

function drawPanel(panel, map, overlays) {
  const canvas = panel.canvas, width = panel.box.clientWidth;
  if (!width || !map) return;
  const cell = width / Math.max(map.w, map.h), cssW = cell * map.w, cssH = cell * map.h;
  const g = paint(canvas, map, cell, overlays.numbers !== false);
  panel.cell = cell;
  const box = (r0, c0, r1, c1, stroke, lineWidth) => outline(g, cell, [r0, c0, r1, c1], stroke, lineWidth);
  const thick = Math.max(2, Math.min(4, cell / 8));
  if (overlays.pads) {
    const [[top, bottom], [left, right]] = overlays.pads;
    if (top + bottom + left + right) {
      g.fillStyle = "rgba(255, 167, 38, 0.30)";
      g.fillRect(0, 0, cssW, top * cell); g.fillRect(0, cssH - bottom * cell, cssW, bottom * cell);
      g.fillRect(0, top * cell, left * cell, cssH - (top + bottom) * cell);
      g.fillRect(cssW - right * cell, top * cell, right * cell, cssH - (top + bottom) * cell);
      box(top, left, map.h - 1 - bottom, map.w - 1 - right, ORANGE, 1.5);
    }
  }
  if (overlays.rows) {
    const { rows, cols } = overlays;
    g.fillStyle = "rgba(0, 200, 83, 0.25)";
    if (cell >= 4) for (const r of rows) for (const c of cols) { g.fillRect(c * cell, r * cell, cell, cell); box(r, c, r, c, GREEN, 1.5); }
    else box(rows[0], cols[0], rows[rows.length - 1], cols[cols.length - 1], GREEN, 2);
  }
  if (overlays.window) { const [r0, c0, r1, c1] = overlays.window; box(r0, c0, r1, c1, ORANGE, thick); }
  if (overlays.cell) box(overlays.cell[0], overlays.cell[1], overlays.cell[0], overlays.cell[1], GREEN, thick);
}

// ---------------------------------------------------------------- the arithmetic, from the sent numbers
// (the functions themselves are in lab_arith.js, put in front of this file)

function stepAt(s, row, col) {
  const d = s.data;
  return windowAt(s.input, s.kernel, d.size, d.stride, d.dilation, d.bias, row, col);
}

function poolFor(s, cell) {  // the pooled cell shown with a map cell: the one whose window holds it
  const { size, stride } = s.data.pool;
  if (s.pickedPool) {   // a pooled cell a student clicked stays while its window holds the cell
    const kept = within(s.pickedPool, s.pooled);
    if (poolContains(kept, cell, size, stride)) return { cell: kept, contains: true };
  }
  return poolCellFor(cell, size, stride, s.pooled.h, s.pooled.w);
}

function tableHtml(values, k, caption, signed) {
  let m = 0;
  for (const x of values) m = Math.max(m, Math.abs(x));
  m = m || 1;
  let rows = "";
  for (let i = 0; i < values.length / k; i++) {
    rows += "<tr>" + values.slice(i * k, i * k + k).map((x) => {
      const a = ((Math.min(Math.abs(x) / m, 1)) * 0.6).toFixed(2);
      const bg = x > 0 || !signed ? `rgba(178,24,43,${a})` : `rgba(33,102,172,${a})`;
      return `<td style="background:${bg}">${fmt(x)}</td>`;
    }).join("") + "</tr>";
  }
  return `<div class="matrix"><div class="caption">${caption}</div><table>${rows}</table></div>`;
}

function arithmetic(s, step) {
  const d = s.data, L = d.labels, k = d.size, names = d.channel_names;
  let html = `<div class="title">${fill(L.arith_title, { row: step.row, col: step.col })}</div>`;
  step.channels.forEach((ch, c) => {
    const label = names && step.channels.length > 1 ? `${names[c]}: ` : "";
    html += `<div class="line">${tableHtml(ch.patch, k, label + L.patch, false)}<span class="op">⊙</span>` +
      `${tableHtml(ch.kernel, k, L.kernel, true)}<span class="op">=</span>${tableHtml(ch.products, k, L.products, true)}` +
      `<span class="op">Σ = ${fmt(ch.sum, 3)}</span></div>`;
  });
  const sums = step.channels.length > 1 ? step.channels.map((ch) => fmt(ch.sum, 3)).join(" + ") + " = " : "";
  html += `<div class="total">Σ = ${sums}${fmt(step.total, 3)}&emsp;${fmt(step.total, 3)} + b (${fmt(d.bias)}) = <b>${fmt(step.value, 3)}</b></div>`;
  const f = s.feature, a = s.activated, i = step.row * f.w + step.col;
  html += `<div class="check">${fill(L.check, { value: fmt(f.v[i], 3), activated: fmt(a.v[i], 3) })}</div>`;
  return html;
}

function poolArithmetic(s, pr, pc, outside) {
  const d = s.data, { size, stride, mode } = d.pool;
  const step = poolWindow(s.activated, pr, pc, size, stride, mode);
  s.poolStep = step;
  const why = outside ? `<div class="check">${fill(d.labels.pool_outside, { row: outside[0], col: outside[1], prow: pr, pcol: pc })}</div>` : "";
  return `<div class="title">${fill(d.labels.pool_title, { row: pr, col: pc })}</div>` +
    tableHtml(step.values, size, d.labels.pool_window, true) +
    `<div class="total">${fill(d.labels.pool_result, { value: fmt(step.value, 3) })}</div>` + why;
}

// ---------------------------------------------------------------- preview: a control's change, drawn at once
// The Lab's controls announce every change on the document ("cnnlab-control": a slider moving, a kernel cell
// committed, the bias stepped, an activation chosen). This view recomputes its maps from the input and kernel
// it was sent, as cnn.ops does (cross-correlation, the four fills, the activations, pooling without padding),
// and draws them while Python computes the same maps; Python's answer then replaces them. Where the result
// would be empty or the fill impossible, it leaves the maps to Python and its message.

function settingsOf(d) {
  const p = d.preview;
  return { size: d.size, stride: [...d.stride], dilation: d.dilation, padding: p.padding, pad_mode: p.pad_mode,
    bias: d.bias, activation: d.activation, pool: p.pooling ? { ...d.pool } : null };
}

function unpadded(s) {  // the input Python padded, without its padding
  const X = s.sentInput, [[top, bottom], [left, right]] = s.sentData.pads;
  const h = X.h - top - bottom, w = X.w - left - right, v = new Float64Array(X.c * h * w);
  for (let c = 0; c < X.c; c++) for (let r = 0; r < h; r++) for (let q = 0; q < w; q++) {
    v[(c * h + r) * w + q] = X.v[(c * X.h + r + top) * X.w + q + left];
  }
  return { c: X.c, h, w, v };
}

function allowed(p, key, v) {  // a value the Lab's control `key` can hold (its description, sent by Python)
  const c = p.controls[key];
  if (!c) return false;
  if (c.options) return c.options.includes(v);
  return Number.isFinite(v) && v >= c.min && v <= c.max && (!c.whole || Number.isInteger(v));
}

// A change announced by one of the Lab's own controls: {key, value} (bias and kernel cells also say which
// kernel, and a cell its channel, row and column), in the values Python keeps, never in a label.
function announced(root, detail) {
  const s = root.__lab, d = s.sentData;
  if (!d || !d.preview || !detail) return;
  const st = s.settings, p = d.preview, v = detail.value;
  if (detail.key !== "kernel_cell" && !allowed(p, detail.key.replace(/_\d+$/, ""), v)) return;
  switch (detail.key) {
    case "stride_h": st.stride[0] = v; break;
    case "stride_w": st.stride[1] = v; break;
    case "dilation": st.dilation = v; break;
    case "pad_amount": if (typeof st.padding !== "number") return; st.padding = v; break;
    case "pad_kind": st.padding = v === "custom" ? p.pad_amount : v; break;
    case "pad_mode": st.pad_mode = v; break;
    case "activation": st.activation = v; break;
    case "pooling": st.pool = v === "none" ? null : { ...(st.pool || d.pool), mode: v }; break;
    case "pool_size": if (!st.pool) return; st.pool.size = v; break;
    case "pool_stride": if (!st.pool) return; st.pool.stride = v; break;
    case `bias_${d.focus}`: st.bias = v; break;
    case "kernel_size": if (!p.kernels[v]) return; st.size = v; s.kernel = decode(p.kernels[v]); break;
    case "kernel_cell": {
      const k = st.size;
      if (detail.focus !== d.focus || !Number.isFinite(v) || Math.abs(v) > 1e6) return;
      if (!(detail.row < k && detail.col < k && detail.channel < s.kernel.c)) return;
      s.kernel.v[(detail.channel * k + detail.row) * k + detail.col] = v;
      break;
    }
    default: return;
  }
  s.pending = { settings: JSON.stringify(st), kernel: Array.from(s.kernel.v), at: performance.now() };
  s.previews = (s.previews || 0) + 1;
  draw(root);
}

// Python's answer to an earlier change can arrive after a newer one was drawn (a slider dragged on): keep
// drawing the newest choice on top of it until Python's answer agrees, or for a second at most.
function behind(root) {
  const s = root.__lab, p = s.pending;
  if (!p || performance.now() - p.at > 1000) { s.pending = null; return false; }
  if (JSON.stringify(s.settings) === p.settings && Array.from(s.kernel.v).every((x, i) => x === p.kernel[i])) {
    s.pending = null; return false;
  }
  s.settings = JSON.parse(p.settings);
  const sized = s.sentData.preview.kernels[s.settings.size];
  if (sized) s.kernel = decode(sized);
  if (p.kernel.length === s.kernel.v.length) s.kernel.v.set(p.kernel);
  const answer = s.sentData;   // if Python says nothing newer within the second, its answer stands
  setTimeout(() => { if (s.sentData === answer && s.pending === p && root.isConnected) { s.pending = null; show(root, answer); } },
    1000 - (performance.now() - p.at));
  return draw(root);
}

// The panels' titles (null: the panel is hidden: no activation chosen), and the note where there is no pooled map.
function titled(root, titles, pooled, note) {
  const s = root.__lab;
  titles.forEach((t, i) => { s.panels[i].head.textContent = t || ""; s.panels[i].el.style.display = t === null ? "none" : ""; });
  s.panels.forEach((panel, i) => { panel.note.textContent = i === 3 && !pooled ? note : ""; });
  s.panels[3].canvas.style.display = pooled ? "" : "none";
  s.panels[3].legend.style.display = pooled ? "" : "none";
}

function titlesFor(T, names, maps, activation, pool) {  // as pages/views/lab_maps.py titles Python's maps
  const shape = (m) => `${m.h}×${m.w}`, padded = maps.pads.flat().some((x) => x > 0);
  return [fill(padded ? T.padded : T.input, { shape: `${maps.input.c}×${shape(maps.input)}` }),
    fill(T.feature, { shape: shape(maps.feature) }),
    activation === "none" ? null : fill(T.activated, { name: names.activation[activation], shape: shape(maps.activated) }),
    maps.pooled ? fill(T.pooled, { name: names.pooling[pool.mode], shape: shape(maps.pooled) }) : T.not_pooled];
}

function draw(root) {  // the maps for s.settings and s.kernel, computed here; false when Python must explain
  const s = root.__lab, d = s.sentData, st = s.settings, L = d.labels;
  const maps = compute(s.image, s.kernel, st, PREVIEW_WORK);
  if (!maps) return false;
  Object.assign(s, maps);
  s.data = { ...d, size: st.size, stride: st.stride, dilation: st.dilation, pads: maps.pads, bias: st.bias,
    activation: st.activation, pool: st.pool || d.pool, labels: { ...L } };
  const names = d.preview.names;
  s.data.labels.check = st.activation === "none" ? L.check_none : fill(L.check_act, { act: names.activation[st.activation] });
  if (st.pool) s.data.labels.pool_result = L.pool_results[st.pool.mode];
  titled(root, titlesFor(d.shape_titles, names, maps, st.activation, st.pool), maps.pooled, L.no_pooling_chosen);
  // The cell Python will show: the one a student picked (kept within the map), else the strongest.
  s.cell = s.picked ? within(s.picked, maps.feature) : strongest(maps.feature);
  root.dataset.version = `${d.version}.${s.previews}`;   // drawn from a control's change, before Python's answer
  root.dataset.shape = `${maps.feature.h}x${maps.feature.w}`;
  render(root);
  return true;
}

// ---------------------------------------------------------------- legends: a colour bar with values

function legend(panel, map) {  // under each map: what its colours mean
  const el = panel.legend;
  if (!map) { el.innerHTML = ""; return; }
  if (map.c === 3) { el.innerHTML = `<span class="rgb">R G B · 0 … 1</span>`; return; }
  const m = Math.max(Math.abs(map.lo), Math.abs(map.hi)) || 1;
  const [lo, hi] = map.signed ? [-m, m] : [map.lo, map.hi > map.lo ? map.hi : map.lo + 1];
  const stops = map.signed ? [0, 0.25, 0.5, 0.75, 1].map((t) => `rgb(${colour(t).join(",")}) ${t * 100}%`).join(", ")
    : "#000 0%, #fff 100%";
  const ticks = map.signed ? [lo, 0, hi] : [lo, (lo + hi) / 2, hi];
  el.innerHTML = `<div class="bar" style="background:linear-gradient(to right, ${stops})"></div>` +
    `<div class="ticks">${ticks.map((t) => `<span>${fmt(t)}</span>`).join("")}</div>`;
  el.dataset.range = `${lo},${hi}`;
}

// ---------------------------------------------------------------- the whole view

function render(root) {
  const s = root.__lab, d = s.data;
  if (!d) return;
  const [row, col] = s.hover || s.cell, step = stepAt(s, row, col);
  const found = s.pooled ? (s.poolHover ? { cell: s.poolHover, contains: true } : poolFor(s, [row, col])) : null;
  const pool = found && found.cell;
  s.poolCell = s.pooled && !s.poolHover ? pool : s.poolCell;
  const poolBox = pool ? [pool[0] * d.pool.stride, pool[1] * d.pool.stride,
    pool[0] * d.pool.stride + d.pool.size - 1, pool[1] * d.pool.stride + d.pool.size - 1] : null;
  const activated = d.activation !== "none";   // else the pooling window is drawn on the feature map
  drawPanel(s.panels[0], s.input, { pads: d.pads, rows: step.rows, cols: step.cols });
  const numbers = d.numbers;
  drawPanel(s.panels[1], s.feature, { cell: [row, col], numbers, window: activated ? null : poolBox });
  if (activated) drawPanel(s.panels[2], s.activated, { cell: [row, col], window: poolBox, numbers });
  if (s.pooled) drawPanel(s.panels[3], s.pooled, { cell: pool, numbers });
  [s.input, s.feature, activated ? s.activated : null, s.pooled].forEach((m, i) => legend(s.panels[i], m));
  s.arith.innerHTML = arithmetic(s, step);
  s.poolArith.innerHTML = pool ? poolArithmetic(s, pool[0], pool[1], found.contains ? null : [row, col]) : "";
  const scrub = root.querySelector(".scrub input");
  scrub.max = String(s.feature.h * s.feature.w - 1);
  scrub.value = String(row * s.feature.w + col);
  root.querySelector(".scrub .where").textContent = fill(d.labels.position, { row, col });
  root.dataset.cell = `${row},${col}`;
  root.dataset.poolCell = pool ? `${pool[0]},${pool[1]}` : "";
  root.dataset.arith = JSON.stringify({
    row, col, patch: step.channels.map((ch) => ch.patch), products: step.channels.map((ch) => ch.products),
    total: step.total, value: step.value,
  });
  root.dataset.pool = s.poolStep && pool ? JSON.stringify(s.poolStep) : "";
}

function cellAt(panel, map, event) {
  const rect = panel.canvas.getBoundingClientRect(), cell = rect.width / map.w;
  const r = Math.floor((event.clientY - rect.top) / cell), c = Math.floor((event.clientX - rect.left) / cell);
  return r >= 0 && c >= 0 && r < map.h && c < map.w ? [r, c] : null;
}

function build(root, setStateValue) {
  root.innerHTML = `<div class="panels">${[0, 1, 2, 3].map(() =>
    '<div class="panel"><div class="head"></div><div class="box"><canvas></canvas></div><div class="legend"></div><div class="note"></div></div>').join("")}</div>
    <div class="scrub"><button type="button" class="play"></button><select class="speed"></select>
    <input type="range" min="0" value="0" step="1"><span class="where"></span></div>
    <div class="sums"><div class="arith"></div><div class="pool-arith"></div></div>`;
  const s = root.__lab;
  s.panels = [...root.querySelectorAll(".panel")].map((p) => ({
    el: p, head: p.querySelector(".head"), box: p.querySelector(".box"), canvas: p.querySelector("canvas"),
    note: p.querySelector(".note"), legend: p.querySelector(".legend"),
  }));
  s.arith = root.querySelector(".arith"); s.poolArith = root.querySelector(".pool-arith");
  const remember = (cell) => {
    setStateValue("cell", cell);
    if (s.data.url_param) {  // the link to this view holds the chosen cell
      const url = new URL(window.location.href);
      url.searchParams.set(s.data.url_param, `${cell[0]},${cell[1]}`);
      window.history.replaceState(window.history.state, "", url);
    }
  };
  const choose = (cell) => { s.cell = cell; s.picked = cell; s.hover = null; render(root); remember(cell); };
  for (const i of [1, 2]) {
    const p = s.panels[i], map = () => (i === 1 ? s.feature : s.activated);
    p.canvas.addEventListener("pointermove", (e) => { const at = cellAt(p, map(), e); if (at) { s.hover = at; render(root); } });
    p.canvas.addEventListener("pointerleave", () => { s.hover = null; render(root); });
    p.canvas.addEventListener("click", (e) => { const at = cellAt(p, map(), e); if (at) choose(at); });
  }
  const pp = s.panels[3];
  pp.canvas.addEventListener("pointermove", (e) => { const at = s.pooled && cellAt(pp, s.pooled, e); if (at) { s.poolHover = at; render(root); } });
  pp.canvas.addEventListener("pointerleave", () => { s.poolHover = null; render(root); });
  pp.canvas.addEventListener("click", (e) => {   // a pooled cell: the map cell it stands for is picked with it
    const at = s.pooled && cellAt(pp, s.pooled, e);
    if (!at) return;
    const { size, stride, mode } = s.data.pool, cell = cellInPoolWindow(s.activated, at, size, stride, mode);
    s.pickedPool = at; s.poolHover = null; s.cell = cell; s.picked = cell; s.hover = null;
    render(root);
    setStateValue("pool_cell", at); remember(cell);
  });
  const scrub = root.querySelector(".scrub input");
  scrub.addEventListener("input", () => { const i = Number(scrub.value); s.cell = [Math.floor(i / s.feature.w), i % s.feature.w]; s.hover = null; render(root); });
  scrub.addEventListener("change", () => remember(s.cell));
  const play = root.querySelector(".play"), speed = root.querySelector(".speed");
  const stop = () => { clearInterval(s.timer); s.timer = null; play.textContent = s.data.labels.play; root.dataset.playing = "0"; };
  const start = () => {
    s.timer = setInterval(() => {
      const n = s.feature.h * s.feature.w, i = ((s.cell[0] * s.feature.w + s.cell[1]) + 1) % n;
      s.cell = [Math.floor(i / s.feature.w), i % s.feature.w]; render(root);
    }, Number(speed.value));
    play.textContent = s.data.labels.pause; root.dataset.playing = "1";
  };
  play.addEventListener("click", () => { if (s.timer) { stop(); remember(s.cell); } else start(); });
  speed.addEventListener("change", () => { if (s.timer) { clearInterval(s.timer); start(); } });
  s.stop = stop;
  new ResizeObserver(() => render(root)).observe(root);
  const listen = (e) => { if (!root.isConnected) { document.removeEventListener("cnnlab-control", listen); return; } announced(root, e.detail); };
  document.addEventListener("cnnlab-control", listen);
}

export default function ({ data, parentElement, setStateValue }) {
  let root = parentElement.querySelector(".labmaps");
  if (!root) {
    root = document.createElement("div");
    root.className = "labmaps";
    parentElement.appendChild(root);
    root.__lab = {};
    build(root, setStateValue);
  }
  show(root, data);
}

function show(root, data) {  // Python's maps and everything it sent with them
  const s = root.__lab, L = data.labels;
  s.data = data;
  s.input = decode(data.input); s.kernel = decode(data.kernel);
  s.sentData = data; s.sentInput = s.input;
  s.picked = data.cell_kept; s.pickedPool = data.pool_cell_kept;   // as Python keeps them: not yet fitted to a map
  if (data.preview) { s.settings = settingsOf(data); s.image = unpadded(s); }
  s.feature = decode(data.feature); s.activated = decode(data.activated); s.pooled = decode(data.pooled);
  const same = (a, b) => a && b && a[0] === b[0] && a[1] === b[1];
  // Python's choice wins when it changed (a link, a new input); otherwise keep the pointer's.
  if (!same(data.cell, s.sentCell) || !s.cell) s.cell = data.cell;
  s.sentCell = data.cell;
  s.cell = within(s.cell, s.feature);
  s.hover = null; s.poolHover = null;
  titled(root, data.titles, s.pooled, data.no_pooling);
  const speed = root.querySelector(".speed");
  if (speed.dataset.lang !== L.lang) {
    speed.innerHTML = L.speeds.map(([ms, name]) => `<option value="${ms}"${ms === 500 ? " selected" : ""}>${name}</option>`).join("");
    speed.dataset.lang = L.lang;
  }
  root.querySelector(".play").textContent = s.timer ? L.pause : L.play;
  root.querySelector(".scrub input").setAttribute("aria-label", L.scrub);
  root.dataset.version = String(data.version);
  root.dataset.shape = `${s.feature.h}x${s.feature.w}`;
  if (!(data.preview && behind(root))) render(root);
}
