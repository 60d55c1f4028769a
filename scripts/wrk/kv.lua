-- wrk script of scripts/bench-proxy.sh: the same load shape for kvpipe's proxy and etcd's HTTP/JSON gateway.
--   wrk -t T -c C -d Ns --latency -s scripts/wrk/kv.lua URL -- <kvpipe|etcd> <put|get> <keys> <value-bytes> [token]
-- Each request picks a key uniformly from key-000000000000 .. (16 bytes each) and, for puts, sends a fixed value of
-- <value-bytes> printable bytes (etcd gets the same key and value base64-encoded in JSON, as its gateway requires).
--   kvpipe: PUT /v1/kv/{key} (raw body) | GET /v1/kv/{key}              (Authorization: Bearer <token>)
--   etcd:   POST /v3/kv/put {"key","value"} | POST /v3/kv/range {"key"}  (linearizable: etcd's default)
-- Requests are built once per thread in init(), so the generator spends its time on the wire, not in Lua.
-- done() prints one line "WRK_JSON {...}": requests, duration, latency percentiles (us) and errors; wrk counts an
-- HTTP status >= 400 as a status error (neither server answers 1xx/3xx here, so that is every non-2xx) and socket
-- errors (connect, read, write, timeout) apart.

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(n / 262144) % 64
    local c2 = math.floor(n / 4096) % 64
    local c3 = math.floor(n / 64) % 64
    local c4 = n % 64
    out[#out + 1] = b64chars:sub(c1 + 1, c1 + 1) .. b64chars:sub(c2 + 1, c2 + 1)
        .. (b and b64chars:sub(c3 + 1, c3 + 1) or "=") .. (c and b64chars:sub(c4 + 1, c4 + 1) or "=")
  end
  return table.concat(out)
end

-- KVPIPE_WRK_PACE_MS=N (environment): each connection waits N ms after a response before its next request (wrk's
-- delay()), so C connections offer about C * 1000 / (N + latency) requests/s: a rate, not saturation (wrk times each
-- request from its write, so the wait is not counted). Unset, delay() is not defined and wrk sends back to back.
local pace_ms = tonumber(os.getenv("KVPIPE_WRK_PACE_MS") or "")
if pace_ms and pace_ms > 0 then
  function delay()
    return pace_ms
  end
end

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
end

local requests = {}
local nkeys = 0

function init(args)
  local target, op = args[1], args[2]
  nkeys = tonumber(args[3])
  local vbytes = tonumber(args[4])
  local token = args[5]
  if target == "kvpipe" and op == "topology" then
    -- scripts/bench-topology.sh: the proxy's cheapest topology query, the same request every time.
    nkeys = 1
    requests[1] = wrk.format("GET", "/api/topology/version", { ["Authorization"] = "Bearer " .. (args[5] or "") })
    return
  end
  if (target ~= "kvpipe" and target ~= "etcd") or (op ~= "put" and op ~= "get") or not nkeys or not vbytes then
    error("usage: -- <kvpipe|etcd> <put|get> <keys> <value-bytes> [token]  |  -- kvpipe topology 1 0 <token>")
  end
  math.randomseed(os.time() * 1000 + thread_no * 7919)
  local value = {}
  for i = 1, vbytes do
    value[i] = string.char(97 + (i * 7) % 26)
  end
  value = table.concat(value)
  local value64 = base64(value)
  for i = 0, nkeys - 1 do
    local key = string.format("key-%012d", i)
    local req
    if target == "kvpipe" then
      local headers = { ["Authorization"] = "Bearer " .. (token or "") }
      if op == "put" then
        headers["Content-Type"] = "application/octet-stream"
        req = wrk.format("PUT", "/v1/kv/" .. key, headers, value)
      else
        req = wrk.format("GET", "/v1/kv/" .. key, headers)
      end
    else
      local headers = { ["Content-Type"] = "application/json" }
      if op == "put" then
        req = wrk.format("POST", "/v3/kv/put", headers,
            '{"key":"' .. base64(key) .. '","value":"' .. value64 .. '"}')
      else
        req = wrk.format("POST", "/v3/kv/range", headers, '{"key":"' .. base64(key) .. '"}')
      end
    end
    requests[i + 1] = req
  end
end

function request()
  return requests[math.random(nkeys)]
end

function done(summary, latency, requests_)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"errors_status":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_timeout":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f}\n',
      summary.requests, summary.duration, summary.bytes,
      e.status, e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
      latency.max, latency.mean))
end
