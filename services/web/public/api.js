/**
 * Calls to the page's JSON API. A failed call throws an ApiError whose message is the server's
 * explanation (or says the server cannot be reached); a 401 means the token is missing or changed, and
 * sends the browser to the login form.
 */

import { fromWire, toWire } from "./wire.js";

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0: no answer)
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body] sent as JSON
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  /** @type {Response} */
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(toWire(body)),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(
      0,
      `cannot reach the FaceTracker server (${method} ${path}): is the api service running?`,
    );
  }
  if (response.status === 401) {
    location.assign("/login");
    throw new ApiError(401, "the access token is missing or wrong: log in again");
  }
  const text = await response.text();
  /** @type {any} */
  let value;
  try {
    value = text ? fromWire(JSON.parse(text)) : {};
  } catch {
    value = { error: text.slice(0, 200) };
  }
  if (!response.ok) {
    const reason = typeof value?.error === "string" ? value.error : `HTTP ${response.status}`;
    throw new ApiError(response.status, reason);
  }
  return value;
}
