// What every view that draws maps shares (put in front of lab_maps.js and map_picker.js by
// pages/views/assets/component): reading the numbers Python sent, the colour scales, a map as a picture,
// painted on a canvas with its numbers, a box around cells.

const NUMBERS_CELLS = 144;   // maps up to 12x12 carry their numbers
const DIVERGING = [[0, [33, 102, 172]], [0.25, [146, 197, 222]], [0.5, [247, 247, 247]], [0.75, [244, 165, 130]],
  [1, [178, 24, 43]]];

function decode(m) {  // {c, h, w, dtype, b64, signed} as pages/views/assets.array sends it
  if (!m) return null;
  const text = atob(m.b64), bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const v = m.dtype === "f8" ? new Float64Array(bytes.buffer) : new Float32Array(bytes.buffer);
  let lo = Infinity, hi = -Infinity;
  for (const x of v) { if (x < lo) lo = x; if (x > hi) hi = x; }
  return { c: m.c, h: m.h, w: m.w, v, lo, hi, signed: m.signed };
}

function colour(t) {  // t in [0, 1] on the diverging scale
  for (let i = 1; i < DIVERGING.length; i++) {
    const [s1, c1] = DIVERGING[i], [s0, c0] = DIVERGING[i - 1];
    if (t <= s1) { const f = (t - s0) / (s1 - s0); return c0.map((a, k) => Math.round(a + f * (c1[k] - a))); }
  }
  return DIVERGING[DIVERGING.length - 1][1];
}

function picture(map) {  // the map at one pixel a cell (NaN: transparent), cached on the map
  if (map.picture) return map.picture;
  const { c, h, w, v, signed } = map, data = new ImageData(w, h);
  const m = Math.max(Math.abs(map.lo), Math.abs(map.hi)) || 1;
  const lo = signed ? -m : map.lo, span = signed ? 2 * m : (map.hi > map.lo ? map.hi - map.lo : 1);
  for (let i = 0; i < h * w; i++) {
    if (c !== 3 && Number.isNaN(v[i])) continue;   // a gap between the maps of a mosaic
    let rgb;
    if (c === 3) rgb = [0, 1, 2].map((k) => Math.round(Math.min(1, Math.max(0, v[k * h * w + i])) * 255));
    else if (signed) rgb = colour((v[i] - lo) / span);
    else { const g = Math.round(((v[i] - lo) / span) * 255); rgb = [g, g, g]; }
    data.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
  }
  const canvas = document.createElement("canvas");
  canvas.width = w; canvas.height = h;
  canvas.getContext("2d").putImageData(data, 0, 0);
  map.picture = canvas;
  return canvas;
}

function fmt(x, digits = 2) {
  const s = (Math.round(x * 10 ** digits) / 10 ** digits + 0).toFixed(digits);  // no "-0.00"
  return s === "-" + (0).toFixed(digits) ? (0).toFixed(digits) : s;
}

function fill(template, values) {  // "{row}, {col}" with the values given; other braces stay
  return template.replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : `{${k}}`));
}

function paint(canvas, map, cell, numbers) {  // the map at `cell` CSS pixels a cell (numbers written in when
  const ratio = window.devicePixelRatio || 1, cssW = cell * map.w, cssH = cell * map.h;   // asked and small)
  canvas.style.width = cssW + "px"; canvas.style.height = cssH + "px";
  canvas.width = Math.round(cssW * ratio); canvas.height = Math.round(cssH * ratio);
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.imageSmoothingEnabled = false;
  g.drawImage(picture(map), 0, 0, cssW, cssH);
  if (numbers && map.c !== 3 && map.h * map.w <= NUMBERS_CELLS) {
    g.font = `${Math.max(8, Math.min(13, cell / 3.2))}px sans-serif`;
    g.textAlign = "center"; g.textBaseline = "middle";
    const m = Math.max(Math.abs(map.lo), Math.abs(map.hi)) || 1;
    for (let r = 0; r < map.h; r++) for (let c = 0; c < map.w; c++) {
      const x = map.v[r * map.w + c];
      g.fillStyle = (map.signed ? Math.abs(x) / m > 0.6 : (x - map.lo) / ((map.hi - map.lo) || 1) < 0.5) ? "#fff" : "#222";
      g.fillText(fmt(x), (c + 0.5) * cell, (r + 0.5) * cell);
    }
  }
  return g;
}

function outline(g, cell, [r0, c0, r1, c1], stroke, lineWidth) {  // a box around cells r0..r1, c0..c1
  const grow = cell < 4 ? 2 : 0;  // a box around a sub-pixel cell must still be seen
  g.strokeStyle = stroke; g.lineWidth = lineWidth;
  g.strokeRect(c0 * cell - grow, r0 * cell - grow, (c1 - c0 + 1) * cell + 2 * grow, (r1 - r0 + 1) * cell + 2 * grow);
}
