-- whisk benchmark workload for lua.wasm (read from stdin: "lua -").
-- Recursion, string operations, a sort and table updates; prints one checksum line per part.
-- No errors and no coroutines: lua.wasm is built with LUAI_THROW = abort() (see build_suite.sh).
local N = tonumber(os.getenv("BENCH_N") or "") or 1

local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print("fib", fib(20 + N))

local parts, h = {}, 0
for i = 1, 20000 * N do
  local s = string.format("%d:%x", i, i * 7)
  parts[#parts + 1] = s:upper():rep(2)
  if i % 1000 == 0 then
    local joined = table.concat(parts, ",")
    h = (h * 31 + #joined + select(2, joined:gsub("A", "a"))) % 1000000007
    parts = {}
  end
end
print("strings", h)

local seed, t = 42, {}
for i = 1, 30000 * N do
  seed = (seed * 1103515245 + 12345) % 2147483648
  t[i] = seed
end
table.sort(t)
local ok = true
for i = 2, #t do if t[i - 1] > t[i] then ok = false end end
print("sort", ok, t[1], t[#t // 2], t[#t])

local counts = {}
for i = 1, 100000 * N do
  local k = "k" .. (i * 13 % 997)
  counts[k] = (counts[k] or 0) + i % 7
end
local total, keys = 0, 0
for _, v in pairs(counts) do total = total + v; keys = keys + 1 end
print("tables", keys, total)
