-- wrk script: GET /v1/people/{id}/score for ids spread over 1..N with an
-- app key, as an app would. Usage:
--   wrk -t1 -c32 -d20s --latency -s scripts/score-load.lua http://127.0.0.1:8080 -- KEY N
local key, n
local counter = 0

function init(args)
  key = args[1]
  n = tonumber(args[2] or "100000")
end

function request()
  -- A fixed stride walks every id without a random source.
  counter = (counter + 7919) % n
  return wrk.format("GET", "/v1/people/" .. (counter + 1) .. "/score",
    { ["Authorization"] = "Bearer " .. key })
end
