// Draw & Predict's canvas: white ink on black, 280x280 like MNIST's 28x28 scaled by ten. It sends the
// picture at once when the pen lifts and about every 150 ms while it moves, so the prediction follows
// the pen. Mouse, pen and touch alike (pointer events); undo and clear; Python may wipe it (`reset`).

const SIDE = 280, EVERY_MS = 150;

// Each run tells the pad which picture Python took up (`data.answering`). While the pen moves, the pad sends
// the next picture only once Python has taken up the last one, and after a late take-up it first pauses as
// long as that picture waited beyond the pad's quickest take-up (the network's and the browser's own share
// stay out of it). On a quiet server that changes nothing; when a whole class draws at once, each pad sends
// fewer pictures while the pen moves (its lift always goes), and everyone's answers come sooner than behind
// a queue of pictures drawn over before they are read.
export function keepsUp(pad, now) {
  return pad.taken >= pad.seq && now - pad.takenAt >= pad.lag - pad.quickest;
}

export function noteTaken(pad, answering, now) {
  // Only a picture this pad sent counts: after a reload Python still names the last page's picture.
  if (!(answering > pad.taken) || !pad.sentAt.has(answering)) return;
  pad.lag = now - pad.sentAt.get(answering);
  pad.quickest = Math.min(pad.quickest, pad.lag);
  pad.taken = answering;
  pad.takenAt = now;
  for (const seq of pad.sentAt.keys()) if (seq <= answering) pad.sentAt.delete(seq);
}

function paint(s) {
  const g = s.canvas.getContext("2d");
  g.fillStyle = "#000"; g.fillRect(0, 0, SIDE, SIDE);
  g.strokeStyle = "#fff"; g.fillStyle = "#fff"; g.lineCap = "round"; g.lineJoin = "round";
  for (const stroke of s.strokes) {
    const p = stroke.points;
    if (p.length === 1) { g.beginPath(); g.arc(p[0][0], p[0][1], stroke.width / 2, 0, 2 * Math.PI); g.fill(); continue; }
    g.lineWidth = stroke.width;
    g.beginPath(); g.moveTo(p[0][0], p[0][1]);
    for (let i = 1; i < p.length; i++) g.lineTo(p[i][0], p[i][1]);
    g.stroke();
  }
}

function send(s) {
  clearTimeout(s.later); s.later = null; s.lastSent = performance.now();
  s.seq += 1; s.sentAt.set(s.seq, s.lastSent);
  s.root.dataset.sent = String(s.seq);
  s.setStateValue("drawing", { seq: s.seq, png: s.strokes.length ? s.canvas.toDataURL("image/png") : null });
}

function soon(s) {  // at most one send per EVERY_MS while the pen moves, and only while Python keeps up
  if (s.later || !keepsUp(s, performance.now())) return;
  const wait = Math.max(0, EVERY_MS - (performance.now() - s.lastSent));
  s.later = setTimeout(() => { s.later = null; if (s.pen && keepsUp(s, performance.now())) send(s); }, wait);
}

function at(s, e) {
  const r = s.canvas.getBoundingClientRect();
  return [((e.clientX - r.left) / r.width) * SIDE, ((e.clientY - r.top) / r.height) * SIDE];
}

export default function ({ data, parentElement, setStateValue }) {
  let root = parentElement.querySelector(".drawpad");
  if (!root) {
    root = document.createElement("div");
    root.className = "drawpad";
    root.innerHTML = `<canvas width="${SIDE}" height="${SIDE}"></canvas>
      <div class="tools"><button type="button" class="undo"></button><button type="button" class="clear"></button></div>`;
    parentElement.appendChild(root);
    const s = { root, canvas: root.querySelector("canvas"), strokes: [], seq: 0, lastSent: 0, later: null, pen: null,
                sentAt: new Map(), taken: 0, takenAt: 0, lag: 0, quickest: Infinity };
    root.__pad = s;
    paint(s);
    const c = s.canvas;
    c.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 && e.pointerType === "mouse") return;
      c.setPointerCapture(e.pointerId);
      s.pen = { width: s.width, points: [at(s, e)] };
      s.strokes.push(s.pen); paint(s); soon(s);
      e.preventDefault();
    });
    c.addEventListener("pointermove", (e) => {
      if (!s.pen) return;
      for (const ev of e.getCoalescedEvents ? e.getCoalescedEvents() : [e]) s.pen.points.push(at(s, ev));
      paint(s); soon(s);
    });
    const lift = () => { if (!s.pen) return; s.pen = null; send(s); };
    c.addEventListener("pointerup", lift);
    c.addEventListener("pointercancel", lift);
    root.querySelector(".undo").addEventListener("click", () => { if (s.strokes.length) { s.strokes.pop(); paint(s); send(s); } });
    root.querySelector(".clear").addEventListener("click", () => { if (s.strokes.length) { s.strokes = []; paint(s); send(s); } });
  }
  const s = root.__pad;
  // A new `reset` from Python (My data, after it saved the drawing) wipes the pad for the next one.
  if (data.reset !== undefined && data.reset !== s.reset) {
    if (s.reset !== undefined && s.strokes.length) { s.strokes = []; paint(s); }
    s.reset = data.reset;
  }
  if (Number.isInteger(data.answering)) {
    noteTaken(s, data.answering, performance.now());
    root.dataset.taken = String(s.taken);
  }
  s.setStateValue = setStateValue;
  s.width = data.width;
  root.querySelector(".undo").textContent = data.labels.undo;
  root.querySelector(".clear").textContent = data.labels.clear;
  root.dataset.strokes = String(s.strokes.length);
}
