// The model-version timeline on the dashboard: every `python -m trainer retrain` run (the `models` of
// GET /dashboard/stats), promoted or rejected, with the quality gate's figures of the candidate and of
// the model it was compared with on the same splits. Text goes in through textContent only (common.js).
"use strict";

const RUN_COLORS = { promoted: "#5cc98a", rejected: "#ff6b6b", serving: "#9aa3b4", ranking: "#7aa2ff" };

function gateFigure(value) {
  return value === null || value === undefined ? "–" : value.toFixed(4);
}

function rankingScore(f) {
  return f && f.ndcg10 !== null && f.recall10 !== null ? (f.ndcg10 + f.recall10) / 2 : null;
}

function runLabel(run) {
  return run.time.replace("T", " ").replace(/:\d\dZ$/, " UTC");
}

function timelineChart(runs) {
  const outcome = runs.map((r) => (r.promoted ? "promoted" : "rejected"));
  return new Chart($("chart-models"), {
    type: "line",
    data: {
      labels: runs.map(runLabel),
      datasets: [
        { label: "candidate RMSE", data: runs.map((r) => r.candidate && r.candidate.rmse), yAxisID: "rmse", showLine: false,
          pointRadius: 6, pointHoverRadius: 8, pointStyle: outcome.map((o) => (o === "promoted" ? "circle" : "crossRot")),
          pointBorderWidth: 2, pointBackgroundColor: outcome.map((o) => RUN_COLORS[o]), pointBorderColor: outcome.map((o) => RUN_COLORS[o]),
          borderColor: RUN_COLORS.promoted, backgroundColor: RUN_COLORS.promoted },
        { label: "serving model's RMSE, same split", data: runs.map((r) => (r.serving ? r.serving.rmse : null)), yAxisID: "rmse",
          borderColor: RUN_COLORS.serving, backgroundColor: RUN_COLORS.serving, borderDash: [6, 4], pointRadius: 2, spanGaps: true },
        { label: "candidate (NDCG@10 + Recall@10) / 2", data: runs.map((r) => rankingScore(r.candidate)), yAxisID: "ranking",
          borderColor: RUN_COLORS.ranking, backgroundColor: RUN_COLORS.ranking, pointRadius: 3, tension: 0.2, spanGaps: true },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      plugins: {
        tooltip: {
          callbacks: {
            title: (items) => `${runs[items[0].dataIndex].version} — ${outcome[items[0].dataIndex]}`,
            label: (c) => `${c.dataset.label}: ${gateFigure(c.parsed.y)}`,
            footer: (items) => runs[items[0].dataIndex].reason,
          },
        },
      },
      scales: {
        rmse: { position: "left", title: { display: true, text: "RMSE (lower is better)" } },
        ranking: { position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "ranking (higher is better)" } },
        x: { grid: { display: false }, offset: true },
      },
    },
  });
}

function runRow(run) {
  const row = el("tr", run.promoted ? "run promoted" : "run rejected");
  const vs = (pick) => `${gateFigure(pick(run.candidate))} vs ${gateFigure(run.serving ? pick(run.serving) : null)}`;
  row.append(
    el("td", "", runLabel(run)),
    el("td", "mono", run.version),
    el("td", "outcome", run.promoted ? "promoted" : "rejected"),
    el("td", "", vs((f) => f && f.rmse)),
    el("td", "", vs(rankingScore)),
    el("td", "", `${number.format(run.app_ratings)} from ${number.format(run.app_accounts)}`),
    el("td", "reason", run.reason),
  );
  return row;
}

function showTimeline(runs, error) {
  const hint = $("models-hint");
  const body = $("model-runs");
  body.replaceChildren();
  if (!runs) {
    hint.textContent = `The model history cannot be read: ${error || "unknown error"}.`;
    hint.className = "hint status error";
    return;
  }
  if (!runs.length) {
    hint.textContent = "No retrain has run yet: `python -m trainer retrain` records every run here.";
    return;
  }
  const promoted = runs.filter((r) => r.promoted).length;
  hint.textContent = `${runs.length} retrain runs, ${promoted} promoted and ${runs.length - promoted} rejected by the quality gate `
    + "(each candidate compared with the serving model on the same 80/20 split and held-out users).";
  timelineChart(runs);
  $("chart-models").setAttribute("aria-label", `Model versions over time: ${hint.textContent}`);
  for (const run of runs.slice().reverse()) body.append(runRow(run));
}
