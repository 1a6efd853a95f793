// "Copy link": the address bar already holds the whole view (pages/views/link.py writes it on every
// run), so the link is simply this page's address. Falls back to selecting it in a text field where
// the clipboard is not available (a page served over plain http from another machine).

export default function ({ data, parentElement }) {
  let root = parentElement.querySelector(".copylink");
  if (!root) {
    root = document.createElement("div");
    root.className = "copylink";
    // A drawn link icon: an emoji would show as an empty box where no emoji font is installed.
    root.innerHTML = '<button type="button"><svg viewBox="0 0 24 24" width="15" height="15" aria-hidden="true">' +
      '<path d="M10 14a5 5 0 0 0 7 0l3-3a5 5 0 0 0-7-7l-1 1M14 10a5 5 0 0 0-7 0l-3 3a5 5 0 0 0 7 7l1-1" ' +
      'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg><span></span></button>' +
      '<input type="text" readonly>';
    parentElement.appendChild(root);
    const button = root.querySelector("button"), field = root.querySelector("input");
    button.addEventListener("click", async () => {
      const link = window.location.href;
      root.dataset.link = link;
      try {
        await navigator.clipboard.writeText(link);
        button.lastChild.textContent = root.__labels.copied;
      } catch (e) {
        field.value = link; field.style.display = "block"; field.select();
      }
      setTimeout(() => { button.lastChild.textContent = root.__labels.copy; }, 2000);
    });
  }
  root.__labels = data.labels;
  root.querySelector("button span").textContent = data.labels.copy;
  root.querySelector("button").title = data.labels.help;
}
