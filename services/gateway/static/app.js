// The recommender page: chips of your movies -> POST /recommend/titles (live) -> cards; similar movies
// in a dialog; autocomplete from GET /movies/search. Text goes in through textContent only (common.js).
// The list is kept by savedList (saved-list.js): in localStorage and in the address, one history entry
// per change of the list, so reload, a shared link and back/forward all show the same list.
"use strict";

const MAX_TITLES = 20;
const DISLIKED = 1; // MovieLens scale: 1 pushes similar movies down; a plain title counts as liked (5)
const EXAMPLES = ["Toy Story", "The Usual Suspects", "Star Wars", "Heat 1995"];
// movies: [{title: as typed, rating}]; matched: typed title -> resolved movie, or null when not found;
// suggestions: typed title -> its "did you mean" movies.
const state = {
  movies: [], matched: new Map(), suggestions: new Map(), requestSeq: 0, searchSeq: 0, active: -1, options: [],
  alphaFromAddress: false,
};

const input = $("title-input");
const suggestList = $("suggest-list");
const chips = $("chips");
const alpha = $("alpha");
const status = $("status");
const retry = $("retry");

function setStatus(text, kind = "") {
  status.textContent = text;
  status.className = `status ${kind}`;
  retry.hidden = kind !== "error";
}

// ---- chips ----------------------------------------------------------------------------------

// What a chip shows: the movie it resolved to, else the title as typed.
function shownTitle(movie) {
  const match = state.matched.get(movie.title);
  return match ? movieLabel(match) : movie.title;
}

function addTitle(raw) {
  const title = raw.replace(/\s+/g, " ").trim();
  if (!title) return false;
  const same = (m) => [m.title, shownTitle(m)].some((t) => t.toLowerCase() === title.toLowerCase());
  if (state.movies.some(same)) {
    setStatus(`“${title}” is already in your list.`);
    return false;
  }
  if (state.movies.length >= MAX_TITLES) {
    setStatus(`At most ${MAX_TITLES} movies; remove one first.`, "error");
    return false;
  }
  state.movies.push({ title, rating: null });
  changed();
  return true;
}

function removeTitle(title) {
  state.movies = state.movies.filter((m) => m.title !== title);
  state.matched.delete(title);
  changed();
  input.focus();
}

function replaceTitle(oldTitle, newTitle) {
  const i = state.movies.findIndex((m) => m.title === oldTitle);
  if (i < 0) return;
  if (state.movies.some((m) => m.title.toLowerCase() === newTitle.toLowerCase())) state.movies.splice(i, 1);
  else state.movies[i] = { ...state.movies[i], title: newTitle };
  state.matched.delete(oldTitle);
  changed();
}

function toggleRating(movie) {
  movie.rating = movie.rating === DISLIKED ? null : DISLIKED;
  changed();
}

function renderChips() {
  chips.replaceChildren();
  for (const movie of state.movies) {
    const chip = el("li", "chip");
    const match = state.matched.get(movie.title);
    const shown = shownTitle(movie);
    chip.append(el("span", "chip-title", shown));
    if (match) {
      chip.classList.add("matched");
      chip.title = `You typed “${movie.title}”`;
    } else if (match === null) {
      chip.classList.add("unmatched");
      chip.title = `No movie found for “${movie.title}”`;
      chip.append(el("span", "chip-note", "not found"));
      const options = state.suggestions.get(movie.title) || [];
      if (options.length) {
        const label = movieLabel(options[0]);
        const fix = el("button", "small did-you-mean", `${label}?`);
        fix.type = "button";
        fix.setAttribute("aria-label", `Did you mean ${label}? Replace “${movie.title}” with it`);
        fix.addEventListener("click", () => replaceTitle(movie.title, label));
        chip.append(fix);
      }
    }
    if (movie.rating === DISLIKED) chip.classList.add("disliked");

    const liked = movie.rating !== DISLIKED;
    const mood = el("button", "mood", liked ? "liked" : "disliked");
    mood.type = "button";
    mood.setAttribute("aria-pressed", String(!liked));
    mood.setAttribute("aria-label", `${shown}: ${liked ? "liked" : "disliked"}; press to mark as ${liked ? "disliked" : "liked"}`);
    mood.addEventListener("click", () => toggleRating(movie));
    chip.append(mood);

    const remove = el("button", "remove", "×");
    remove.type = "button";
    remove.setAttribute("aria-label", `Remove ${shown}`);
    remove.addEventListener("click", () => removeTitle(movie.title));
    chip.append(remove);
    chips.append(chip);
  }
  $("empty-state").hidden = state.movies.length > 0;
}

