-- wrk script of bench/webhooks.py: signed GitHub deliveries, each with a fresh delivery id.
--
--   wrk -t1 -c8 -d5s -s bench/webhooks.lua http://127.0.0.1:PORT/webhooks -- MANIFEST PREFIX
--
-- wrk's LuaJIT has no HMAC-SHA256. It needs none: GitHub's signature covers the body only,
-- not the X-GitHub-Delivery header. So bench/webhooks.py signs each body once, in Python, and
-- writes a manifest (one line per body: event, signature, body file); this script cycles
-- through the bodies and gives every request a delivery id of its own (PREFIX, the thread,
-- a counter), so the app's dedupe never short-circuits a request.
--
-- `response` counts the 2xx answers (acknowledged deliveries) and the others; `done` prints
-- one line, `WRK_RESULT {json}`, which bench/webhooks.py reads.

local threads = {}

function setup(thread)
   thread:set("thread_id", #threads + 1)
   table.insert(threads, thread)
end

local function read_file(path)
   local file = assert(io.open(path, "rb"))
   local content = file:read("*a")
   file:close()
   return content
end

function init(args)
   local manifest, prefix = args[1], args[2]
   bodies = {}
   for line in io.lines(manifest) do
      local event, signature, path = line:match("^(%S+)\t(%S+)\t(.+)$")
      table.insert(bodies, {
         event = event,
         signature = signature,
         body = read_file(path),
      })
   end
   assert(#bodies > 0, "no bodies in " .. manifest)
   id_prefix = prefix .. "-" .. thread_id .. "-"
   sent = 0
   acked = 0
   refused = 0
end

function request()
   sent = sent + 1
   local item = bodies[(sent - 1) % #bodies + 1]
   local headers = {
      ["Content-Type"] = "application/json",
      ["User-Agent"] = "GitHub-Hookshot/bench",
      ["X-GitHub-Event"] = item.event,
      ["X-GitHub-Delivery"] = id_prefix .. sent,
      ["X-Hub-Signature-256"] = item.signature,
   }
   return wrk.format("POST", nil, headers, item.body)
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      acked = acked + 1
   else
      refused = refused + 1
   end
end

function done(summary, latency, requests)
   local total_acked, total_refused, total_sent = 0, 0, 0
   for _, thread in ipairs(threads) do
      total_acked = total_acked + thread:get("acked")
      total_refused = total_refused + thread:get("refused")
      total_sent = total_sent + thread:get("sent")
   end
   local errors = summary.errors
   io.write(string.format(
      'WRK_RESULT {"duration_us": %d, "requests": %d, "sent": %d, "acked": %d, '
         .. '"refused": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, '
         .. '"errors_timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
         .. '"max_us": %d, "mean_us": %.1f}\n',
      summary.duration, summary.requests, total_sent, total_acked, total_refused,
      errors.connect, errors.read, errors.write, errors.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean
   ))
end
