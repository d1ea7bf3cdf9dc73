-- wrk script: requests read from a file, one per line: a JSON body for POST /recommend/titles, or
-- any request as METHOD <tab> PATH <tab> COOKIE <tab> X-CSRF-TOKEN <tab> BODY (empty fields allowed).
-- Usage: wrk -t T -c C -d D -s bodies.lua URL -- <bodies file> <T>
-- Thread i sends lines i, i+T, i+2T, ... so threads never repeat each other's bodies; a thread
-- that reaches the end of its share starts again and counts a wrap (reported, since a wrapped
-- "unique" run is no longer uncached). done() prints one line: BENCH_RESULT <json>.

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  local json = { ["Content-Type"] = "application/json" }
  requests = {}
  local line_no = 0
  for line in io.lines(path) do
    if line_no % nthreads == id - 1 then
      local method, target, cookie, csrf, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      if method then
        local headers = {}
        if cookie ~= "" then headers["Cookie"] = cookie end
        if csrf ~= "" then headers["X-CSRF-Token"] = csrf end
        if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
        requests[#requests + 1] = wrk.format(method, target, headers, body)
      else
        requests[#requests + 1] = wrk.format("POST", "/recommend/titles", json, line)
      end
    end
    line_no = line_no + 1
  end
  if #requests == 0 then
    error("no bodies for thread " .. id .. " in " .. path)
  end
  index = 0
  wraps = 0
end

function request()
  index = index + 1
  if index > #requests then
    index = 1
    wraps = wraps + 1
  end
  return requests[index]
end

function done(summary, latency, _)
  local wrapped = 0
  for _, thread in ipairs(threads) do
    wrapped = wrapped + thread:get("wraps")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f},"wraps":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
    wrapped))
end
