-- HR redeems a gift for a funded employee per request, spread over the employees, one
-- Idempotency-Key per request (the run, the thread number and its counter).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local employees = tonumber(os.getenv("BENCH_EMPLOYEES") or "200")
local prefix = os.getenv("BENCH_PREFIX") or "BR"
local item = os.getenv("BENCH_ITEM") or "BENCH-GIFT"

function request()
  local key = next_key()
  local no = string.format("%s%05d", prefix, key % employees)
  local body = string.format('{"item_code":"%s","employee_no":"%s"}', item, no)
  return wrk.format("POST", "/rewards/v1/redemptions",
    headers_for(key, {["Content-Type"] = "application/json",
                      ["Idempotency-Key"] = string.format("bench-%s-%d", run, key)}), body)
end
