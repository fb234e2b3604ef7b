-- wrk script: POST estimate requests whose prompt length changes every
-- time (a new cache key: the sequence is 29,989 long per thread, longer
-- than the 4,096-entry cache, and each thread starts elsewhere in it):
-- the estimator's own cost.
local threads = 0
function setup(thread)
  thread:set("offset", threads * 9973)
  threads = threads + 1
end

local counter = 0
function request()
  counter = counter + 1
  local input_len = 100 + ((counter + offset) * 7919) % 29989
  local body = string.format(
    '{"accelerator":"h100-sxm","model":"llama3-70b","devices":8,"input_len":%d,"output_len":200}',
    input_len)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
