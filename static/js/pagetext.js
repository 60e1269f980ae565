// A page's translated strings: the spans of a <template> keyed by data-key (the CSP forbids
// inline scripts, so the words travel in the markup).

/** t(key, values): the string `key` of template `id`, with its {placeholders} filled in. */
export function translator(id) {
  const strings = {};
  for (const span of document.getElementById(id).content.querySelectorAll("[data-key]")) {
    strings[span.dataset.key] = span.textContent;
  }
  return (key, values = {}) =>
    (strings[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}
