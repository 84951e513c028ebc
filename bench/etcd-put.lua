-- wrk script: etcd v3 JSON gateway POST /v3/kv/put with the same load as put.lua
-- (a ~100-byte value over 10,000 keys; keys and values base64 as the gateway wants).
local counter = 0
local keys = tonumber(os.getenv("BENCH_KEYS") or "10000")
local b64 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"

local function base64(s)
  return ((s:gsub('.', function(x)
    local r, b = '', x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and '1' or '0') end
    return r
  end) .. '0000'):gsub('%d%d%d?%d?%d?%d?', function(x)
    if #x < 6 then return '' end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
    return b64:sub(c + 1, c + 1)
  end) .. ({ '', '==', '=' })[#s % 3 + 1])
end

local value = base64(string.rep("v", 100))
local encodedKeys = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  math.randomseed(os.time() + id * 7919)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  for i = 0, keys - 1 do encodedKeys[i] = base64("key-" .. i) end
end

function request()
  local key = encodedKeys[math.random(0, keys - 1)]
  return wrk.format(nil, "/v3/kv/put", nil, '{"key":"' .. key .. '","value":"' .. value .. '"}')
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, non2xx, errors))
end
