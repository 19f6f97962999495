-- wrk script for bench/run. BENCH_MODE picks what each request is:
--   ping   GET /_bench/ping (the bare JSON endpoint every figure is divided by)
--   login  POST /api/auth/login with a code drawn at random from BENCH_POOL load-test codes
--   me     GET /api/me with a bearer token drawn at random from the file BENCH_TOKENS
--   introspect  POST /api/oauth/introspect of such a token, as the service client BENCH_BASIC
-- done() prints one line "WRKJSON {...}" that bench/bench.py reads.

local mode = os.getenv("BENCH_MODE") or "ping"
local pool = tonumber(os.getenv("BENCH_POOL") or "20000")
local threads = {}
local tokens = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
  if mode == "me" or mode == "introspect" then
    for line in io.lines(os.getenv("BENCH_TOKENS")) do
      table.insert(tokens, line)
    end
  end
end

local json_headers = { ["Content-Type"] = "application/json" }

function request()
  if mode == "login" then
    local body = '{"code":"bench-' .. math.random(0, pool - 1) .. '"}'
    return wrk.format("POST", "/api/auth/login", json_headers, body)
  elseif mode == "me" then
    return wrk.format("GET", "/api/me", { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
  elseif mode == "introspect" then
    local headers = {
      ["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC"),
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }
    return wrk.format("POST", "/api/oauth/introspect", headers, "token=" .. tokens[math.random(#tokens)])
  end
  return wrk.format("GET", "/_bench/ping")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
