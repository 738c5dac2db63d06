// Strings by key, one JSON file per language and namespace (web/i18n/<lang>/<ns>.json),
// common.json always loaded. The chosen language is remembered in localStorage.

const LANGS = ['zh-CN', 'en'];
const KEY = 'bidroom.lang';

let current = initialLang();
const loaded = new Set(['common']);
let strings = {};

function initialLang() {
  const stored = globalThis.localStorage?.getItem(KEY);
  if (LANGS.includes(stored)) return stored;
  const preferred = globalThis.navigator?.languages?.[0] ?? globalThis.navigator?.language ?? '';
  return preferred.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** @returns {'zh-CN' | 'en'} */
export function lang() {
  return current;
}

export const languages = () => [...LANGS];

/** Nested objects become dotted keys, so files may be written either way. */
function flatten(object, prefix, into) {
  for (const [key, value] of Object.entries(object)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === 'object') flatten(value, name, into);
    else into[name] = String(value);
  }
  return into;
}

async function fetchNamespace(language, namespace) {
  const response = await fetch(`/assets/i18n/${language}/${namespace}.json`);
  if (!response.ok) throw new Error(`strings ${language}/${namespace}: HTTP ${response.status}`);
  return flatten(await response.json(), '', {});
}

async function reload() {
  const parts = await Promise.all([...loaded].map((ns) => fetchNamespace(current, ns)));
  strings = Object.assign({}, ...parts);
  document.documentElement.lang = current;
}

/**
 * Loads common.json and, when given, `<namespace>.json` of the current language.
 * @param {string} [namespace]
 */
export async function loadStrings(namespace) {
  if (namespace) loaded.add(namespace);
  await reload();
}

/**
 * @param {string} key e.g. `room.status.leading`
 * @param {Record<string, unknown>} [params] replace `{name}` in the string
 * @returns {string} the string, or the key itself when it is missing (visible, not blank)
 */
export function t(key, params) {
  const template = strings[key];
  if (template === undefined) return key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    params[name] === undefined ? whole : String(params[name]),
  );
}

/** Whether a string exists (for codes the page may not know, such as a new reason). */
export function has(key) {
  return strings[key] !== undefined;
}

/**
 * Switches the language, remembers it, translates the document and fires
 * `languagechange` on `document` so pages re-render what they built themselves.
 * @param {'zh-CN' | 'en'} language
 */
export async function setLang(language) {
  if (!LANGS.includes(language)) throw new Error(`unknown language ${language}`);
  current = language;
  localStorage.setItem(KEY, language);
  await reload();
  translate(document);
  document.dispatchEvent(new CustomEvent('languagechange', { detail: { lang: language } }));
}

/**
 * Fills `[data-i18n]` text and the `[data-i18n-placeholder]`, `[data-i18n-aria-label]`,
 * `[data-i18n-title]` attributes under `root` (the document title included).
 * @param {ParentNode} root
 */
export function translate(root) {
  for (const node of root.querySelectorAll('[data-i18n]')) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const [data, attribute] of [
    ['i18nPlaceholder', 'placeholder'],
    ['i18nAriaLabel', 'aria-label'],
    ['i18nTitle', 'title'],
  ]) {
    const selector = `[data-${data.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
    for (const node of root.querySelectorAll(selector)) {
      node.setAttribute(attribute, t(node.dataset[data]));
    }
  }
}
