-- wrk script for scripts/loadtest.sh: every request is a cast by the next voter (round-robin
-- over the bearer tokens in tokens.txt) with a fresh random nonce.
--
--   wrk -t2 -c500 -d30s --latency -s scripts/loadtest/cast.lua \
--       http://127.0.0.1:PORT/api/v1/communities/loadtest/ballots/ID/casts -- DIR/tokens.txt 2 [THINK_MS]
--
-- At the end it prints machine-readable lines (prefixed "loadtest:") with the counts of 201s,
-- other statuses, requests sent but not answered when wrk stopped, and latency percentiles.

local threads = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("id", thread_count)
   table.insert(threads, thread)
end

-- Each thread has its own Lua state: these are per-thread.
local tokens = {}
local next_voter = 0
local stride = 1
sent = 0        -- requests generated (read by done() through thread:get)
created = 0     -- 201 responses
others = 0      -- any other status
statuses = ""   -- "status=count;..." of the other statuses
local by_status = {}

local function seed_random()
   local seed = os.time() * 1000 + (id or 0)
   local f = io.open("/dev/urandom", "rb")
   if f then
      local b = f:read(6)
      f:close()
      for i = 1, #b do seed = (seed * 256 + b:byte(i)) % 2147483647 end
   end
   math.randomseed(seed)
end

function init(args)
   local path = args[1] or "tokens.txt"
   local f = assert(io.open(path, "r"), "cannot open " .. path)
   for line in f:lines() do
      if #line > 0 then table.insert(tokens, line) end
   end
   f:close()
   assert(#tokens > 0, "no tokens in " .. path)
   -- Thread k of n takes voters k-1, k-1+n, k-1+2n, …: together the threads go round-robin.
   stride = tonumber(args[2] or "2")
   next_voter = (id or 1) - 1
   seed_random()
   -- Optional think time (args[3], mean milliseconds, uniform 0..2×mean) between one cast's
   -- answer and the connection's next cast: a load below saturation, for latency at a given
   -- rate rather than at full queue. Without it every connection casts back to back.
   local think = tonumber(args[3] or "0")
   if think > 0 then
      function delay()
         return math.random(0, 2 * think)
      end
   end
end

local function rand_hex()
   return string.format("%07x%07x%07x", math.random(0, 0xfffffff), math.random(0, 0xfffffff),
      math.random(0, 0xfffffff))
end

function request()
   sent = sent + 1
   local token = tokens[(next_voter % #tokens) + 1]
   next_voter = next_voter + stride
   -- Unique per thread and request, plus randomness: never a replay.
   local nonce = string.format("lt%d-%d-%s", id or 0, sent, rand_hex())
   local body = '{"nonce":"' .. nonce .. '","answers":[{"question":"q1","choices":["agree"]}]}'
   return wrk.format("POST", nil, {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. token,
   }, body)
end

function response(status, headers, body)
   if status == 201 then
      created = created + 1
   else
      others = others + 1
      by_status[status] = (by_status[status] or 0) + 1
      local parts = {}
      for s, n in pairs(by_status) do table.insert(parts, s .. "=" .. n) end
      statuses = table.concat(parts, ";")
      if others <= 3 then
         io.stderr:write("non-201 response: " .. status .. " " .. (body or ""):sub(1, 300) .. "\n")
      end
   end
end

function done(summary, latency, requests)
   local t_sent, t_created, t_others = 0, 0, 0
   local merged = {}
   for _, thread in ipairs(threads) do
      t_sent = t_sent + (thread:get("sent") or 0)
      t_created = t_created + (thread:get("created") or 0)
      t_others = t_others + (thread:get("others") or 0)
      local s = thread:get("statuses") or ""
      for code, n in s:gmatch("(%d+)=(%d+)") do
         merged[code] = (merged[code] or 0) + tonumber(n)
      end
   end
   local parts = {}
   for code, n in pairs(merged) do table.insert(parts, code .. "=" .. n) end
   local e = summary.errors
   local secs = summary.duration / 1e6
   -- wrk calls request() once more on the first thread before the run, only to check the
   -- script (script_verify_request); that request is never sent.
   t_sent = t_sent - 1
   local answered = t_created + t_others
   io.write(string.format("loadtest: duration_s=%.3f\n", secs))
   io.write(string.format("loadtest: completed=%d sent=%d unanswered=%d\n",
      summary.requests, t_sent, t_sent - answered))
   io.write(string.format("loadtest: created_201=%d non_201=%d statuses=%s\n",
      t_created, t_others, table.concat(parts, ";")))
   io.write(string.format("loadtest: socket_errors connect=%d read=%d write=%d timeout=%d status=%d\n",
      e.connect, e.read, e.write, e.timeout, e.status))
   io.write(string.format("loadtest: casts_per_s=%.1f\n", t_created / secs))
   io.write(string.format("loadtest: latency_ms p50=%.2f p90=%.2f p99=%.2f max=%.2f mean=%.2f\n",
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
end
