-- GET BENCH_PATH (a format with one %s, the employee number) as the employee
-- themself: BENCH_TOKEN_FILE holds one "employee_no token" line per employee; the
-- requests of a run take the lines from BENCH_OFFSET on, each line once, so that
-- every request is for a different employee (a run needs fewer requests than lines).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local path = os.getenv("BENCH_PATH")
local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
local people = {}
for line in io.lines(os.getenv("BENCH_TOKEN_FILE")) do
  local no, token = string.match(line, "^(%S+) (%S+)$")
  table.insert(people, {no, token})
end

function request()
  local key = next_key()
  local who = people[(offset + key) % #people + 1]
  if key >= #people then
    -- the run outlived the list: repeating an employee would measure something else
    unexpected = unexpected + 1
    first_unexpected = " more requests than employees in BENCH_TOKEN_FILE"
  end
  return wrk.format("GET", string.format(path, who[1]),
                    {["Authorization"] = "Bearer " .. who[2]})
end
