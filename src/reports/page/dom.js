// @ts-check
/* global Node */
// A few lines of DOM building instead of a framework.

/** @typedef {Node | string | number | null | undefined | false | ReadonlyArray<Node | string | number | null | undefined | false | ReadonlyArray<unknown>>} Child */

/**
 * An element with attributes, listeners (`onclick`) and children.
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...Child} children
 * @returns {HTMLElement}
 */
export function h (tag, props = {}, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), /** @type {EventListener} */ (value))
    else if (key === 'class') el.className = String(value)
    else if (key === 'value' && 'value' in el) /** @type {HTMLInputElement} */ (el).value = String(value)
    else el.setAttribute(key, value === true ? '' : String(value))
  }
  append(el, children)
  return el
}

/** @param {Node} parent @param {ReadonlyArray<unknown>} children */
function append (parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    if (Array.isArray(child)) append(parent, child)
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replaces the children of `el`. @param {Element} el @param {...Child} children */
export function fill (el, ...children) {
  el.replaceChildren()
  append(el, children)
}

/** @param {string} id @returns {HTMLElement} */
export function byId (id) {
  const el = document.getElementById(id)
  if (!el) throw new Error(`no #${id} in the page`)
  return el
}
