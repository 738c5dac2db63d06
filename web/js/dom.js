// Building DOM without HTML strings: every string child becomes a text node, so
// user-supplied text can never be read as markup.

/**
 * @param {string} tag
 * @param {Record<string, unknown> | null} [attrs] `class`, `dataset`, `on*` handlers
 *   (functions), booleans (present when true) and plain attributes
 * @param {...(Node | string | number | null | undefined | false | Array<any>)} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value);
    } else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
  appendAll(node, children);
  return node;
}

/**
 * Appends children as `el` does (strings as text; null, undefined and false skipped,
 * arrays flattened), unlike `Node.append`, which would write "null".
 * @param {Node} node
 * @param {...any} children
 */
export function append(node, ...children) {
  appendAll(node, children);
  return node;
}

function appendAll(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) appendAll(node, child);
    else if (child instanceof Node) node.append(child);
    else node.append(document.createTextNode(String(child)));
  }
}

/** Removes every child of `node`. */
export function clear(node) {
  node.replaceChildren();
  return node;
}

/** Replaces every child of `node` with `children` (as `append` takes them). */
export function fill(node, ...children) {
  node.replaceChildren();
  appendAll(node, children);
  return node;
}
