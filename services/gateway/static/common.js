// Helpers shared by the recommender page and the dashboard.
// Text from users or the server always goes in through textContent, never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function movieLabel(movie) {
  return movie.year ? `${movie.title} (${movie.year})` : movie.title;
}

// What went wrong, in words: the server's own detail when it sent one.
function errorText(status, body) {
  if (body && typeof body.detail === "string") {
    return status === 503 ? `The recommendation service is unavailable: ${body.detail}.` : body.detail;
  }
  if (body && Array.isArray(body.detail) && body.detail.length) {
    const first = body.detail[0];
    return `Invalid request: ${(first.loc || []).join(".")} — ${first.msg}`;
  }
  return `The server answered ${status}.`;
}

const OFFLINE_TEXT = "Cannot reach the movierec server. Is it running? Check the connection and try again.";

// fetch + JSON: {ok, status, body}; a network failure is {ok: false, status: 0} with OFFLINE_TEXT.
async function getJson(url, options) {
  let reply;
  try {
    reply = await fetch(url, options);
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    return { ok: false, status: 0, body: null, error: OFFLINE_TEXT };
  }
  let body = null;
  try { body = await reply.json(); } catch { /* not JSON: described by the status below */ }
  return { ok: reply.ok, status: reply.status, body, error: reply.ok ? "" : errorText(reply.status, body) };
}
