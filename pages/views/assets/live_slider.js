// A slider that reports while it is dragged (Streamlit's own reports only on release): about every
// 100 ms during a drag, and at once on release or a key press, so the maps follow the thumb. Every move is
// also announced on the page, where the Lab's map view draws it before Python's answer comes.

const EVERY_MS = 100;

export default function ({ data, parentElement, setTriggerValue }) {
  let root = parentElement.querySelector(".live-slider");
  if (!root) {
    root = document.createElement("div");
    root.className = "live-slider";
    root.innerHTML = '<div class="head"><label></label><span class="help" tabindex="0">?</span></div>' +
      '<div class="track"><span class="value"></span><input type="range"></div>';
    parentElement.appendChild(root);
    const input = root.querySelector("input"), s = { last: 0, later: null, sent: null };
    root.__slider = s;
    const send = () => {
      clearTimeout(s.later); s.later = null; s.last = performance.now();
      const value = Number(input.value);
      if (value !== s.sent) { s.sent = value; setTriggerValue("value", value); }
    };
    const show = () => {
      const span = root.querySelector(".value"), f = (input.value - input.min) / ((input.max - input.min) || 1);
      span.textContent = input.value;
      span.style.left = `calc(${f * 100}% + ${(0.5 - f) * 14}px)`;
      input.style.setProperty("--f", `${f * 100}%`);
    };
    input.addEventListener("input", () => {
      show();
      // The Lab's map view redraws from this at once (assets/lab_maps.js), before Python answers.
      document.dispatchEvent(new CustomEvent("cnnlab-control", { detail: { key: root.__key, value: Number(input.value) } }));
      if (!s.later) s.later = setTimeout(send, Math.max(0, EVERY_MS - (performance.now() - s.last)));
    });
    input.addEventListener("change", send);
    s.show = show;
  }
  const s = root.__slider, input = root.querySelector("input");
  root.__key = data.key;
  root.querySelector("label").textContent = data.label;
  const help = root.querySelector(".help");
  help.title = data.help || ""; help.style.display = data.help ? "" : "none";
  input.min = String(data.min); input.max = String(data.max); input.step = String(data.step || 1);
  input.setAttribute("aria-label", data.label);
  if (document.activeElement !== input || s.sent === null) input.value = String(data.value);  // Python's value wins unless the thumb is held
  if (s.sent === null) s.sent = data.value;
  if (Number(input.value) === data.value) s.sent = data.value;
  root.dataset.value = String(data.value);
  s.show();
}
