// The kernel's numbers as a grid of text fields. A cell is sent the moment it is committed (Enter, Tab or
// leaving it): Streamlit's data editor waits 150 ms before it sends an edit. Python parses and checks
// every number; the field keeps what was typed, so a bad cell stays visible beside its message.

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export default function ({ data, parentElement, setStateValue }) {
  let root = parentElement.querySelector(".kernelgrid");
  if (!root) {
    root = document.createElement("div");
    root.className = "kernelgrid";
    parentElement.appendChild(root);
    root.__count = 0;
  }
  root.__data = data;
  const n = data.cells.length;
  if (root.children.length !== n * n) {
    root.innerHTML = "";
    root.style.gridTemplateColumns = `repeat(${n}, minmax(0, 1fr))`;
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const input = document.createElement("input");
        input.type = "text";
        input.inputMode = "decimal";
        input.spellcheck = false;
        input.dataset.row = r; input.dataset.col = c;
        const send = () => {
          if (input.value === input.dataset.sent) return;
          input.dataset.sent = input.value;
          root.__count += 1;
          // Every cell's text goes with each edit: of edits committed faster than Python answers, only the
          // last state reaches it, and it must still hold all of them.
          const cells = [...Array(n).keys()].map((i) => [...Array(n).keys()].map((j) => root.children[i * n + j].value));
          setStateValue("edit", { row: r, col: c, text: input.value, cells, n: root.__count });
          const text = input.value.trim().replaceAll("−", "-");
          const value = DECIMAL.test(text) ? Number(text) : NaN;   // what Python's float() reads, less its oddities
          if (root.__data.focus !== undefined && Number.isFinite(value)) {   // the Lab's map view draws it at once
            document.dispatchEvent(new CustomEvent("cnnlab-control", { detail: {
              key: "kernel_cell", focus: root.__data.focus, channel: root.__data.channel, row: r, col: c, value } }));
          }
        };
        input.addEventListener("change", send);
        input.addEventListener("keydown", (event) => {
          if (event.key !== "Enter") return;
          event.preventDefault();
          send();
          const below = root.children[((r + 1) % n) * n + c];   // on, like a spreadsheet
          below.focus(); below.select();
        });
        root.appendChild(input);
      }
    }
  }
  for (const input of root.children) {
    const text = data.cells[input.dataset.row][input.dataset.col];
    input.setAttribute("aria-label", `${data.label} (${input.dataset.row}, ${input.dataset.col})`);
    input.classList.toggle("bad", Boolean(data.bad && data.bad[0] == input.dataset.row && data.bad[1] == input.dataset.col));
    if (document.activeElement !== input || input.dataset.sent === text) {   // never under the typing hand
      input.value = text;
      input.dataset.sent = text;
    }
  }
}
