// savedList: the movies a person has put in their list, kept in this browser (localStorage) and in the
// page's address (?m=...), so a reload keeps the list and a shared link shows it elsewhere.
// An item: {query: what was typed, rating: null (liked) or a number, movie: {movieId, title, year} once
// the matcher resolved it, else null}. The address holds a resolved movie as "Title (Year)", which the
// matcher answers from its key table (the same movie in any browser), and an unresolved one as typed.
"use strict";

const savedList = (() => {
  const STORAGE_KEY = "movierec.list.v1";
  const MAX_ITEMS = 20;
  const MAX_QUERY = 200;
  // URL parameters: "m" a liked movie, "d" a disliked one, in list order; "alpha" and "k" the controls.
  const LIKED = "m", DISLIKED = "d";
  const DISLIKED_RATING = 1;

  function label(movie) {
    return movie.year ? `${movie.title} (${movie.year})` : movie.title;
  }

  function cleanMovie(movie) {
    if (!movie || typeof movie !== "object") return null;
    const { movieId, title, year } = movie;
    if (!Number.isInteger(movieId) || movieId < 1 || typeof title !== "string" || !title) return null;
    return { movieId, title, year: Number.isInteger(year) ? year : null };
  }

  // Whatever was stored or pasted, as a list of well-formed items (bad entries dropped, at most 20).
  function clean(items) {
    if (!Array.isArray(items)) return [];
    const out = [];
    for (const item of items) {
      if (!item || typeof item.query !== "string") continue;
      const query = item.query.replace(/\s+/g, " ").trim().slice(0, MAX_QUERY);
      if (!query || out.some((o) => o.query.toLowerCase() === query.toLowerCase())) continue;
      const rating = typeof item.rating === "number" && item.rating >= 0.5 && item.rating <= 5 ? item.rating : null;
      out.push({ query, rating, movie: cleanMovie(item.movie) });
      if (out.length === MAX_ITEMS) break;
    }
    return out;
  }

  function load() {
    try {
      return clean(JSON.parse(localStorage.getItem(STORAGE_KEY) || "[]"));
    } catch {
      return []; // storage disabled or edited by hand: start empty rather than fail
    }
  }

  function save(items) {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(clean(items)));
    } catch { /* storage full or disabled: the address still holds the list */ }
  }

  // The query string for a list and the controls that change its recommendations ("" for an empty list).
  function toSearch(items, controls = {}) {
    const params = new URLSearchParams();
    for (const item of items) {
      const key = item.rating === DISLIKED_RATING ? DISLIKED : LIKED;
      params.append(key, item.movie ? label(item.movie) : item.query);
    }
    if (items.length && controls.alpha !== undefined) params.set("alpha", String(controls.alpha));
    if (items.length && controls.k !== undefined) params.set("k", String(controls.k));
    const text = params.toString();
    return text ? `?${text}` : "";
  }

  // {items, alpha, k} from a query string; items is null when the address names no list.
  function fromSearch(search) {
    const params = new URLSearchParams(search);
    const items = [];
    for (const [key, value] of params) {
      if (key === LIKED || key === DISLIKED) {
        items.push({ query: value, rating: key === DISLIKED ? DISLIKED_RATING : null, movie: null });
      }
    }
    const alpha = Number.parseFloat(params.get("alpha"));
    const k = Number.parseInt(params.get("k"), 10);
    return {
      items: items.length ? clean(items) : null,
      alpha: Number.isFinite(alpha) && alpha >= 0 && alpha <= 1 ? alpha : null,
      k: Number.isInteger(k) && k >= 1 && k <= 100 ? k : null,
    };
  }

  return { load, save, clean, toSearch, fromSearch, label, DISLIKED_RATING, MAX_ITEMS };
})();
