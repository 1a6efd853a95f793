// The Lab's maps: padded input, feature map, activated map, pooled map, and the arithmetic of any cell.
// Python computes every map and sends it (float64 where small enough to send, float32 for big pictures);
// this file only draws them and answers the pointer: hovering, clicking, scrubbing and Play recompute
// one window's patch ⊙ kernel from the sent input and kernel, in the browser, without a round trip.

// decode, colour, picture, fmt, fill, paint and outline come from map_common.js, put in front of this file.
const GREEN = "#00c853", ORANGE = "#ff9800";
const PREVIEW_WORK = 2_000_000;   // multiply-adds a preview may take (a few ms), so a drag stays smooth
const SHOWN_BIAS = 0.005 + 1e-9;   // the bias field shows two decimals: closer than this is no change
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;   // what Python's float() reads, less its oddities


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

function windowAt(s, row, col) {
  const d = s.data, X = s.input, K = s.kernel, k = d.size, [sh, sw] = d.stride, dil = d.dilation;
  const rows = [...Array(k).keys()].map((i) => row * sh + i * dil), cols = [...Array(k).keys()].map((j) => col * sw + j * dil);
  const channels = [];
  let total = 0;
  for (let c = 0; c < X.c; c++) {
    const patch = [], kernel = [], products = [];
    let sum = 0;
    for (const r of rows) for (const q of cols) patch.push(X.v[(c * X.h + r) * X.w + q]);
    for (let i = 0; i < k * k; i++) { kernel.push(K.v[c * k * k + i]); products.push(patch[i] * kernel[i]); sum += products[i]; }
    channels.push({ patch, kernel, products, sum });
    total += sum;
  }
  return { row, col, rows, cols, channels, total, value: total + d.bias };
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

function poolArithmetic(s, pr, pc) {
  const d = s.data, a = s.activated, { size, stride, mode } = d.pool, values = [];
  let result = mode === "max" ? -Infinity : 0;
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) {
    const x = a.v[(pr * stride + i) * a.w + pc * stride + j];
    values.push(x);
    result = mode === "max" ? Math.max(result, x) : result + x / (size * size);
  }
  s.poolStep = { row: pr, col: pc, values, value: result };
  return `<div class="title">${fill(d.labels.pool_title, { row: pr, col: pc })}</div>` +
    tableHtml(values, size, d.labels.pool_window, true) +
    `<div class="total">${fill(d.labels.pool_result, { value: fmt(result, 3) })}</div>`;
}

// ---------------------------------------------------------------- preview: a control's change, drawn at once
// The Lab's controls announce every change on the document ("cnnlab-control": a slider moving, a kernel cell
// committed, the bias stepped, an activation chosen). This view recomputes its maps from the input and kernel
// it was sent, as cnn.ops does (cross-correlation, the four fills, the activations, pooling without padding),
// and draws them while Python computes the same maps; Python's answer then replaces them. Where the result
// would be empty or the fill impossible, it leaves the maps to Python and its message.

function sidesFor(padding, k, d) {  // cnn.ops.resolve_padding, one axis
  const total = d * (k - 1), half = Math.floor(total / 2);
  if (padding === "valid") return [0, 0];
  if (padding === "same") return [half, total - half];
  if (padding === "full") return [total, total];
  return [padding, padding];
}

function source(i, n, mode) {  // which input pixel a padded position shows (-1: a zero)
  if (i >= 0 && i < n) return i;
  if (mode === "zeros") return -1;
  if (mode === "replicate") return i < 0 ? 0 : n - 1;
  if (mode === "circular") return ((i % n) + n) % n;
  return i < 0 ? -i : 2 * (n - 1) - i;  // reflect, without repeating the edge
}

const ACTIVATE = {
  none: (x) => x, relu: (x) => Math.max(x, 0), leaky_relu: (x) => (x > 0 ? x : 0.01 * x),
  sigmoid: (x) => 0.5 * (1 + Math.tanh(0.5 * x)), tanh: (x) => Math.tanh(x),
};

function mapOf(c, h, w, v, signed) {
  let lo = Infinity, hi = -Infinity;
  for (const x of v) { if (x < lo) lo = x; if (x > hi) hi = x; }
  return { c, h, w, v, lo, hi, signed };
}

