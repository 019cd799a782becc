-- The baseline's one INSERT per request, each with a body of its own.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function request()
  local body = string.format('{"run":"%s","n":%d}', run, next_key())
  return wrk.format("POST", os.getenv("BENCH_PATH") or "/baseline/insert",
    {["Content-Type"] = "application/json"}, body)
end
