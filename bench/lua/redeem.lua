-- wrk script: HR redeems a gift for a random funded employee, one Idempotency-Key
-- per request (thread id + counter).
local counter = 0
local thread_id = 0
local employees = tonumber(os.getenv("BENCH_EMPLOYEES") or "200")
local prefix = os.getenv("BENCH_PREFIX") or "BR"
local item = os.getenv("BENCH_ITEM") or "BENCH-GIFT"
local token = os.getenv("BENCH_TOKEN")

function setup(thread)
  thread:set("thread_id", math.random(1, 2^30))
end

function init(args)
  math.randomseed(thread_id)
end

function request()
  counter = counter + 1
  local no = string.format("%s%05d", prefix, math.random(0, employees - 1))
  local body = string.format('{"item_code":"%s","employee_no":"%s"}', item, no)
  return wrk.format("POST", "/rewards/v1/redemptions",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token,
     ["Idempotency-Key"] = string.format("bench-%d-%d", thread_id, counter)}, body)
end
