// A number field of the Lab's own, with − and + buttons: for the bias. A typed number is sent as typed (more
// decimals than the field shows are kept), a step adds or takes away `step`. Every new value is announced on
// the page at once (the Lab's map view draws it before Python answers) and sent to Python as a trigger.
// Text that is not a number in range is kept on screen with Python's message, and nothing is sent.

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;   // what Python's float() reads, less its oddities

function shown(value, decimals) {  // at least `decimals` decimals; all of a typed number's own
  const short = value.toFixed(decimals);
  return Number(short) === value ? short : String(value);
}

export default function ({ data, parentElement, setTriggerValue }) {
  let root = parentElement.querySelector(".lab-number");
  if (!root) {
    root = document.createElement("div");
    root.className = "lab-number";
    root.innerHTML = '<div class="head"><label></label><span class="help" tabindex="0">?</span></div>' +
      '<div class="field"><input type="text" inputmode="decimal" spellcheck="false" autocomplete="off">' +
      '<button type="button" class="minus">−</button><button type="button" class="plus">+</button></div>' +
      '<div class="message" role="alert"></div>';
    parentElement.appendChild(root);
    const input = root.querySelector("input"), s = { value: null };
    root.__number = s;
    const send = (value) => {
      const d = root.__data;
      root.querySelector(".message").textContent = "";
      input.removeAttribute("aria-invalid");
      input.value = shown(value, d.decimals);
      if (value === s.value) return;
      s.value = value;
      root.dataset.value = String(value);
      document.dispatchEvent(new CustomEvent("cnnlab-control", { detail: { key: d.key, value } }));
      setTriggerValue("pick", value);
    };
    const commit = () => {
      const d = root.__data, text = input.value.trim().replaceAll("−", "-").replace(",", ".");
      const value = DECIMAL.test(text) ? Number(text) : NaN;
      if (Number.isFinite(value) && value >= d.min && value <= d.max) { send(value === 0 ? 0 : value); return; }
      root.querySelector(".message").textContent = d.labels.invalid;
      input.setAttribute("aria-invalid", "true");
    };
    const step = (sign) => {
      const d = root.__data;
      // toPrecision(15) drops binary noise (0.1 + 0.2 is 0.3 here): the value sent is the value announced.
      const value = Number((s.value + sign * d.step).toPrecision(15));
      send(Math.min(d.max, Math.max(d.min, value === 0 ? 0 : value)));
    };
    input.addEventListener("change", commit);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); commit(); }
      else if (event.key === "ArrowUp" || event.key === "ArrowDown") { event.preventDefault(); step(event.key === "ArrowUp" ? 1 : -1); }
    });
    root.querySelector(".minus").addEventListener("click", () => step(-1));
    root.querySelector(".plus").addEventListener("click", () => step(1));
  }
  const s = root.__number, input = root.querySelector("input");
  root.__data = data;
  root.dataset.key = data.key;
  root.querySelector("label").textContent = data.label;
  const help = root.querySelector(".help");
  help.title = data.help || ""; help.style.display = data.help ? "" : "none";
  input.setAttribute("aria-label", data.label);
  root.querySelector(".minus").setAttribute("aria-label", data.labels.minus);
  root.querySelector(".plus").setAttribute("aria-label", data.labels.plus);
  // Python's value wins, except under the typing hand.
  if (document.activeElement !== input || s.value === null) {
    input.value = shown(data.value, data.decimals);
    root.querySelector(".message").textContent = "";
    input.removeAttribute("aria-invalid");
  }
  s.value = data.value;
  root.dataset.value = String(data.value);
}
