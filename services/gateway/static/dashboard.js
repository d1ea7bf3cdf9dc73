// The dashboard: GET /dashboard/stats (the serving model's dataset statistics) and GET /model, drawn
// with Chart.js (served by the gateway at vendor/chart.js). Charts draw text on canvas; the rest of
// the page gets text through textContent only (common.js).
"use strict";

const COLORS = { accent: "#7aa2ff", accent2: "#4c6fd1", good: "#5cc98a", warn: "#ffb454", muted: "#9aa3b4", grid: "#252b38" };
const number = new Intl.NumberFormat("en");
const LABEL_CHARS = window.matchMedia("(max-width: 560px)").matches ? 16 : 28; // bar labels eat the bars on a phone

function setDashStatus(text, kind = "") {
  const node = $("dash-status");
  node.textContent = text;
  node.className = `status ${kind}`;
}

function short(text) {
  return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
}

function chartDefaults() {
  Chart.defaults.color = COLORS.muted;
  Chart.defaults.borderColor = COLORS.grid;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.plugins.tooltip.backgroundColor = "#1e232e";
  Chart.defaults.plugins.tooltip.borderColor = "#3a4560";
  Chart.defaults.plugins.tooltip.borderWidth = 1;
  Chart.defaults.plugins.tooltip.padding = 10;
}

function draw(id, config, summary) {
  const canvas = $(id);
  canvas.setAttribute("aria-label", summary); // what a screen reader hears instead of the picture
  return new Chart(canvas, config);
}

// ---- totals and model card --------------------------------------------------------------------

function tile(value, name) {
  const box = el("div", "tile");
  box.append(el("div", "value", value), el("div", "name", name));
  return box;
}

function showTotals(totals) {
  const pct = (x) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(2)}%`);
  $("totals").replaceChildren(
    tile(number.format(totals.ratings), "ratings"),
    tile(number.format(totals.users), "people"),
    tile(number.format(totals.movies), "movies"),
    tile(totals.mean_rating === null ? "–" : totals.mean_rating.toFixed(2), "mean rating"),
    tile(pct(totals.sparsity), "of the user × movie grid empty"),
    tile(number.format(totals.ratings_per_user_median), "ratings per person (median)"),
  );
}

function fillList(id, rows) {
  const list = $(id);
  list.replaceChildren();
  for (const [name, value] of rows) list.append(el("dt", "", name), el("dd", "", value));
  if (!rows.length) list.append(el("dd", "", "none recorded"));
}

function formatValue(value) {
  if (typeof value === "number") return Number.isInteger(value) ? number.format(value) : String(+value.toFixed(4));
  if (value === null || value === undefined) return "–";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function showModel(info) {
  fillList("model-about", [
    ["version", info.model_version],
    ["dataset", info.dataset],
    ["trained", info.trained_at.replace("T", " ").replace(/(\.\d+)?(Z|\+00:00)$/, " UTC")],
    ["people · movies", `${number.format(info.n_users)} · ${number.format(info.n_movies)}`],
    ["ratings", number.format(info.n_ratings)],
    ["default alpha", formatValue(info.default_alpha)],
  ]);
  const metrics = Object.entries(info.metrics).sort(([a], [b]) => a.localeCompare(b));
  fillList("model-metrics", metrics.map(([k, v]) => [k, formatValue(v)]));
  const params = Object.entries(info.params).sort(([a], [b]) => a.localeCompare(b));
  fillList("model-params", params.map(([k, v]) => [k, formatValue(v)]));
}

// ---- charts -----------------------------------------------------------------------------------

function histogramChart(histogram, total) {
  const labels = histogram.map((b) => `${b.rating}★`);
  const counts = histogram.map((b) => b.count);
  const top = histogram.reduce((a, b) => (b.count > a.count ? b : a), histogram[0]);
  draw("chart-histogram", {
    type: "bar",
    data: { labels, datasets: [{ label: "ratings", data: counts, backgroundColor: COLORS.accent, borderRadius: 6 }] },
    options: {
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (c) => `${number.format(c.parsed.y)} ratings (${(100 * c.parsed.y / total).toFixed(1)}%)` } },
      },
      scales: { y: { beginAtZero: true, ticks: { callback: (v) => number.format(v) } }, x: { grid: { display: false } } },
    },
  }, `Rating distribution: most ratings are ${top ? top.rating : "?"} stars.`);
}

function monthsChart(months) {
  draw("chart-months", {
    type: "line",
    data: {
      labels: months.map((m) => m.month),
      datasets: [
        { label: "ratings", data: months.map((m) => m.count), borderColor: COLORS.accent, backgroundColor: "rgba(122,162,255,0.18)",
          fill: true, tension: 0.3, pointRadius: 3, yAxisID: "y" },
        { label: "mean rating", data: months.map((m) => m.mean_rating), borderColor: COLORS.warn, backgroundColor: COLORS.warn,
          tension: 0.3, pointRadius: 2, yAxisID: "mean" },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.datasetIndex ? c.parsed.y.toFixed(2) : number.format(c.parsed.y)}` } } },
      scales: {
        y: { beginAtZero: true, ticks: { callback: (v) => number.format(v) } },
        mean: { position: "right", min: 1, max: 5, grid: { drawOnChartArea: false } },
        x: { grid: { display: false } },
      },
    },
  }, `Ratings per month from ${months.length ? months[0].month : "?"} to ${months.length ? months[months.length - 1].month : "?"}.`);
}

