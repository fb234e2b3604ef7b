-- wrk script: POST one estimate request (the same body every time: after
-- the first, the service answers from its result cache).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"accelerator":"h100-sxm","model":"llama3-70b","devices":8,"input_len":1000,"output_len":200}'
