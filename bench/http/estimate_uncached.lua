-- wrk script: POST estimate requests whose prompt length changes every
-- time (a new cache key almost always): the estimator's own cost.
local counter = 0
request = function()
  counter = counter + 1
  local input_len = 100 + (counter * 7919) % 30000
  local body = string.format(
    '{"accelerator":"h100-sxm","model":"llama3-70b","devices":8,"input_len":%d,"output_len":200}',
    input_len)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
