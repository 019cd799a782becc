-- wrk script: the baseline's one INSERT per request.
function request()
  return wrk.format("POST", "/baseline/insert", {["Content-Type"] = "application/json"},
    '{"employee_no":"BF00001","course_code":"BENCH-C1"}')
end
