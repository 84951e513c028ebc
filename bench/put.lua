-- wrk script: POST /entries with a KV put of a ~100-byte value over 10,000 keys.
-- Prints one machine-readable line at the end (parsed by bench/lib.sh):
--   RESULT requests=<n> seconds=<s> rps=<r> p50_ms=<x> p99_ms=<y> non2xx=<n> errors=<n>
local counter = 0
local value = string.rep("v", 100)
local path = os.getenv("BENCH_PATH") or "/entries"
local keys = tonumber(os.getenv("BENCH_KEYS") or "10000")

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  math.randomseed(os.time() + id * 7919)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local key = "key-" .. math.random(0, keys - 1)
  local body = '{"op":"put","key":"' .. key .. '","value":"' .. value .. '"}'
  return wrk.format(nil, path, nil, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, non2xx, errors))
end