function movieBars(id, movies, value, axis, color, tooltip, summary) {
  draw(id, {
    type: "bar",
    data: {
      labels: movies.map((m) => short(m.title)),
      datasets: [{ label: axis, data: movies.map(value), backgroundColor: color, borderRadius: 4 }],
    },
    options: {
      indexAxis: "y",
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { title: (items) => movieLabel(movies[items[0].dataIndex]), label: (c) => tooltip(movies[c.dataIndex]) } },
      },
      scales: { x: { beginAtZero: axis === "ratings", title: { display: true, text: axis } }, y: { grid: { display: false }, ticks: { autoSkip: false } } },
    },
  }, summary);
}

function genresChart(genres) {
  const rows = genres.filter((g) => g.ratings > 0).sort((a, b) => b.ratings - a.ratings);
  draw("chart-genres", {
    data: {
      labels: rows.map((g) => g.genre),
      datasets: [
        { type: "bar", label: "ratings", data: rows.map((g) => g.ratings), backgroundColor: COLORS.accent2, borderRadius: 4, yAxisID: "y", order: 2 },
        { type: "line", label: "mean rating", data: rows.map((g) => g.mean_rating), borderColor: COLORS.warn, backgroundColor: COLORS.warn,
          pointRadius: 3, yAxisID: "mean", order: 1 },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: {
        tooltip: {
          callbacks: {
            label: (c) => (c.datasetIndex ? `mean rating: ${c.parsed.y.toFixed(2)}`
              : `${number.format(c.parsed.y)} ratings of ${number.format(rows[c.dataIndex].movies)} movies`),
          },
        },
      },
      scales: {
        y: { beginAtZero: true, ticks: { callback: (v) => number.format(v) } },
        mean: { position: "right", min: 1, max: 5, grid: { drawOnChartArea: false } },
        x: { grid: { display: false } },
      },
    },
  }, `Ratings per genre: most for ${rows.length ? rows[0].genre : "?"}.`);
}

function showStats(stats) {
  showTotals(stats.totals);
  histogramChart(stats.rating_histogram, stats.totals.ratings);
  monthsChart(stats.ratings_per_month);
  const ratingText = (m) => `mean ${m.mean_rating.toFixed(2)} from ${number.format(m.n_ratings)} ratings`;
  movieBars("chart-most", stats.most_rated, (m) => m.n_ratings, "ratings", COLORS.accent, ratingText,
    `Most rated: ${stats.most_rated.length ? stats.most_rated[0].title : "none"} first.`);
  $("top-hint").textContent = `Highest mean rating among movies with at least ${number.format(stats.top_rated_min_count)} ratings.`;
  movieBars("chart-top", stats.top_rated, (m) => m.mean_rating, "mean rating", COLORS.good, ratingText,
    `Top rated: ${stats.top_rated.length ? stats.top_rated[0].title : "none"} first.`);
  genresChart(stats.genres);
}

// ---- start ------------------------------------------------------------------------------------

async function loadDashboard() {
  const main = $("dashboard");
  const [model, stats] = await Promise.all([getJson("model"), getJson("dashboard/stats")]);
  if (model.ok) showModel(model.body);
  if (typeof Chart === "undefined") {
    setDashStatus("The chart library is not installed on this server (run scripts/setup.sh, which runs npm ci).", "error");
    main.dataset.state = "error";
    return;
  }
  if (!stats.ok) {
    setDashStatus(stats.error, "error");
    main.dataset.state = "error";
    return;
  }
  chartDefaults();
  showStats(stats.body.stats);
  showTimeline(stats.body.models, stats.body.models_error);
  setDashStatus(model.ok ? "" : model.error, model.ok ? "" : "error");
  main.dataset.state = "ready";
}

loadDashboard();
