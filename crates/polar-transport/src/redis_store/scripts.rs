//! The Lua scripts the store runs in Redis: each is one atomic step on Redis's own clock.

/// Removes the entries of callers who gave up during their round trip (`ARGV[5..]`), checks the
/// cooldown, drops the entries that no longer count, and takes a slot (entry `ARGV[4]`) if one
/// is free. Returns `{1, 0}` when granted, `{0, ms}` to wait `ms`, `{0, -1}` when every slot is
/// in flight (wait for one to end).
pub(super) const ACQUIRE: &str = r#"
for i = 5, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local cooldown = redis.call('PTTL', KEYS[2])
if cooldown > 0 then
  return {0, cooldown}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < rate then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window + lease)
  return {1, 0}
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
if oldest > now then
  return {0, -1}
end
return {0, oldest + window - now}
"#;

/// Stamps an in-flight entry with the time its request ended: `ARGV[2]` ms before now (the
/// time the stamp took to get here, measured by the process; a duration, so no clock skew).
pub(super) const FINISH: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now - tonumber(ARGV[2]), ARGV[1])
return 1
"#;

/// Starts (or lengthens) the shared cooldown.
pub(super) const COOL_DOWN: &str = r#"
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"#;
