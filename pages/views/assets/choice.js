// A menu of the Lab's own: its options side by side (a segmented control), one of them chosen. Labels come
// from Python in the user's language; what is sent and announced is the option's value, never its label.
// A choice is announced on the page at once (the Lab's map view draws it before Python answers) and sent
// to Python as a trigger, so choosing again what Python has since changed still reaches it.
// Keyboard: Tab into the group, arrows move and choose (as in any radio group), Enter or Space choose.

const HOLD_MS = 2000;   // how long a choice outshines an older answer of Python's still on its way

export default function ({ data, parentElement, setTriggerValue }) {
  let root = parentElement.querySelector(".lab-choice");
  if (!root) {
    root = document.createElement("div");
    root.className = "lab-choice";
    root.innerHTML = '<div class="head"><span class="label"></span><span class="help" tabindex="0">?</span></div>' +
      '<div class="options" role="radiogroup"></div>';
    parentElement.appendChild(root);
    const s = { picked: null, at: 0 };
    root.__choice = s;
    const group = root.querySelector(".options");
    s.choose = (value, focus) => {
      const button = [...group.children].find((b) => b.dataset.value === JSON.stringify(value));
      if (!button) return;
      if (focus) button.focus();
      if (s.shown === JSON.stringify(value)) return;
      s.picked = value; s.at = performance.now();
      mark(root, value);
      document.dispatchEvent(new CustomEvent("cnnlab-control", { detail: { key: s.key, value } }));
      setTriggerValue("pick", value);
    };
    group.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (button) s.choose(JSON.parse(button.dataset.value), true);
    });
    group.addEventListener("keydown", (event) => {
      const buttons = [...group.children], at = buttons.indexOf(document.activeElement);
      if (at < 0) return;
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
      if (step) {
        event.preventDefault();
        s.choose(JSON.parse(buttons[(at + step + buttons.length) % buttons.length].dataset.value), true);
      } else if (event.key === "Home" || event.key === "End") {
        event.preventDefault();
        s.choose(JSON.parse(buttons[event.key === "Home" ? 0 : buttons.length - 1].dataset.value), true);
      } else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        s.choose(JSON.parse(buttons[at].dataset.value), true);
      }
    });
  }
  const s = root.__choice, group = root.querySelector(".options");
  s.key = data.key;
  root.dataset.key = data.key;
  const label = root.querySelector(".label");
  label.textContent = data.label;
  label.id = `lab-choice-${data.key}`;
  group.setAttribute("aria-labelledby", label.id);
  const help = root.querySelector(".help");
  help.title = data.help || ""; help.style.display = data.help ? "" : "none";
  const wanted = data.options.map((o) => `${JSON.stringify(o.value)}\u0000${o.label}`).join("\u0001");
  if (group.dataset.options !== wanted) {   // new options, or the same in another language
    group.innerHTML = "";
    for (const option of data.options) {
      const button = document.createElement("button");
      button.type = "button";
      button.setAttribute("role", "radio");
      button.dataset.value = JSON.stringify(option.value);
      button.textContent = option.label;
      group.appendChild(button);
    }
    group.dataset.options = wanted;
    s.shown = null;
  }
  // Python's value wins, unless a newer choice of the student's has not reached it yet.
  const fresh = s.picked !== null && performance.now() - s.at < HOLD_MS && s.picked !== data.value;
  if (!fresh) s.picked = null;
  mark(root, fresh ? s.picked : data.value);
}

function mark(root, value) {
  const s = root.__choice, chosen = JSON.stringify(value);
  for (const button of root.querySelector(".options").children) {
    const on = button.dataset.value === chosen;
    button.setAttribute("aria-checked", on ? "true" : "false");
    button.tabIndex = on ? 0 : -1;
  }
  s.shown = chosen;
  root.dataset.value = chosen;
}
