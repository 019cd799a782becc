-- POST a course completion per request, spread over the seeded employees, each with a
-- client_id of its own: a UUID made of the run, the thread number and its counter.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local employees = tonumber(os.getenv("BENCH_EMPLOYEES") or "200")
local prefix = os.getenv("BENCH_PREFIX") or "BF"
local course = os.getenv("BENCH_COURSE") or "BENCH-C1"

function request()
  local key = next_key()
  local no = string.format("%s%05d", prefix, key % employees)
  local cid = string.format("%s-0000-4000-8000-%012x", string.sub(run, 1, 8), key)
  local body = string.format(
    '{"employee_no":"%s","course_code":"%s","completed_at":"2026-01-15T10:00:00+08:00","client_id":"%s"}',
    no, course, cid)
  return wrk.format("POST", "/training/v1/course-completions",
    headers_for(key, {["Content-Type"] = "application/json"}), body)
end
