-- wrk script: POST a course completion per request, spread over the seeded
-- employees, each with a fresh client_id (a UUID made of thread and counter).
local counter = 0
local thread_id = 0
local employees = tonumber(os.getenv("BENCH_EMPLOYEES") or "200")
local prefix = os.getenv("BENCH_PREFIX") or "BF"
local course = os.getenv("BENCH_COURSE") or "BENCH-C1"
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
  local cid = string.format("%08x-0000-4000-8000-%012x", thread_id % 2^32, counter)
  local body = string.format(
    '{"employee_no":"%s","course_code":"%s","completed_at":"2026-01-15T10:00:00+08:00","client_id":"%s"}',
    no, course, cid)
  return wrk.format("POST", "/training/v1/course-completions",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