function compute(image, K, k, st) {  // image: the unpadded input; st: the settings -> maps, or null
  const [sh, sw] = st.stride, d = st.dilation, span = d * (k - 1) + 1;
  const [top, bottom] = sidesFor(st.padding, k, d), [left, right] = sidesFor(st.padding, k, d);
  const { c: C, h: H, w: W } = image;
  if (st.pad_mode === "reflect" && Math.max(top, bottom, left, right) >= Math.min(H, W)) return null;
  if (st.pad_mode === "circular" && Math.max(top, bottom, left, right) > Math.min(H, W)) return null;
  const Hp = H + top + bottom, Wp = W + left + right;
  if (span > Hp || span > Wp) return null;
  const padded = new Float64Array(C * Hp * Wp);
  for (let ch = 0; ch < C; ch++) for (let r = 0; r < Hp; r++) {
    const y = source(r - top, H, st.pad_mode);
    for (let q = 0; q < Wp; q++) {
      const x = source(q - left, W, st.pad_mode);
      padded[(ch * Hp + r) * Wp + q] = y < 0 || x < 0 ? 0 : image.v[(ch * H + y) * W + x];
    }
  }
  const oh = Math.floor((Hp - span) / sh) + 1, ow = Math.floor((Wp - span) / sw) + 1;
  if (C * oh * ow * k * k > PREVIEW_WORK) return null;   // a big photo: Python's answer is as quick
  const feature = new Float64Array(oh * ow), act = ACTIVATE[st.activation], activated = new Float64Array(oh * ow);
  for (let r = 0; r < oh; r++) for (let q = 0; q < ow; q++) {
    let total = 0;
    for (let ch = 0; ch < C; ch++) {
      let sum = 0;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
        sum += padded[(ch * Hp + r * sh + i * d) * Wp + q * sw + j * d] * K.v[(ch * k + i) * k + j];
      }
      total += sum;
    }
    feature[r * ow + q] = total + st.bias;
    activated[r * ow + q] = act(feature[r * ow + q]);
  }
  let pooled = null;
  if (st.pool) {
    const { size, stride, mode } = st.pool, ph = Math.floor((oh - size) / stride) + 1, pw = Math.floor((ow - size) / stride) + 1;
    if (size > oh || size > ow) return null;
    const out = new Float64Array(ph * pw);
    for (let r = 0; r < ph; r++) for (let q = 0; q < pw; q++) {
      let m = mode === "max" ? -Infinity : 0;
      for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) {
        const x = activated[(r * stride + i) * ow + q * stride + j];
        m = mode === "max" ? Math.max(m, x) : m + x;
      }
      out[r * pw + q] = mode === "max" ? m : m / (size * size);
    }
    pooled = mapOf(1, ph, pw, out, true);
  }
  return { input: mapOf(C, Hp, Wp, padded, false), pads: [[top, bottom], [left, right]],
    feature: mapOf(1, oh, ow, feature, true), activated: mapOf(1, oh, ow, activated, true), pooled };
}

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

const MENUS = {  // the value each Lab menu shows, as the settings hold it
  activation: (st) => st.activation, pad_mode: (st) => st.pad_mode,
  pad_kind: (st) => (typeof st.padding === "number" ? "custom" : st.padding), pooling: (st) => (st.pool ? st.pool.mode : "none"),
};

