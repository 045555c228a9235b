-- wrk script: GET /v1/people/{id}/score for ids spread over 1..N with an
-- app key, as an app would. Usage:
--   wrk -t1 -c32 -d20s --latency -s scripts/score-load.lua http://127.0.0.1:8080 -- KEY N [DELAY_MS]
-- With DELAY_MS each connection pauses that long between requests, so the
-- rate is about connections x 1000 / DELAY_MS (e.g. -c40 and 2 ms for
-- 20,000 requests per second) instead of as fast as the server answers.
-- An app key may read 5,000 scores a second by default (README, "Rate and
-- connection limits"): above that, serve with --rate-limits key:NAME=off
-- (NAME the key's name) or a higher app= rate, or most answers are 429.
local key, n, pause
local counter = 0

function init(args)
  key = args[1]
  n = tonumber(args[2] or "100000")
  pause = tonumber(args[3] or "0")
end

function delay()
  return pause
end

function request()
  -- A fixed stride walks every id without a random source.
  counter = (counter + 7919) % n
  return wrk.format("GET", "/v1/people/" .. (counter + 1) .. "/score",
    { ["Authorization"] = "Bearer " .. key })
end
