// Documents the API serves only with the bearer token (the transaction confirmation):
// fetched, then opened from a blob URL in a new tab, or saved under a file name.

import { ApiError } from '../api.js';
import { session } from '../session.js';

async function fetchDocument(path) {
  const headers = {};
  const current = session();
  if (current) headers.Authorization = `Bearer ${current.token}`;
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { headers });
  } catch (cause) {
    throw new ApiError(0, 'network', String(cause?.message ?? cause));
  }
  if (!response.ok) {
    let error = null;
    try {
      error = (await response.json())?.error;
    } catch {
      error = null;
    }
    throw new ApiError(response.status, error?.code ?? `http_${response.status}`,
      error?.message ?? response.statusText);
  }
  return response.blob();
}

/**
 * Opens the document in a new tab. A browser that blocks the new tab gets the file
 * saved instead.
 * @param {string} path under /api/v1
 * @param {string} fileName used when saving
 */
export async function openDocument(path, fileName) {
  const url = URL.createObjectURL(await fetchDocument(path));
  const opened = window.open(url, '_blank');
  if (!opened) save(url, fileName);
  // The tab has read it by then; a saved file keeps its own copy.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Saves the document as `fileName`. */
export async function saveDocument(path, fileName) {
  const url = URL.createObjectURL(await fetchDocument(path));
  save(url, fileName);
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function save(url, fileName) {
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
}