function announced(root, detail) {
  const s = root.__lab, d = s.sentData;
  if (!d || !d.preview || !detail) return;
  const st = s.settings, p = d.preview, v = detail.value, whole = Number.isInteger(v) && v >= 1;
  if (detail.key in MENUS && !(v in p.menus[detail.key])) return;
  switch (detail.key) {
    case "stride_h": if (!whole) return; st.stride[0] = v; break;
    case "stride_w": if (!whole) return; st.stride[1] = v; break;
    case "dilation": if (!whole) return; st.dilation = v; break;
    case "pad_amount": if (!Number.isInteger(v) || v < 0 || typeof st.padding !== "number") return; st.padding = v; break;
    case "pad_kind": st.padding = v === "custom" ? p.pad_amount : v; break;
    case "pad_mode": st.pad_mode = v; break;
    case "activation": st.activation = v; break;
    case "pooling": st.pool = v === "none" ? null : { ...(st.pool || d.pool), mode: v }; break;
    case "pool_size": if (!whole || !st.pool) return; st.pool.size = v; break;
    case "pool_stride": if (!whole || !st.pool) return; st.pool.stride = v; break;
    case "bias": if (detail.focus !== d.focus || !Number.isFinite(v) || Math.abs(v) > 1e6) return; st.bias = v; break;
    case "kernel_size": if (!whole || !p.kernels[v]) return; st.size = v; s.kernel = decode(p.kernels[v]); break;
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

function titled(root, titles, pooled, note) {  // the panels' titles, and the note where there is no pooled map
  const s = root.__lab;
  titles.forEach((t, i) => { s.panels[i].head.textContent = t; });
  s.panels.forEach((panel, i) => { panel.note.textContent = i === 3 && !pooled ? note : ""; });
  s.panels[3].canvas.style.display = pooled ? "" : "none";
}

function draw(root) {  // the maps for s.settings and s.kernel, computed here; false when Python must explain
  const s = root.__lab, d = s.sentData, st = s.settings, L = d.labels;
  const maps = compute(s.image, s.kernel, st.size, st);
  if (!maps) return false;
  Object.assign(s, maps);
  s.data = { ...d, size: st.size, stride: st.stride, dilation: st.dilation, pads: maps.pads, bias: st.bias,
    activation: st.activation, pool: st.pool || d.pool, labels: { ...L } };
  const name = d.preview.menus.activation[st.activation], pool = st.pool && d.preview.menus.pooling[st.pool.mode];
  s.data.labels.check = st.activation === "none" ? L.check_none : fill(L.check_act, { act: name });
  if (st.pool) s.data.labels.pool_result = L.pool_results[st.pool.mode];
  const T = d.shape_titles, shape = (m) => `${m.h}×${m.w}`;
  titled(root, [fill(T[0], { shape: `${maps.input.c}×${shape(maps.input)}` }), fill(T[1], { shape: shape(maps.feature) }),
    st.activation === "none" ? fill(T[3], { shape: shape(maps.activated) }) : fill(T[2], { name, shape: shape(maps.activated) }),
    maps.pooled ? fill(T[4], { name: pool, shape: shape(maps.pooled) }) : T[5]], maps.pooled, L.no_pooling_chosen);
  // The cells Python will show: the one a student picked (kept within the map), else the strongest.
  const within = (cell, map) => [Math.min(cell[0], map.h - 1), Math.min(cell[1], map.w - 1)];
  s.cell = s.picked ? within(s.picked, maps.feature) : strongest(maps.feature);
  if (maps.pooled) s.poolCell = s.pickedPool ? within(s.pickedPool, maps.pooled) : strongest(maps.pooled);
  root.dataset.version = `${d.version}.${s.previews}`;   // drawn from a control's change, before Python's answer
  root.dataset.shape = `${maps.feature.h}x${maps.feature.w}`;
  render(root);
  return true;
}

function strongest(map) {  // np.argmax(np.abs(map)): the first cell of largest magnitude
  let best = 0;
  for (let i = 1; i < map.v.length; i++) if (Math.abs(map.v[i]) > Math.abs(map.v[best])) best = i;
  return [Math.floor(best / map.w), best % map.w];
}

// Streamlit's own widgets among the Lab's controls (the bias field, the menus, the kernel size slider) do not
// announce their changes: read what they will show, or show, and draw it if it differs from the maps.
function watchStreamlitControls(root) {
  const s = root.__lab, live = () => root.isConnected && s.sentData && s.sentData.preview;
  const menuValue = (key, label) => Object.keys(s.sentData.preview.menus[key]).find((v) => s.sentData.preview.menus[key][v] === label.trim());
  const check = () => {
    if (!root.isConnected) { document.removeEventListener("click", later, true); document.removeEventListener("keydown", later, true); return; }
    if (!live()) return;
    const d = s.sentData, bias = document.querySelector(`.st-key-bias_${d.focus} input`);
    const value = bias && bias.value.trim() !== "" ? Number(bias.value) : NaN;
    if (Number.isFinite(value) && Math.abs(value - s.settings.bias) > SHOWN_BIAS) announced(root, { key: "bias", focus: d.focus, value });
    for (const key of Object.keys(MENUS)) {
      const menu = document.querySelector(`.st-key-${key} input`), chosen = menu && menuValue(key, menu.value);
      if (chosen && chosen !== MENUS[key](s.settings)) announced(root, { key, value: chosen });
    }
  };
  // What a click will choose, read before Streamlit handles it: a step of the bias, a menu's option.
  const now = (e) => {
    const d = s.sentData, target = e.target.closest ? e.target : null;
    if (!live() || !target) return;
    const step = target.closest(`.st-key-bias_${d.focus} button`);
    const up = step && step.dataset.testid === "stNumberInputStepUp", down = step && step.dataset.testid === "stNumberInputStepDown";
    const b = s.settings.bias, unit = d.preview.bias_step;
    if ((up || down) && Math.abs(b / unit - Math.round(b / unit)) < 1e-9) {   // off the grid, Streamlit snaps: leave it to Python
      announced(root, { key: "bias", focus: d.focus, value: b + (up ? 1 : -1) * unit });
    }
    option(target.closest('[role="option"]'));
  };
  const option = (picked) => {   // an option of the open menu, clicked or chosen with Enter
    const open = document.activeElement;
    const key = picked && open && open.closest && Object.keys(MENUS).find((k) => open.closest(`.st-key-${k}`));
    const chosen = key && menuValue(key, picked.textContent);
    if (chosen && chosen !== MENUS[key](s.settings)) announced(root, { key, value: chosen });
  };
  const highlighted = () => {
    const open = document.activeElement, id = open && open.getAttribute && open.getAttribute("aria-activedescendant");
    return id && open.getAttribute("aria-expanded") === "true" ? document.getElementById(id) : null;
  };
  // And after Streamlit's own handler (Enter in the field, keys in a menu), which may show it a frame later.
  const later = (e) => {
    if (e.type === "click") now(e);
    if (e.type !== "click" && e.key !== "Enter") return;
    if (e.type === "keydown" && live()) {
      option(highlighted());
      const d = s.sentData, field = e.target.closest && e.target.closest(`.st-key-bias_${d.focus} input`);
      const typed = field && field.value.trim();   // as typed: the field shows it rounded once Streamlit has it
      if (typed && DECIMAL.test(typed)) announced(root, { key: "bias", focus: d.focus, value: Number(typed) });
    }
    setTimeout(check, 0);
    let frames = 0;
    const again = () => { check(); if (++frames < 6) requestAnimationFrame(again); };
    requestAnimationFrame(again);
  };
  document.addEventListener("click", later, true);
  document.addEventListener("keydown", later, true);
}

function watchKernelSize(root) {  // Streamlit's slider shows its new value as it moves: follow it
  const s = root.__lab, slider = document.querySelector(".st-key-kernel_size");
  if (s.sizeWatch) s.sizeWatch.disconnect();
  if (!slider || !s.sentData.preview) return;
  s.sizeWatch = new MutationObserver(() => {
    const input = root.isConnected && slider.querySelector('input[type="range"]');
    const size = input ? Number(input.getAttribute("aria-valuetext")) : NaN;
    if (Number.isInteger(size) && size !== s.settings.size) announced(root, { key: "kernel_size", value: size });
  });
  s.sizeWatch.observe(slider, { subtree: true, attributes: true, attributeFilter: ["aria-valuetext"] });
}

// ---------------------------------------------------------------- the whole view

function render(root) {
  const s = root.__lab, d = s.data;
  if (!d) return;
  const [row, col] = s.hover || s.cell, step = windowAt(s, row, col);
  const pool = s.pooled ? (s.poolHover || s.poolCell) : null;
  const poolBox = pool ? [pool[0] * d.pool.stride, pool[1] * d.pool.stride,
    pool[0] * d.pool.stride + d.pool.size - 1, pool[1] * d.pool.stride + d.pool.size - 1] : null;
  drawPanel(s.panels[0], s.input, { pads: d.pads, rows: step.rows, cols: step.cols });
  const numbers = d.numbers;
  drawPanel(s.panels[1], s.feature, { cell: [row, col], numbers });
  drawPanel(s.panels[2], s.activated, { cell: [row, col], window: poolBox, numbers });
  if (s.pooled) drawPanel(s.panels[3], s.pooled, { cell: pool, numbers });
  s.arith.innerHTML = arithmetic(s, step);
  s.poolArith.innerHTML = pool ? poolArithmetic(s, pool[0], pool[1]) : "";
  const scrub = root.querySelector(".scrub input");
  scrub.max = String(s.feature.h * s.feature.w - 1);
  scrub.value = String(row * s.feature.w + col);
  root.querySelector(".scrub .where").textContent = fill(d.labels.position, { row, col });
  root.dataset.cell = `${row},${col}`;
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
    '<div class="panel"><div class="head"></div><div class="box"><canvas></canvas></div><div class="note"></div></div>').join("")}</div>
    <div class="scrub"><button type="button" class="play"></button><select class="speed"></select>
    <input type="range" min="0" value="0" step="1"><span class="where"></span></div>
    <div class="sums"><div class="arith"></div><div class="pool-arith"></div></div>`;
  const s = root.__lab;
  s.panels = [...root.querySelectorAll(".panel")].map((p) => ({
    el: p, head: p.querySelector(".head"), box: p.querySelector(".box"), canvas: p.querySelector("canvas"), note: p.querySelector(".note"),
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
  pp.canvas.addEventListener("click", (e) => {
    const at = s.pooled && cellAt(pp, s.pooled, e);
    if (at) { s.poolCell = at; s.pickedPool = at; s.poolHover = null; render(root); setStateValue("pool_cell", at); }
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
  watchStreamlitControls(root);
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
  if (!same(data.pool_cell, s.sentPool) || !s.poolCell) s.poolCell = data.pool_cell;
  s.sentPool = data.pool_cell;
  s.cell = [Math.min(s.cell[0], s.feature.h - 1), Math.min(s.cell[1], s.feature.w - 1)];
  if (s.pooled && s.poolCell) s.poolCell = [Math.min(s.poolCell[0], s.pooled.h - 1), Math.min(s.poolCell[1], s.pooled.w - 1)];
  s.hover = null; s.poolHover = null;
  titled(root, data.titles, s.pooled, data.no_pooling);
  watchKernelSize(root);
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
