// The exercises solved in this browser, kept in localStorage so a reload (a new session) restores the
// ticks and the progress bar. Python sends the set it knows; this keeps the union of both and, when the
// browser knows more than Python (after a reload), sends the union back once. Draws nothing.

const KEY = "cnn-lab.lessons.solved";

function stored() {
  try {
    const value = JSON.parse(window.localStorage.getItem(KEY) || "[]");
    return Array.isArray(value) ? value.filter((id) => typeof id === "string") : [];
  } catch (e) {
    return [];          // storage blocked (private mode, a policy) or damaged: start from Python's set
  }
}

export default function ({ data, parentElement, setStateValue }) {
  let root = parentElement.querySelector(".progressstore");
  if (!root) {
    root = document.createElement("div");
    root.className = "progressstore";
    parentElement.appendChild(root);
  }
  const known = new Set(data.solved);
  const union = [...new Set([...stored(), ...data.solved])].sort();
  try {
    window.localStorage.setItem(KEY, JSON.stringify(union));
  } catch (e) { /* nowhere to keep it: progress lasts as long as the session */ }
  const news = union.filter((id) => !known.has(id));
  const message = JSON.stringify(union);
  if (news.length && root.__sent !== message) {   // once per new set: no loop if Python refuses an id
    root.__sent = message;
    setStateValue("solved", union);
  }
  root.dataset.solved = message;    // what the browser keeps, for the browser tests
}
