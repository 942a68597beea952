-- wrk script for bench/mixed.py: each request is drawn from the user-like mix with a seeded RNG.
--
-- wrk -s bench/mixed.lua URL -- FLAVOR SEED TOKEN LOGIN_BODY POOL_DIR SIGN_IN_SHARE
--   FLAVOR         signet or template (which endpoints, which bodies)
--   SEED           the RNG's seed (plus the thread's number): both servers get the same draw
--   TOKEN          the user's access token (who am I, list, create)
--   LOGIN_BODY     the sign-in body, already encoded (JSON for Signet, a form for the template)
--   POOL_DIR       Signet: refresh-<thread>.txt files, one single-use refresh token a line
--   SIGN_IN_SHARE  0.01 (the issue's mix), or 0: no sign-ins, the others in proportion
-- Mix: 70 % who am I, 20 % list the 20 newest, 5 % create a small one, 4 % refresh (Signet) or
-- re-login (the template has no refresh), the rest sign-ins. At exit it prints one
-- "mix <thread> <me> <list> <create> <refresh> <sign-in> <pool-exhausted>" line a thread.

local threads = {}
local next_id = 1

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

local BOUNDARY = "mixedbenchboundary"
-- counts and exhausted are globals: done() reads them from each thread.
local kinds, pool, pooled, share

function init(args)
   local flavor, seed, token, login_body, pool_dir = args[1], args[2], args[3], args[4], args[5]
   share = tonumber(args[6])
   math.randomseed(tonumber(seed) + id)
   local auth = { Authorization = "Bearer " .. token }
   local json = { ["Content-Type"] = "application/json" }
   local me, list, create, login
   if flavor == "signet" then
      local upload = table.concat({
         "--" .. BOUNDARY,
         'Content-Disposition: form-data; name="file"; filename="note.txt"',
         "Content-Type: text/plain", "", "a small note from the mixed benchmark",
         "--" .. BOUNDARY .. "--", ""}, "\r\n")
      me = wrk.format("GET", "/api/v1/auth/me", auth)
      list = wrk.format("GET", "/api/v1/files?limit=20", auth)
      create = wrk.format("POST", "/api/v1/files", {
         Authorization = auth.Authorization,
         ["Content-Type"] = "multipart/form-data; boundary=" .. BOUNDARY}, upload)
      login = wrk.format("POST", "/api/v1/auth/login", json, login_body)
      -- Refresh tokens are single use (rotation with reuse detection): each is sent once.
      pool, pooled = {}, 0
      for line in io.lines(pool_dir .. "/refresh-" .. id .. ".txt") do
         pooled = pooled + 1
         pool[pooled] = line
      end
   else
      local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }
      me = wrk.format("GET", "/api/v1/users/me", auth)
      list = wrk.format("GET", "/api/v1/items/?limit=20", auth)
      create = wrk.format("POST", "/api/v1/items/", {
         Authorization = auth.Authorization, ["Content-Type"] = "application/json"},
         '{"title":"a small item","description":"from the mixed benchmark"}')
      login = wrk.format("POST", "/api/v1/login/access-token", form, login_body)
   end
   kinds = { me, list, create, flavor == "signet" and "refresh" or login, login }
   counts, exhausted = { 0, 0, 0, 0, 0 }, 0
end

local function refresh()
   if pooled == 0 then
      exhausted = exhausted + 1  -- sent without a token: a 401, counted as an error
      return wrk.format("POST", "/api/v1/auth/refresh")
   end
   local token = pool[pooled]
   pool[pooled] = nil
   pooled = pooled - 1
   return wrk.format("POST", "/api/v1/auth/refresh", { Authorization = "Bearer " .. token })
end

function request()
   -- Without sign-ins, the other four keep their proportions (70:20:5:4 of 99).
   local r = share > 0 and math.random() or math.random() * 0.99
   local kind
   if r < 0.70 then kind = 1
   elseif r < 0.90 then kind = 2
   elseif r < 0.95 then kind = 3
   elseif r < 0.99 then kind = 4
   else kind = 5 end
   counts[kind] = counts[kind] + 1
   local chosen = kinds[kind]
   if chosen == "refresh" then return refresh() end
   return chosen
end

function done(summary, latency, requests)
   for _, thread in ipairs(threads) do
      local c = thread:get("counts")
      io.write(string.format("mix %d %d %d %d %d %d %d\n", thread:get("id"), c[1], c[2], c[3],
                             c[4], c[5], thread:get("exhausted")))
   end
end
