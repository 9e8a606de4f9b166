/*
 * Small DOM helpers. Safety rule for every module: user-controlled text (names, messages, room
 * names, server error messages) only ever reaches the DOM through textContent / Text nodes /
 * attribute values set with setAttribute on non-event, non-style attributes. No innerHTML.
 */

export const byId = (id) => document.getElementById(id);

/** Creates an element. Text goes through textContent; no HTML parsing ever happens. */
export function h(tag, props, children) {
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = String(v);
      else if (k === 'hidden') e.hidden = true;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  if (children) for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/**
 * Makes `container`'s children exactly `nodes`, in order, moving as few nodes as possible
 * (nodes already in place are left alone, so focus and screen-reader state survive).
 */
export function reconcile(container, nodes) {
  const keep = new Set(nodes);
  for (const child of Array.from(container.children)) {
    if (!keep.has(child)) child.remove();
  }
  let cur = container.firstElementChild;
  for (const node of nodes) {
    if (node === cur) {
      cur = cur.nextElementSibling;
    } else {
      container.insertBefore(node, cur);
    }
  }
}

export function show(e, on) { e.hidden = !on; }

/** A form's error line: shown with the text, hidden when it is empty. */
export function showFormError(elm, text) {
  elm.textContent = text;
  show(elm, !!text);
}

/**
 * A user or room name as an element: <bdi> is dir=auto + unicode-bidi: isolate, so right-to-left
 * letters or stray direction marks cannot reorder the text around it (issue #9).
 */
export function bdi(name) { return h('bdi', { text: name }); }
