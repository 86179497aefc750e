-- wrk script for bench/soak.sh: a mixed load over SOAK_NODES seeded nodes.
-- 5 in 10 requests read one node, 2 read a filtered list, 1 fetches a boot script (which
-- records endpoint history), 2 write a node's state (alternating Ready and Standby).
local token = os.getenv("SOAK_TOKEN")
local nodes = tonumber(os.getenv("SOAK_NODES"))
local n = 0

local function xname(i)
  return string.format("x%dc%ds%db0n%d", 1000 + math.floor(i / 1024), math.floor(i / 128) % 8,
    math.floor(i / 2) % 64, i % 2)
end

request = function()
  n = n + 1
  local x = xname(math.random(0, nodes - 1))
  local headers = { ["Authorization"] = "Bearer " .. token }
  local r = n % 10
  if r < 5 then
    return wrk.format("GET", "/hsm/v2/State/Components/" .. x, headers)
  elseif r < 7 then
    return wrk.format("GET", "/hsm/v2/State/Components?type=Node&state=Standby&role=Compute", headers)
  elseif r < 8 then
    return wrk.format("GET", "/boot/v1/bootscript?name=" .. x, headers)
  else
    headers["Content-Type"] = "application/json"
    local state = (n % 4 < 2) and "Ready" or "Standby"
    return wrk.format("PATCH", "/hsm/v2/State/Components/" .. x .. "/StateData", headers,
      '{"State": "' .. state .. '"}')
  end
end
