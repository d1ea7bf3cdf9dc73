// The dashboard's "From the app" section: GET /dashboard/app-stats (the profiles service's figures) drawn
// with the helpers of dashboard.js (draw, tile, number, COLORS). Text goes in through textContent only.
"use strict";

function appRatingsChart(days) {
  const total = days.reduce((sum, d) => sum + d.count, 0);
  draw("chart-app-days", {
    type: "bar",
    data: { labels: days.map((d) => d.day.slice(5)),
            datasets: [{ label: "ratings", data: days.map((d) => d.count), backgroundColor: COLORS.good, borderRadius: 4 }] },
    options: {
      plugins: { legend: { display: false },
                 tooltip: { callbacks: { title: (items) => days[items[0].dataIndex].day,
                                         label: (c) => `${number.format(c.parsed.y)} ratings` } } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { grid: { display: false } } },
    },
  }, `Ratings given in the app per day over the last ${days.length} days: ${number.format(total)} in all.`);
}

function appHistogramChart(histogram) {
  const total = histogram.reduce((sum, b) => sum + b.count, 0);
  draw("chart-app-histogram", {
    type: "bar",
    data: { labels: histogram.map((b) => `${b.rating}★`),
            datasets: [{ label: "ratings", data: histogram.map((b) => b.count), backgroundColor: COLORS.accent, borderRadius: 6 }] },
    options: {
      plugins: { legend: { display: false },
                 tooltip: { callbacks: { label: (c) => `${number.format(c.parsed.y)} ratings` +
                   (total ? ` (${(100 * c.parsed.y / total).toFixed(1)}%)` : "") } } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { grid: { display: false } } },
    },
  }, `How the app's people rate: ${number.format(total)} ratings stored.`);
}

async function loadAppStats() {
  const section = $("app-stats");
  const reply = await getJson("dashboard/app-stats?days=30");
  if (!reply.ok || typeof Chart === "undefined") {
    $("app-status").textContent = reply.ok ? "The chart library is not installed on this server." : reply.error;
    section.dataset.state = "error";
    return;
  }
  const s = reply.body;
  $("app-tiles").replaceChildren(
    tile(number.format(s.accounts), "accounts"),
    tile(number.format(s.active_accounts["1d"]), "active today (24 h)"),
    tile(number.format(s.active_accounts["7d"]), "active this week"),
    tile(number.format(s.active_accounts["30d"]), "active this month"),
    tile(number.format(s.ratings), "ratings stored"),
  );
  appRatingsChart(s.ratings_per_day);
  appHistogramChart(s.rating_histogram);
  $("app-status").textContent = s.accounts ? "" : "No accounts yet: sign up on the Recommend page.";
  section.dataset.state = "ready";
}

loadAppStats();
