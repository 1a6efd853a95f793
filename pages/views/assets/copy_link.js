// "Copy link": the address bar already holds the whole view (pages/views/link.py writes it on every
// run), so the link is simply this page's address. Falls back to selecting it in a text field where
// the clipboard is not available (a page served over plain http from another machine).

export default function ({ data, parentElement }) {
  let root = parentElement.querySelector(".copylink");
  if (!root) {
    root = document.createElement("div");
    root.className = "copylink";
    root.innerHTML = '<button type="button"></button><input type="text" readonly>';
    parentElement.appendChild(root);
    const button = root.querySelector("button"), field = root.querySelector("input");
    button.addEventListener("click", async () => {
      const link = window.location.href;
      root.dataset.link = link;
      try {
        await navigator.clipboard.writeText(link);
        button.textContent = root.__labels.copied;
      } catch (e) {
        field.value = link; field.style.display = "block"; field.select();
      }
      setTimeout(() => { button.textContent = root.__labels.copy; }, 2000);
    });
  }
  root.__labels = data.labels;
  root.querySelector("button").textContent = data.labels.copy;
  root.querySelector("button").title = data.labels.help;
}
