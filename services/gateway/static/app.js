// The movierec page: chips of liked titles -> POST /recommend/titles -> cards.
// Every piece of user or server text goes in through textContent, never parsed as HTML.
"use strict";

const MAX_TITLES = 20;
const state = { titles: [], matched: new Map(), busy: false };

const $ = (id) => document.getElementById(id);
const input = $("title-input");
const chips = $("chips");
const alpha = $("alpha");
const recommendButton = $("recommend");
const status = $("status");

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function label(movie) {
  return movie.year ? `${movie.title} (${movie.year})` : movie.title;
}

function setStatus(text, isError = false) {
  status.textContent = text;
  status.classList.toggle("error", isError);
}

// ---- chips -------------------------------------------------------------------------------

function addTitle(raw) {
  const title = raw.replace(/\s+/g, " ").trim();
  if (!title) return false;
  if (state.titles.some((t) => t.toLowerCase() === title.toLowerCase())) {
    setStatus(`"${title}" is already in the list.`);
    return false;
  }
  if (state.titles.length >= MAX_TITLES) {
    setStatus(`At most ${MAX_TITLES} movies.`, true);
    return false;
  }
  state.titles.push(title);
  renderChips();
  return true;
}

function removeTitle(title) {
  state.titles = state.titles.filter((t) => t !== title);
  state.matched.delete(title);
  renderChips();
}

function replaceTitle(oldTitle, newTitle) {
  const i = state.titles.indexOf(oldTitle);
  if (i < 0) return;
  if (state.titles.some((t) => t.toLowerCase() === newTitle.toLowerCase())) {
    state.titles.splice(i, 1);
  } else {
    state.titles[i] = newTitle;
  }
  state.matched.delete(oldTitle);
  renderChips();
}

function renderChips() {
  chips.replaceChildren();
  for (const title of state.titles) {
    const chip = el("li", "chip");
    const match = state.matched.get(title);
    if (match === null) chip.classList.add("unmatched");
    if (match) {
      chip.classList.add("matched");
      chip.title = `Matched: ${label(match)}`;
    }
    chip.append(el("span", "", title));
    const remove = el("button", "", "×");
    remove.type = "button";
    remove.setAttribute("aria-label", `Remove ${title}`);
    remove.addEventListener("click", () => removeTitle(title));
    chip.append(remove);
    chips.append(chip);
  }
  recommendButton.disabled = state.busy || state.titles.length === 0;
}

$("add-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (addTitle(input.value)) {
    input.value = "";
    setStatus("");
  }
  input.focus();
});

// ---- autocomplete (GET /movies/search) ---------------------------------------------------

let searchTimer = 0;
let searchSeq = 0;
input.addEventListener("input", () => {
  clearTimeout(searchTimer);
  const q = input.value.trim();
  if (q.length < 2) return;
  searchTimer = setTimeout(async () => {
    const seq = ++searchSeq;
    try {
      const reply = await fetch(`movies/search?${new URLSearchParams({ q, limit: "8" })}`);
      if (!reply.ok || seq !== searchSeq) return;
      const body = await reply.json();
      const options = $("title-options");
      options.replaceChildren();
      for (const movie of body.results) {
        const option = document.createElement("option");
        option.value = label(movie);
        options.append(option);
      }
    } catch {
      // autocomplete is a convenience; the Recommend call reports real errors
    }
  }, 200);
});

// ---- alpha slider ------------------------------------------------------------------------

function describeAlpha(value) {
  const taste = Math.round(value * 100);
  const genre = 100 - taste;
  let words;
  if (taste >= 85) words = "Mostly what people with your taste liked";
  else if (taste >= 60) words = "More what people with your taste liked than similar genres";
  else if (taste > 40) words = "An even mix of people with your taste and similar genres";
  else if (taste > 15) words = "More similar genres than what people with your taste liked";
  else words = "Mostly movies of similar genres";
  return `${words} (${taste}% taste, ${genre}% genre).`;
}

function showAlpha() {
  $("alpha-label").textContent = describeAlpha(Number(alpha.value));
}
alpha.addEventListener("input", showAlpha);

