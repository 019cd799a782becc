-- Loaded by every benchmark script (dofile): numbers the threads, gives each request
-- a key of its own, and checks every answer.
--
-- Environment: BENCH_THREADS (wrk's -t), BENCH_EXPECT (the one acceptable status),
-- BENCH_RUN (hex digits unique to this run), BENCH_MATCH (optional: count the answers
-- whose body contains it), BENCH_TOKENS (optional: bearer tokens separated by commas,
-- used in turn, so that the load comes from as many clients as there are tokens).
-- done() prints "bench unexpected N ...", "bench matched N" and "bench p95 MICROSECONDS"
-- for bench/harness.py, which fails the run when N > 0.

local threads = {}
thread_no = 0      -- set per thread by setup(); global, so that thread:set reaches it
counter = 0
unexpected = 0
matched = 0
first_unexpected = ""

local expected = tonumber(os.getenv("BENCH_EXPECT") or "200")
local match = os.getenv("BENCH_MATCH")
run = os.getenv("BENCH_RUN") or "000000000000"

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

local thread_count = tonumber(os.getenv("BENCH_THREADS") or "2")

-- A number no other request of this run gets, made of the thread number and the
-- thread's counter: 1, 2, 3, ... across all threads.
function next_key()
  counter = counter + 1
  return (counter - 1) * thread_count + thread_no
end

local tokens = {}
for token in string.gmatch(os.getenv("BENCH_TOKENS") or "", "[^,]+") do
  table.insert(tokens, token)
end

-- The request headers of the request numbered ``key``: ``extra`` and, when tokens
-- were given, the Authorization of one of them.
function headers_for(key, extra)
  local h = extra or {}
  if #tokens > 0 then
    h["Authorization"] = "Bearer " .. tokens[key % #tokens + 1]
  end
  return h
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
    if first_unexpected == "" then
      first_unexpected = " " .. status .. " " .. string.sub(body or "", 1, 300)
    end
  elseif match and body and string.find(body, match, 1, true) then
    matched = matched + 1
  end
end

function done(summary, latency, requests)
  local bad, hits, first = 0, 0, ""
  for _, t in ipairs(threads) do
    bad = bad + t:get("unexpected")
    hits = hits + t:get("matched")
    if first == "" then first = t:get("first_unexpected") end
  end
  io.write(string.format("bench unexpected %d%s\n", bad, first))
  io.write(string.format("bench matched %d\n", hits))
  io.write(string.format("bench p95 %d\n", latency:percentile(95)))
end
