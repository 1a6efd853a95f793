// A map, or a mosaic of maps, that the browser draws from the numbers Python sent (no chart library to load),
// where a click picks a cell (which Python turns into a map of the mosaic) and hovering tells a cell's value.
// decode, fmt, fill, paint and outline come from map_common.js, put in front of this file.

const GREEN = "#00c853";

function draw(root) {
  const s = root.__picker, d = s.data, map = s.map, canvas = s.canvas, width = s.box.clientWidth;
  if (!width || !map) return;
  const cell = Math.min(width / map.w, (d.height || Infinity) / map.h), g = paint(canvas, map, cell, d.numbers);
  if (d.outline) outline(g, cell, d.outline, GREEN, Math.max(2, Math.min(4, cell / 8)));
  s.cell = cell;
}

function cellAt(root, event) {
  const s = root.__picker, rect = s.canvas.getBoundingClientRect(), map = s.map;
  const r = Math.floor((event.clientY - rect.top) / s.cell), c = Math.floor((event.clientX - rect.left) / s.cell);
  return r >= 0 && c >= 0 && r < map.h && c < map.w && !Number.isNaN(map.v[r * map.w + c]) ? [r, c] : null;
}

export default function ({ data, parentElement, setStateValue }) {
  let root = parentElement.querySelector(".mappicker");
  if (!root) {
    root = document.createElement("div");
    root.className = "mappicker";
    root.innerHTML = '<div class="title"></div><div class="box"><canvas></canvas></div><div class="hover">&nbsp;</div>';
    parentElement.appendChild(root);
    const s = root.__picker = { box: root.querySelector(".box"), canvas: root.querySelector("canvas") };
    const hover = root.querySelector(".hover");
    s.canvas.addEventListener("click", (e) => {
      const at = s.data.clickable && cellAt(root, e);
      s.clicks = (s.clicks || 0) + 1;   // a count, so picking the same cell again is still a change
      if (at) setStateValue("picked", [...at, s.clicks]);
    });
    s.canvas.addEventListener("pointermove", (e) => {
      const at = cellAt(root, e);
      const d = s.data, t = d.tiles;   // a mosaic: which map, and where in it
      const where = !at ? null : t ? { map: Math.floor(at[0] / (t.h + 1)) * t.columns + Math.floor(at[1] / (t.w + 1)), row: at[0] % (t.h + 1), col: at[1] % (t.w + 1) }
        : { row: at[0], col: at[1], value: fmt(s.map.v[at[0] * s.map.w + at[1]], 4) };
      hover.textContent = where && d.hover ? fill(d.hover, where) : "\u00a0";
    });
    s.canvas.addEventListener("pointerleave", () => { hover.textContent = "\u00a0"; });
    new ResizeObserver(() => draw(root)).observe(root);
  }
  const s = root.__picker;
  s.data = data;
  s.map = decode(data.map);
  if (data.range) { s.map.lo = data.range[0]; s.map.hi = data.range[1]; }
  root.querySelector(".title").textContent = data.title || "";
  root.classList.toggle("clickable", Boolean(data.clickable));
  root.dataset.shape = `${s.map.h}x${s.map.w}`;
  root.dataset.outline = data.outline ? data.outline.join(",") : "";
  draw(root);
}