// ---- recommend (POST /recommend/titles) --------------------------------------------------

function setBusy(busy) {
  state.busy = busy;
  recommendButton.disabled = busy || state.titles.length === 0;
  recommendButton.textContent = busy ? "Finding movies…" : "Recommend";
}

function errorText(status, body) {
  if (body && typeof body.detail === "string") return body.detail;
  if (body && Array.isArray(body.detail) && body.detail.length) {
    const first = body.detail[0];
    return `Invalid request: ${(first.loc || []).join(".")} — ${first.msg}`;
  }
  return `The server answered ${status}.`;
}

async function recommend() {
  if (state.busy || state.titles.length === 0) return;
  setBusy(true);
  setStatus("Finding movies…");
  try {
    const reply = await fetch("recommend/titles", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ movies: state.titles, top_k: Number($("top-k").value), alpha: Number(alpha.value) }),
    });
    let body = null;
    try { body = await reply.json(); } catch { /* not JSON: reported below */ }
    if (!reply.ok) {
      setStatus(errorText(reply.status, body), true);
      return;
    }
    showResults(body);
  } catch {
    setStatus("Cannot reach the server. Check your connection and try again.", true);
  } finally {
    setBusy(false);
  }
}
recommendButton.addEventListener("click", recommend);

function showResults(body) {
  state.matched.clear();
  for (const r of body.resolved) state.matched.set(r.query, r);
  for (const q of body.missing_movies) state.matched.set(q, null);
  renderChips();
  showMissing(body.missing_movies, body.suggestions);

  const list = $("results");
  list.replaceChildren();
  for (const movie of body.recommendations) list.append(card(movie));
  $("results-section").hidden = body.recommendations.length === 0;

  const n = body.recommendations.length;
  if (n > 0) setStatus(`${n} recommendation${n === 1 ? "" : "s"}${body.cached ? " (from cache)" : ""}.`);
  else if (body.missing_movies.length) setStatus("None of the titles were found. Try a suggestion below.", true);
  else setStatus("No recommendations for these movies.");
  $("model-line").textContent = body.model_version ? `Model ${body.model_version}` : "";
}

function card(movie) {
  const item = el("li", "card");
  const heading = el("h3", "", movie.title);
  if (movie.year) heading.append(" ", el("span", "year", `(${movie.year})`));
  item.append(heading);
  const genres = el("div", "genres");
  for (const g of movie.genres) genres.append(el("span", "genre", g));
  item.append(genres);
  const why = movie.explanation;
  if (why && why.because_you_liked.length) {
    const names = why.because_you_liked.map((r) => r.title).join(", ");
    item.append(el("div", "because", `Because you liked ${names}`));
  }
  item.append(el("div", "score", `match score ${movie.score.toFixed(2)}`
    + (why ? ` (taste ${why.collaborative.toFixed(2)}, genres ${why.genre.toFixed(2)})` : "")));
  return item;
}

function showMissing(missing, suggestions) {
  const section = $("missing");
  const list = $("missing-list");
  list.replaceChildren();
  for (const query of missing) {
    const row = el("li", "", `“${query}” was not found.`);
    const options = suggestions[query] || [];
    if (options.length) {
      row.append(" Did you mean:");
      const group = el("span", "did-you-mean");
      for (const option of options) {
        const button = el("button", "", label(option));
        button.type = "button";
        button.addEventListener("click", () => {
          replaceTitle(query, label(option));
          recommend();
        });
        group.append(button);
      }
      row.append(group);
    }
    list.append(row);
  }
  section.hidden = missing.length === 0;
}

// ---- start -------------------------------------------------------------------------------

async function loadModel() {
  try {
    const reply = await fetch("model");
    if (!reply.ok) return;
    const info = await reply.json();
    alpha.value = String(info.default_alpha);
    $("model-line").textContent = `Model ${info.model_version} · ${info.dataset}`;
  } catch {
    // the page still works with the slider's own default
  } finally {
    showAlpha();
  }
}

showAlpha();
renderChips();
loadModel();
