// Accounts on the recommender page: sign up / in / out, star ratings on chips and cards, "seen" and
// "not interested" on cards, "For you" (GET /me/recommendations) and a "My ratings" list to edit.
// app.js calls decorateChip / decorateCard when it draws; everything else lives here.
// The session cookie is HttpOnly; every write sends the movierec_csrf cookie back as X-CSRF-Token.
"use strict";

const STARS = [5, 4.5, 4, 3.5, 3, 2.5, 2, 1.5, 1, 0.5];
// ratings: movieId -> {rating, title, year}; decorated: whether the chips and cards on screen carry the controls
const account = { me: null, ratings: new Map(), forYouSeq: 0, decorated: false };

function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("movierec_csrf="));
  return found ? decodeURIComponent(found.slice("movierec_csrf=".length)) : "";
}

// A JSON call of the account API; writes carry the CSRF header. {ok, status, body, error} as getJson.
function accountCall(method, url, body) {
  const headers = { "X-CSRF-Token": csrfToken() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return getJson(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

function stars(value) {
  return "★".repeat(Math.floor(value)) + (value % 1 ? "½" : "");
}

function accountStatus(text, kind = "") {
  const note = $("account-status");
  note.textContent = text;
  note.className = `status ${kind}`;
}

// ---- the star control (a labelled select: keyboard and screen readers for free) ------------

function starSelect(movieId, label) {
  const select = el("select", "stars");
  select.setAttribute("aria-label", `Your rating of ${label}`);
  select.append(el("option", "", "Rate…"));
  select.options[0].value = "";
  for (const value of STARS) {
    const option = el("option", "", `${stars(value)} ${value}`);
    option.value = String(value);
    select.append(option);
  }
  const mine = account.ratings.get(movieId);
  select.value = mine ? String(mine.rating) : "";
  select.addEventListener("change", () => {
    if (select.value) rate(movieId, Number(select.value), label);
  });
  return select;
}

async function rate(movieId, rating, label) {
  const reply = await accountCall("PUT", `me/ratings/${encodeURIComponent(movieId)}`, { rating });
  if (!reply.ok) return accountStatus(reply.error, "error");
  account.ratings.set(movieId, { rating, title: label });
  accountStatus(`Rated ${label}: ${stars(rating)}`);
  await Promise.all([loadRatings(), loadForYou()]);
}

async function mark(movieId, kind, label, item) {
  const reply = await accountCall("POST", "me/feedback", { movieId, kind });
  if (!reply.ok) return accountStatus(reply.error, "error");
  if (kind === "not_interested") item.remove(); // gone now, and never recommended again
  else item.querySelector(".seen-button").textContent = "Seen ✓";
  accountStatus(kind === "seen" ? `Marked ${label} as seen.` : `${label} will not be recommended again.`);
  await loadForYou();
}

// ---- hooks app.js calls ----------------------------------------------------------------------

function decorateChip(chip, match) {
  if (!account.me || !match) return;
  chip.append(starSelect(match.movieId, movieLabel(match)));
}

function decorateCard(item, movie) {
  if (!account.me) return;
  const row = el("div", "feedback");
  row.append(starSelect(movie.movieId, movieLabel(movie)));
  const seen = el("button", "small seen-button", "Seen");
  seen.type = "button";
  seen.setAttribute("aria-label", `I have seen ${movieLabel(movie)}`);
  seen.addEventListener("click", () => mark(movie.movieId, "seen", movieLabel(movie), item));
  const not = el("button", "small", "Not interested");
  not.type = "button";
  not.setAttribute("aria-label", `Not interested in ${movieLabel(movie)}`);
  not.addEventListener("click", () => mark(movie.movieId, "not_interested", movieLabel(movie), item));
  row.append(seen, not);
  item.append(row);
}

// ---- signed-in views -------------------------------------------------------------------------

async function loadRatings() {
  const reply = await getJson("me/ratings");
  if (!reply.ok) return;
  account.ratings = new Map(reply.body.ratings.map((r) => [r.movieId, r]));
  const list = $("my-ratings-list");
  list.replaceChildren();
  for (const r of reply.body.ratings) {
    const label = r.title ? movieLabel(r) : `movie ${r.movieId}`;
    const row = el("li", "my-rating");
    row.append(el("span", "my-rating-title", label), starSelect(r.movieId, label));
    const remove = el("button", "small", "Remove");
    remove.type = "button";
    remove.setAttribute("aria-label", `Remove my rating of ${label}`);
    remove.addEventListener("click", async () => {
      const done = await accountCall("DELETE", `me/ratings/${encodeURIComponent(r.movieId)}`);
      if (!done.ok) return accountStatus(done.error, "error");
      accountStatus(`Removed your rating of ${label}.`);
      await Promise.all([loadRatings(), loadForYou()]);
    });
    row.append(remove);
    list.append(row);
  }
  $("my-ratings-empty").hidden = reply.body.ratings.length > 0;
  renderChips(); // the chips' stars show the stored ratings
}

async function loadForYou() {
  const seq = ++account.forYouSeq;
  // The same "How many" and Variety settings as the list from the typed titles.
  const query = `top_k=${encodeURIComponent($("top-k").value)}&diversity=${encodeURIComponent($("diversity").value)}`;
  const reply = await getJson(`me/recommendations?${query}`);
  if (seq !== account.forYouSeq || !account.me) return;
  const list = $("for-you-list");
  if (!reply.ok) {
    $("for-you-note").textContent = reply.error;
    return;
  }
  const movies = reply.body.recommendations;
  const scores = movies.map((m) => m.score);
  const range = { low: Math.min(...scores), high: Math.max(...scores) };
  list.replaceChildren(...movies.map((movie) => card(movie, range)));
  $("for-you-note").textContent = movies.length ? ""
    : "Rate a few movies and recommendations from your ratings appear here.";
}

let forYouTimer = 0;
function reloadForYou(delay) {
  if (!account.me) return;
  clearTimeout(forYouTimer);
  forYouTimer = setTimeout(loadForYou, delay);
}
$("diversity").addEventListener("input", () => reloadForYou(300));
$("top-k").addEventListener("change", () => reloadForYou(0));

function showAccount() {
  const signedIn = Boolean(account.me);
  $("account-form").hidden = signedIn;
  $("account-signed-in").hidden = !signedIn;
  if (!signedIn) showPasswordForm(false);
  $("for-you").hidden = !signedIn;
  $("my-ratings").hidden = !signedIn;
  if (signedIn) $("account-name").textContent = account.me.username;
  if (signedIn === account.decorated) return; // nothing to redraw (and the focus stays where it is)
  account.decorated = signedIn;
  renderChips();
  if (state.movies.length) recommend(); // redraw the cards with or without the controls
}

async function signedIn(me) {
  account.me = me;
  showAccount();
  await Promise.all([loadRatings(), loadForYou()]);
}

// The anonymous list, as ratings: each matched chip, "liked" as 5 and "disliked" as its rating.
function anonymousRatings() {
  const ratings = [];
  for (const movie of state.movies) {
    const match = state.matched.get(movie.title);
    if (match) ratings.push({ movieId: match.movieId, rating: movie.rating === null ? 5 : movie.rating });
  }
  return ratings.slice(0, 100);
}

async function submitAccount(kind) {
  const body = { username: $("account-username").value, password: $("account-password").value };
  if (kind === "signup") body.ratings = anonymousRatings();
  accountStatus(kind === "signup" ? "Creating your account…" : "Signing in…", "loading");
  const reply = await accountCall("POST", `auth/${kind}`, body);
  if (!reply.ok) return accountStatus(reply.error, "error");
  $("account-password").value = "";
  accountStatus(kind === "signup" && body.ratings.length
    ? `Welcome! Your ${body.ratings.length} movie${body.ratings.length === 1 ? "" : "s"} are saved as ratings.`
    : `Signed in as ${reply.body.account.username}.`);
  await signedIn(reply.body.account);
}

$("account-form").addEventListener("submit", (event) => {
  event.preventDefault();
  submitAccount(event.submitter && event.submitter.id === "signup-button" ? "signup" : "login");
});

$("signout-button").addEventListener("click", async () => {
  const reply = await accountCall("POST", "auth/logout");
  if (!reply.ok && reply.status !== 401) return accountStatus(reply.error, "error");
  account.me = null;
  account.ratings = new Map();
  showAccount();
  accountStatus("Signed out.");
});

function showPasswordForm(shown) {
  $("password-form").hidden = !shown;
  $("password-button").setAttribute("aria-expanded", String(shown));
  if (!shown) $("password-form").reset();
}

$("password-button").addEventListener("click", () => {
  const shown = $("password-form").hidden;
  showPasswordForm(shown);
  if (shown) $("current-password").focus();
});

// The gateway ends every session of the account and signs this browser in again (new cookies).
$("password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  accountStatus("Changing your password…", "loading");
  const reply = await accountCall("POST", "me/password", {
    current_password: $("current-password").value, new_password: $("new-password").value });
  if (!reply.ok) return accountStatus(reply.error, "error");
  showPasswordForm(false);
  accountStatus("Password changed. Every other device is signed out.");
});

$("my-ratings-button").addEventListener("click", () => {
  $("my-ratings").scrollIntoView();
  $("my-ratings-heading").focus();
});

(async () => {
  const reply = await getJson("me");
  if (reply.ok) await signedIn(reply.body);
  else showAccount();
})();
