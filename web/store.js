/* localStorage, namespaced; failures (private mode, full storage) are ignored. */
const STORE_PREFIX = 'chatd:';

export function storeGet(key, fallback) {
  try {
    const v = window.localStorage.getItem(STORE_PREFIX + key);
    return v === null ? fallback : JSON.parse(v);
  } catch (_) {
    return fallback;
  }
}

export function storeSet(key, value) {
  try {
    window.localStorage.setItem(STORE_PREFIX + key, JSON.stringify(value));
  } catch (_) { /* private mode or full: not important */ }
}
