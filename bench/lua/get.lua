-- GET BENCH_PATH (a format with at most one %d, e.g. /training/v1/employees/BI%06d) for keys
-- 0 .. BENCH_KEYS - 1 in turn, so that requests spread over the rows.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local path = os.getenv("BENCH_PATH")
local keys = tonumber(os.getenv("BENCH_KEYS") or "1")

function request()
  local key = next_key()
  return wrk.format("GET", string.format(path, key % keys), headers_for(key))
end
