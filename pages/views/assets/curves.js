const COLOURS = { loss: "#d62728", acc: "#1f77b4" };

function wholeStep(xmax) {  // the spacing of whole-number ticks, so that at most about ten show
  for (const step of [1, 2, 5, 10, 20, 50, 100]) if (xmax / step <= 10) return step;
  return 200;
}

function draw(root) {
  const s = root.__curves, canvas = root.querySelector("canvas");
  const width = canvas.clientWidth, height = canvas.clientHeight, ratio = window.devicePixelRatio || 1;
  if (!width) return;
  canvas.width = width * ratio; canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const box = { l: 62, r: 62, t: 8, b: 34 };   // room for the ticks and the three axis titles
  const xs = s.points.map((p) => p[0]).concat(s.epochs.map((e) => e.epoch));
  const xmax = Math.max(1, s.planned || 0, ...xs);
  const losses = s.points.map((p) => p[1]).concat(s.epochs.map((e) => e.val_loss).filter((v) => v != null));
  const ymax = losses.length ? Math.max(...losses) * 1.05 || 1 : 1;
  const X = (x) => box.l + (x / xmax) * (width - box.l - box.r);
  const L = (y) => box.t + (1 - y / ymax) * (height - box.t - box.b);
  const A = (y) => box.t + (1 - y) * (height - box.t - box.b);
  s.scale = { X, L, A, xmax, box, width, height };
  g.strokeStyle = "#ddd"; g.lineWidth = 1; g.fillStyle = "#777"; g.font = "11px sans-serif";
  for (let k = 0; k <= 4; k++) {
    const y = box.t + (k / 4) * (height - box.t - box.b);
    g.beginPath(); g.moveTo(box.l, y); g.lineTo(width - box.r, y); g.stroke();
    g.textAlign = "right"; g.fillText((ymax * (1 - k / 4)).toPrecision(2), box.l - 4, y + 4);
    g.textAlign = "left"; g.fillText((1 - k / 4).toFixed(2), width - box.r + 4, y + 4);
  }
  g.textAlign = "center";
  const step = wholeStep(xmax);                              // epochs are whole numbers: 1, 2, 5, 10... apart
  for (let e = 0; e <= xmax; e += step) g.fillText(String(e), X(e), height - box.b + 14);
  g.font = "12px sans-serif"; g.fillStyle = "#444";
  g.fillText(s.labels.epoch, (box.l + width - box.r) / 2, height - 3);
  const yTitle = (text, x, colour) => {                      // an axis title, turned to run along its axis
    g.save(); g.translate(x, (box.t + height - box.b) / 2); g.rotate(-Math.PI / 2);
    g.fillStyle = colour; g.fillText(text, 0, 0); g.restore();
  };
  yTitle(s.labels.loss, 12, COLOURS.loss);
  yTitle(s.labels.accuracy, width - 6, COLOURS.acc);
  const line = (values, colour, dashed, marks) => {
    if (!values.length) return;
    g.strokeStyle = colour; g.fillStyle = colour; g.lineWidth = 1.5; g.setLineDash(dashed ? [5, 4] : []);
    g.beginPath();
    values.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
    g.stroke(); g.setLineDash([]);
    if (marks) values.forEach(([x, y]) => { g.beginPath(); g.arc(x, y, 3, 0, 7); g.fill(); });
  };
  line(s.points.map((p) => [X(p[0]), L(p[1])]), COLOURS.loss, false, false);
  line(s.points.map((p) => [X(p[0]), A(p[2])]), COLOURS.acc, false, false);
  const val = s.epochs.filter((e) => e.val_loss != null);
  line(val.map((e) => [X(e.epoch), L(e.val_loss)]), COLOURS.loss, true, true);
  line(val.map((e) => [X(e.epoch), A(e.val_accuracy)]), COLOURS.acc, true, true);
}

function hover(root, event) {
  const s = root.__curves, tip = root.querySelector(".tip");
  if (!s.scale || !s.points.length) { tip.style.display = "none"; return; }
  const rect = root.querySelector("canvas").getBoundingClientRect();
  const x = ((event.clientX - rect.left - s.scale.box.l) / (s.scale.width - s.scale.box.l - s.scale.box.r)) * s.scale.xmax;
  let best = s.points[0];
  for (const p of s.points) if (Math.abs(p[0] - x) < Math.abs(best[0] - x)) best = p;
  tip.textContent = `${s.labels.epoch} ${best[0].toFixed(2)} · ${s.labels.loss} ${best[1].toFixed(4)} · ${s.labels.accuracy} ${best[2].toFixed(3)}`;
  tip.style.display = "block";
  tip.style.left = Math.min(event.clientX - rect.left + 12, rect.width - tip.offsetWidth - 4) + "px";
  tip.style.top = "20px";
}

export default function ({ data, parentElement, setTriggerValue }) {
  let root = parentElement.querySelector(".curves");
  if (!root) {
    root = document.createElement("div");
    root.className = "curves";
    root.innerHTML = '<div class="legend"></div><canvas></canvas><div class="tip"></div>';
    parentElement.appendChild(root);
    root.__curves = { run: null, points: [], epochs: [] };
    new ResizeObserver(() => draw(root)).observe(root);
    root.querySelector("canvas").addEventListener("mousemove", (e) => hover(root, e));
    root.querySelector("canvas").addEventListener("mouseleave", () => (root.querySelector(".tip").style.display = "none"));
  }
  const s = root.__curves;
  if (data.run !== s.run || data.start === 0) { s.run = data.run; s.points = []; }
  if (data.start !== s.points.length) { setTriggerValue("resync", data.run); return; }  // missed a refresh: ask for all
  for (const p of data.points) s.points.push(p);
  s.epochs = data.epochs; s.labels = data.labels; s.planned = data.planned;
  root.dataset.points = String(s.points.length);
  const l = data.labels;
  root.querySelector(".legend").innerHTML =
    `<span style="--c:${COLOURS.loss}">${l.train_loss}</span><span style="--c:${COLOURS.acc}">${l.train_acc}</span>` +
    `<span class="dash" style="--c:${COLOURS.loss}">${l.val_loss}</span><span class="dash" style="--c:${COLOURS.acc}">${l.val_acc}</span>`;
  draw(root);
}
