// The REST API (SPEC §5) as one function: paths are relative to /api/v1, the bearer
// token comes from the session, and every failure is an ApiError with the server's code.

import { has, t } from './i18n.js';
import { session } from './session.js';

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, or 0 when the server could not be reached
   * @param {string} code the server's error code (`invalid_input`, `forbidden`, ...)
   * @param {string} message the server's message
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * @param {string} method
 * @param {string} path e.g. `/lots/4`
 * @param {{body?: unknown, idempotencyKey?: string}} [options]
 * @returns {Promise<any>} the parsed JSON answer, or null for 204
 */
export async function api(method, path, { body, idempotencyKey } = {}) {
  const headers = { Accept: 'application/json' };
  const current = session();
  if (current) headers.Authorization = `Bearer ${current.token}`;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (cause) {
    throw new ApiError(0, 'network', String(cause?.message ?? cause));
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = parsed?.error;
    throw new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? response.statusText,
    );
  }
  return parsed;
}

/** A fresh key for a request that must be placed at most once. */
export function newIdempotencyKey() {
  return crypto.randomUUID();
}

/**
 * A sentence for a person about a failed request, in the current language: the code's
 * own sentence where `error.code.<code>` has one, the server's message for invalid input
 * (it names the field), a sentence for the status otherwise.
 * @param {unknown} error
 */
export function errorMessage(error) {
  if (!(error instanceof ApiError)) return t('error.generic', { message: String(error) });
  if (error.status === 0) return t('error.network');
  // A code with a sentence of its own (`error.code.username_taken`) says it best.
  if (has(`error.code.${error.code}`)) return t(`error.code.${error.code}`);
  if (error.status === 400) return t('error.invalid_input', { message: error.message });
  if (error.status === 401) return t('error.unauthorized');
  if (error.status === 403) return t('error.forbidden');
  if (error.status === 404) return t('error.not_found');
  if (error.status === 409) return `${t('error.conflict')} (${error.message})`;
  if (error.status === 429) return t('error.rate_limited');
  if (error.status >= 500) return t('error.server');
  return t('error.generic', { message: error.message });
}