$("add-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const picked = state.active >= 0 ? state.options[state.active] : null;
  if (addTitle(picked ? movieLabel(picked) : input.value)) input.value = "";
  closeSuggestions();
  input.focus();
});

for (const title of EXAMPLES) {
  const button = el("button", "small", title);
  button.type = "button";
  button.addEventListener("click", () => addTitle(title));
  $("examples").append(button);
}

// ---- autocomplete (GET /movies/search), an ARIA combobox ------------------------------------

let searchTimer = 0;

function closeSuggestions() {
  clearTimeout(searchTimer); // a search not yet sent is not sent: Escape or Add came after the typing
  state.searchSeq++; // an answer still on its way is dropped
  state.options = [];
  state.active = -1;
  suggestList.replaceChildren();
  suggestList.hidden = true;
  input.setAttribute("aria-expanded", "false");
  input.removeAttribute("aria-activedescendant");
}

function setActive(index) {
  state.active = index;
  [...suggestList.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
  if (index >= 0) input.setAttribute("aria-activedescendant", `suggest-${index}`);
  else input.removeAttribute("aria-activedescendant");
}

function showSuggestions(results) {
  state.options = results;
  state.active = -1;
  suggestList.replaceChildren();
  results.forEach((movie, i) => {
    const option = el("li", "option");
    option.id = `suggest-${i}`;
    option.setAttribute("role", "option");
    option.setAttribute("aria-selected", "false");
    option.append(el("span", "option-title", movie.title));
    if (movie.year) option.append(el("span", "year", ` ${movie.year}`));
    if (movie.genres.length) option.append(el("span", "option-genres", movie.genres.join(" · ")));
    // mousedown, not click: picking must happen before the input's blur closes the list
    option.addEventListener("mousedown", (event) => {
      event.preventDefault();
      if (addTitle(movieLabel(movie))) input.value = "";
      closeSuggestions();
    });
    suggestList.append(option);
  });
  suggestList.hidden = results.length === 0;
  input.setAttribute("aria-expanded", String(results.length > 0));
}

input.addEventListener("input", () => {
  clearTimeout(searchTimer);
  const q = input.value.trim();
  if (q.length < 2) {
    closeSuggestions();
    return;
  }
  searchTimer = setTimeout(async () => {
    const seq = ++state.searchSeq;
    const reply = await getJson(`movies/search?${new URLSearchParams({ q, limit: "8" })}`);
    // autocomplete is a convenience: a failure here is reported by the recommendations call
    if (reply.ok && seq === state.searchSeq) showSuggestions(reply.body.results);
  }, 150);
});

input.addEventListener("keydown", (event) => {
  const n = state.options.length;
  if (event.key === "ArrowDown" && n) {
    event.preventDefault();
    setActive((state.active + 1) % n);
  } else if (event.key === "ArrowUp" && n) {
    event.preventDefault();
    setActive(state.active <= 0 ? n - 1 : state.active - 1);
  } else if (event.key === "Escape") {
    closeSuggestions();
  }
});
input.addEventListener("blur", () => setTimeout(closeSuggestions, 100));

// ---- alpha slider and result count ----------------------------------------------------------

function describeAlpha(value) {
  const taste = Math.round(value * 100);
  let words;
  if (taste >= 85) words = "Mostly what people with your taste liked";
  else if (taste >= 60) words = "More what people with your taste liked than similar genres";
  else if (taste > 40) words = "An even mix of people with your taste and similar genres";
  else if (taste > 15) words = "More similar genres than what people with your taste liked";
  else words = "Mostly movies of similar genres";
  return `${words} (${taste}% taste, ${100 - taste}% genre).`;
}

function showAlpha() {
  const words = describeAlpha(Number(alpha.value));
  $("alpha-label").textContent = words;
  alpha.setAttribute("aria-valuetext", words);
}
alpha.addEventListener("input", () => { showAlpha(); schedule(); keepList(false); });
$("top-k").addEventListener("change", () => { schedule(0); keepList(false); });

// ---- the list kept: localStorage and the address (savedList) --------------------------------

function listItems() {
  return state.movies.map((m) => {
    const match = state.matched.get(m.title);
    return { query: m.title, rating: m.rating, movie: match ? { movieId: match.movieId, title: match.title, year: match.year } : null };
  });
}

// Saves the list and puts it in the address: a new history entry when the list changed (newEntry),
// else the current entry rewritten (a title resolved, the slider moved).
function keepList(newEntry) {
  const items = listItems();
  savedList.save(items);
  const search = savedList.toSearch(items, { alpha: Number(alpha.value), k: Number($("top-k").value) });
  if (search === location.search) return;
  const url = `${location.pathname}${search}${location.hash}`;
  if (newEntry) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

// Shows a list: the address's items, with what this browser remembers of each (what was typed, the
// movie it resolved to) when the saved list holds it.
function restoreList(items) {
  const saved = savedList.load();
  state.movies = [];
  state.matched.clear();
  state.suggestions.clear();
  for (const item of items) {
    const known = saved.find((s) => s.query === item.query || (s.movie && savedList.label(s.movie) === item.query));
    const query = known ? known.query : item.query;
    state.movies.push({ title: query, rating: item.rating });
    if (known && known.movie) state.matched.set(query, known.movie);
  }
}

function applyAddress() {
  const shared = savedList.fromSearch(location.search);
  if (shared.alpha !== null) {
    alpha.value = String(shared.alpha);
    state.alphaFromAddress = true;
    showAlpha();
  }
  if (shared.k !== null && [...$("top-k").options].some((o) => o.value === String(shared.k))) {
    $("top-k").value = String(shared.k);
  }
  restoreList(shared.items || []);
}

window.addEventListener("popstate", () => {
  applyAddress();
  renderChips();
  if (state.movies.length) schedule(0);
  else clearResults();
});

// ---- live recommendations (POST /recommend/titles) ------------------------------------------

let recommendTimer = 0;
function schedule(delay = 300) {
  clearTimeout(recommendTimer);
  $("results-section").setAttribute("aria-busy", "true"); // from now: what is shown is about to change
  recommendTimer = setTimeout(recommend, delay);
}

function changed() {
  renderChips();
  keepList(true);
  if (state.movies.length) schedule(150);
  else clearResults();
}

function clearResults() {
  state.requestSeq++;
  clearTimeout(recommendTimer);
  $("results-section").removeAttribute("aria-busy");
  $("results").replaceChildren();
  $("results-section").hidden = true;
  $("missing").hidden = true;
  setStatus("");
}

function requestBody() {
  const movies = state.movies.map((m) => (m.rating === null ? m.title : { title: m.title, rating: m.rating }));
  return { movies, top_k: Number($("top-k").value), alpha: Number(alpha.value) };
}

async function recommend() {
  if (!state.movies.length) return;
  const seq = ++state.requestSeq;
  const section = $("results-section");
  section.setAttribute("aria-busy", "true");
  setStatus("Finding movies…", "loading");
  const reply = await getJson("recommend/titles", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(requestBody()),
  });
  if (seq !== state.requestSeq) return; // a newer request is on its way
  section.removeAttribute("aria-busy");
  if (!reply.ok) {
    setStatus(reply.error, "error");
    return;
  }
  showResults(reply.body);
}
retry.addEventListener("click", () => (state.movies.length ? schedule(0) : (setStatus(""), loadModel())));

function showResults(body) {
  state.matched.clear();
  state.suggestions.clear();
  for (const r of body.resolved) state.matched.set(r.query, r);
  for (const q of body.missing_movies) state.matched.set(q, null);
  for (const [q, options] of Object.entries(body.suggestions)) state.suggestions.set(q, options);
  renderChips();
  keepList(false);
  showMissing(body.missing_movies, body.suggestions);

  const scores = body.recommendations.map((m) => m.score);
  const range = { low: Math.min(...scores), high: Math.max(...scores) };
  $("results").replaceChildren(...body.recommendations.map((movie) => card(movie, range)));
  const n = body.recommendations.length;
  $("results-section").hidden = n === 0;
  $("result-count").textContent = n ? `${n} movie${n === 1 ? "" : "s"}${body.cached ? " · from cache" : ""}` : "";

  if (n > 0) setStatus("");
  else if (body.missing_movies.length && !body.resolved.length) {
    setStatus("None of your titles matched a movie we know. Try a suggestion below or check the spelling.", "warn");
  } else setStatus("No recommendations for these movies: everything similar is already in your list.", "warn");
}

// range: lowest and highest score in the list; the bar shows where this movie sits between them.
function card(movie, range) {
  const item = el("li", "card");
  const heading = el("h3", "", movie.title);
  if (movie.year) heading.append(" ", el("span", "year", movie.year));
  item.append(heading);
  const genres = el("div", "genres");
  for (const g of movie.genres) genres.append(el("span", "genre", g));
  item.append(genres);

  const why = movie.explanation;
  const because = why ? explain(why) : "";
  if (because) {
    const line = el("p", "because", because);
    line.dataset.driver = why.driver;
    item.append(line);
  }
  const score = el("div", "score");
  const bar = el("div", "bar");
  const fill = el("span");
  const spread = range.high - range.low;
  const share = spread > 0 ? (movie.score - range.low) / spread : 1;
  fill.style.width = `${Math.round(8 + 92 * share)}%`; // CSSOM, not a style attribute: allowed by the CSP
  bar.append(fill);
  score.append(bar, el("span", "score-text", `score ${movie.score.toFixed(2)}`));
  if (why) score.title = `taste ${why.collaborative.toFixed(2)} + genres ${why.genre.toFixed(2)}`;
  item.append(score);
  if (why) item.append(el("p", "split", `taste ${why.collaborative.toFixed(2)} · genres ${why.genre.toFixed(2)}`));

  const similar = el("button", "small similar", "Similar movies");
  similar.type = "button";
  similar.setAttribute("aria-label", `Movies similar to ${movieLabel(movie)}`);
  similar.addEventListener("click", () => openSimilar(movie));
  item.append(similar);
  return item;
}

// What carried a recommendation, in words: the input movies that did (each at least a quarter of its
// collaborative score), or that it is mostly genre or mostly popularity; "" when nothing did.
function explain(why) {
  const percent = (share) => `${Math.round(share * 100)}%`;
  if (why.driver === "genre") return `Mostly its genres, close to your movies' (${percent(why.genre_share)} of its score)`;
  if (why.driver === "popularity") return `Mostly popularity: many people rated it (${percent(why.popularity_share)} of its score)`;
  if (why.driver !== "your movies") return "";
  if (!why.because_you_liked.length) return "Because of several of your movies together";
  // quoted: "Godfather, The" carries its own comma
  const names = why.because_you_liked.map((r) => `“${r.title}”`);
  const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : names[0];
  return `Because you liked ${list}`;
}

function showMissing(missing, suggestions) {
  const list = $("missing-list");
  list.replaceChildren();
  for (const query of missing) {
    const row = el("li", "", `“${query}” was not found.`);
    const options = suggestions[query] || [];
    if (options.length) {
      row.append(" Did you mean:");
      const group = el("span", "did-you-mean");
      for (const option of options) {
        const button = el("button", "small", movieLabel(option));
        button.type = "button";
        button.addEventListener("click", () => replaceTitle(query, movieLabel(option)));
        group.append(button);
      }
      row.append(group);
    } else {
      row.append(" No close titles either; check the spelling.");
    }
    list.append(row);
  }
  $("missing").hidden = missing.length === 0;
}

// ---- similar movies (GET /movies/{id}/similar) ----------------------------------------------

const dialog = $("similar-dialog");
$("similar-close").addEventListener("click", () => dialog.close());
dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); }); // backdrop

