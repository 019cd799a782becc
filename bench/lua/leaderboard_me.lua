-- wrk script: one employee's rank with neighbours per request, spread over the
-- employees bench/leaderboard.py generated.
local employees = tonumber(os.getenv("BENCH_LEADERBOARD_EMPLOYEES") or "100000")
local thread_id = 0

function setup(thread)
  thread:set("thread_id", math.random(1, 2^30))
end

function init(args)
  math.randomseed(thread_id)
end

function request()
  local no = string.format("LB%06d", math.random(0, employees - 1))
  return wrk.format("GET", "/points/v1/leaderboards/me?k=3&employee_no=" .. no)
end
