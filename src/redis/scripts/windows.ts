/**
 * Lua: the UTC calendar windows of `src/store/windows.ts`, computed from the server's time.
 * `window_bounds(kind, now)` returns the window id (`'total'`, or `kind:start` with start in epoch ms,
 * exactly as `windowBounds()` names it) and the window's exclusive end in epoch ms (nil for `'total'`).
 * Months use Howard Hinnant's days-from-civil algorithm (integer arithmetic, no time zones).
 */
export const WINDOWS_LUA = `
local HOUR_MS, DAY_MS = 3600000, 86400000
local function civil_from_days(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m
end
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = m > 2 and m - 3 or m + 9
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end
local function window_bounds(kind, now)
  if kind == 'total' then return 'total', nil end
  local start, finish
  if kind == 'hour' then
    start = math.floor(now / HOUR_MS) * HOUR_MS
    finish = start + HOUR_MS
  elseif kind == 'day' then
    start = math.floor(now / DAY_MS) * DAY_MS
    finish = start + DAY_MS
  elseif kind == 'week' then
    -- 1970-01-01 was a Thursday: the weekday counted from Monday is (days + 3) mod 7.
    local days = math.floor(now / DAY_MS)
    start = (days - (days + 3) % 7) * DAY_MS
    finish = start + 7 * DAY_MS
  elseif kind == 'month' then
    local y, m = civil_from_days(math.floor(now / DAY_MS))
    start = days_from_civil(y, m, 1) * DAY_MS
    if m == 12 then finish = days_from_civil(y + 1, 1, 1) * DAY_MS
    else finish = days_from_civil(y, m + 1, 1) * DAY_MS end
  else
    error('agent-warden: unknown budget window ' .. tostring(kind))
  end
  return kind .. ':' .. string.format('%.0f', start), finish
end
`;