async function openSimilar(movie) {
  $("similar-heading").textContent = `Similar to ${movieLabel(movie)}`;
  const list = $("similar-list");
  list.replaceChildren();
  const note = $("similar-status");
  note.textContent = "Loading…";
  if (!dialog.open) dialog.showModal();
  const query = new URLSearchParams({ k: "8", alpha: alpha.value });
  const reply = await getJson(`movies/${encodeURIComponent(movie.movieId)}/similar?${query}`);
  if (!reply.ok) {
    note.textContent = reply.error;
    return;
  }
  note.textContent = reply.body.similar.length ? "" : "No similar movies found.";
  for (const other of reply.body.similar) {
    const item = el("li", "card");
    const heading = el("h3", "", other.title);
    if (other.year) heading.append(" ", el("span", "year", other.year));
    const genres = el("div", "genres");
    for (const g of other.genres) genres.append(el("span", "genre", g));
    const add = el("button", "small", "Add to my movies");
    add.type = "button";
    add.setAttribute("aria-label", `Add ${movieLabel(other)} to my movies`);
    add.addEventListener("click", () => {
      if (addTitle(movieLabel(other))) add.textContent = "Added";
      add.disabled = true;
    });
    item.append(heading, genres, add);
    list.append(item);
  }
}

// ---- start ----------------------------------------------------------------------------------

async function loadModel() {
  const reply = await getJson("model");
  if (reply.ok) {
    if (!state.alphaFromAddress) alpha.value = String(reply.body.default_alpha);
    $("model-line").textContent = `Model ${reply.body.model_version} · ${reply.body.dataset}`;
  } else {
    setStatus(reply.error, "error");
  }
  showAlpha();
}

showAlpha();
if (savedList.fromSearch(location.search).items) applyAddress();
else restoreList(savedList.load()); // no list in the address: this browser's own, put in the address below
renderChips();
// The first recommendations wait for the model's default alpha (unless the address set one).
loadModel().then(() => {
  if (!state.movies.length) return;
  keepList(false);
  schedule(0);
});
