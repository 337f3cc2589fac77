/*
 * redis_scripts.h - the Lua scripts of the Redis queue adapter; included by
 * src/queue/redis.c only. Each state change of a job is one script (atomic on
 * the server). The key layout and the rules the scripts keep are in
 * src/queue/REDIS.md.
 *
 * Conventions of every script:
 * - ARGV[1] is the queue's prefix "{q:<name>}"; every key the script touches is
 *   that prefix plus a suffix, so all of them hash to the prefix's slot
 *   (KEYS[1], a key of the same tag, routes the call in a Cluster).
 * - Time is the server's (TIME, epoch ms): every worker of a queue agrees on
 *   it whatever its own clock says. Redis 7 replicates a script's effects, not
 *   the script, so reading TIME before writing is allowed and replicas and the
 *   AOF see the same values.
 * - Numbers bound for commands go through n2s() ("%.0f"): Lua's own conversion
 *   keeps 14 digits, too few for the wait set's scores.
 */
#ifndef ERP_QUEUE_REDIS_SCRIPTS_H
#define ERP_QUEUE_REDIS_SCRIPTS_H

/* Shared by every script: the clock, key names, the wait set's order, retention. */
#define LUA_PRELUDE                                                                                  \
    "local P = ARGV[1]\n"                                                                            \
    "local function n2s(x) return string.format('%.0f', x) end\n"                                    \
    "local function now_ms()\n"                                                                      \
    "  local t = redis.call('TIME')\n"                                                               \
    "  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"                           \
    "end\n"                                                                                          \
    "local function jkey(id) return P .. ':job:' .. id end\n"                                        \
    /* Puts a job at the back of its priority's band: score -priority, member "<sequence>:<id>"         \
     * (16 zero-padded digits, so members of a band sort in arrival order); prio nil: the job's.        \
     * More fields of the job's hash may follow (one HSET). Returns the sequence number. */             \
    "local function wait_add(id, now, prio, ...)\n"                                                     \
    "  local jk = jkey(id)\n"                                                                           \
    "  prio = prio or tonumber(redis.call('HGET', jk, 'priority') or '0')\n"                            \
    "  local seq = redis.call('INCR', P .. ':seq')\n"                                                   \
    "  local m = string.format('%016.0f', seq) .. ':' .. id\n"                                          \
    "  redis.call('ZADD', P .. ':wait', n2s(-prio), m)\n"                                               \
    "  redis.call('HSET', jk, 'state', 'waiting', 'since', n2s(now), 'wm', m, ...)\n"                   \
    /* wakes one worker blocked in queue_wait; at most 128 wake-ups kept, cut to 64 at once */          \
    "  if redis.call('LPUSH', P .. ':wake', '1') > 128 then redis.call('LTRIM', P .. ':wake', 0, 63) end\n" \
    "  return seq\n"                                                                                    \
    "end\n"                                                                                             \
    "local function member_id(m) return string.sub(m, 18) end\n"                                     \
    /* Moves up to max due delayed jobs to the wait set; how many. */                                \
    "local function promote(now, max)\n"                                                             \
    "  local ids = redis.call('ZRANGEBYSCORE', P .. ':delayed', '-inf', n2s(now), 'LIMIT', 0, max)\n" \
    "  for _, id in ipairs(ids) do\n"                                                                \
    "    redis.call('ZREM', P .. ':delayed', id)\n"                                                  \
    "    if redis.call('EXISTS', jkey(id)) == 1 then wait_add(id, now) end\n"                        \
    "  end\n"                                                                                        \
    "  return #ids\n"                                                                                \
    "end\n"                                                                                          \
    /* Removes finished jobs of a set: their hashes (one DEL) and their school-index entries (one       \
     * ZREM per school). */                                                                             \
    "local function drop(set, ids)\n"                                                                   \
    "  if #ids == 0 then return 0 end\n"                                                                \
    "  local keys, by_school = {}, {}\n"                                                                \
    "  for i, id in ipairs(ids) do\n"                                                                   \
    "    keys[i] = jkey(id)\n"                                                                          \
    "    local t = redis.call('HGET', keys[i], 'tenant')\n"                                             \
    "    if t then\n"                                                                                   \
    "      local l = by_school[t] or {}\n"                                                              \
    "      l[#l + 1] = id\n"                                                                            \
    "      by_school[t] = l\n"                                                                          \
    "    end\n"                                                                                         \
    "  end\n"                                                                                           \
    "  for t, l in pairs(by_school) do redis.call('ZREM', P .. ':t:' .. t, unpack(l)) end\n"            \
    "  redis.call('DEL', unpack(keys))\n"                                                               \
    "  redis.call('ZREM', P .. ':' .. set, unpack(ids))\n"                                              \
    "  return #ids\n"                                                                                   \
    "end\n"                                                                                             \
    /* Retention of a finished set (scored by finish time): older than keep_ms, then beyond keep_n,     \
     * at most budget jobs per call. A negative keep means no limit of that kind. Batched (added > 0:   \
     * the calls that just finished `added` jobs), the rules run when the set's size reached or passed  \
     * a multiple of 32 or is above keep_n + keep_n / 32 (at most 63), and then trim back to keep_n at  \
     * once: one ZCARD per call in between instead of six commands per job. */                          \
    "local function trim(set, now, keep_ms, keep_n, budget, added)\n"                                   \
    "  local key = P .. ':' .. set\n"                                                                   \
    "  local n, size = 0, nil\n"                                                                        \
    "  if added and added > 0 then\n"                                                                   \
    "    size = redis.call('ZCARD', key)\n"                                                             \
    "    local slack = keep_n >= 0 and math.min(63, math.floor(keep_n / 32)) or 0\n"                    \
    "    local crossed = math.floor(size / 32) ~= math.floor((size - added) / 32)\n"                    \
    "    if not crossed and (keep_n < 0 or size <= keep_n + slack) then return 0 end\n"                 \
    "  end\n"                                                                                           \
    "  if keep_ms >= 0 then\n"                                                                          \
    "    n = drop(set, redis.call('ZRANGEBYSCORE', key, '-inf', '(' .. n2s(now - keep_ms), 'LIMIT', 0, budget))\n" \
    "  end\n"                                                                                           \
    "  if keep_n >= 0 and n < budget then\n"                                                            \
    "    if n > 0 or not size then size = redis.call('ZCARD', key) end\n"                               \
    "    if size > keep_n then\n"                                                                       \
    "      n = n + drop(set, redis.call('ZRANGE', key, 0, math.min(size - keep_n, budget - n) - 1))\n"  \
    "    end\n"                                                                                         \
    "  end\n"                                                                                           \
    "  return n\n"                                                                                      \
    "end\n"                                                                                             \
    /* Whether token still holds job id's lock. */                                                   \
    "local function owns(id, token)\n"                                                               \
    "  local f = redis.call('HMGET', jkey(id), 'state', 'token')\n"                                  \
    "  return f[1] == 'active' and f[2] == token\n"                                                  \
    "end\n"                                                                                          \
    /* Moves a job to a finished set (completed, failed, cancelled), setting more fields if given. \
     * Its last token may stay: every lock check asks for the active state first. */                \
    "local function finish(id, set, now, ...)\n"                                                     \
    "  redis.call('HSET', jkey(id), 'state', set, 'finishedAt', n2s(now), ...)\n"                    \
    "  redis.call('ZADD', P .. ':' .. set, n2s(now), id)\n"                                          \
    "end\n"

/* Jobs trimmed per complete/fail/cancel, in batches (a budget above the largest batch, 64, so the
 * sets converge). */
#define LUA_TRIM_STEP "128, 1"

/* ARGV: P id tenant owner type payload delay_ms priority attempts backoff_ms → {existed, tenant} */
static const char LUA_ENQUEUE[] = LUA_PRELUDE
    "local id = ARGV[2]\n"
    "local jk = jkey(id)\n"
    "local t = redis.call('HGET', jk, 'tenant')\n"
    "if t then return {1, t} end\n"
    "local now = now_ms()\n"
    "local delay = tonumber(ARGV[7])\n"
    "local fields = {'tenant', ARGV[3], 'owner', ARGV[4], 'type', ARGV[5], 'payload', ARGV[6],\n"
    "  'progress', 0, 'priority', ARGV[8], 'attempts', ARGV[9], 'attemptsMade', 0,\n"
    "  'stalls', 0, 'backoff', ARGV[10], 'createdAt', n2s(now)}\n"
    "local seq\n"
    "if delay > 0 then\n"
    "  redis.call('HSET', jk, 'state', 'delayed', unpack(fields))\n"
    "  redis.call('ZADD', P .. ':delayed', n2s(now + delay), id)\n"
    "  seq = redis.call('INCR', P .. ':seq')\n"
    "else\n"
    "  seq = wait_add(id, now, tonumber(ARGV[8]), unpack(fields))\n"
    "end\n"
    /* the school's index: creation time, then order of enqueue within a millisecond */
    "redis.call('ZADD', P .. ':t:' .. ARGV[3], n2s(now * 1000 + seq % 1000), id)\n"
    "return {0, ARGV[3]}\n";

/*
 * fetch(now, a): a = index in ARGV of lock_ms, limiter_max, limiter_window_ms, spread, want, then want
 * tokens. Takes up to want waiting jobs (fewer when the limiter's window has less room, and at most
 * the waiting jobs / spread, so that `spread` fetchers share a short queue; at least one), each
 * locked with its own token, in the order of the tokens.
 * → {1, n, then n × (id, tenant, owner, type, payload, attemptsMade, attempts)},
 * {0, wait_ms} (nothing due; -1: nothing scheduled) or {2, wait_ms} (the limiter's window is full).
 */
#define LUA_FN_FETCH                                                                                     \
    "local function fetch(now, a)\n"                                                                     \
    "  local lock, lmax, lwin = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), ARGV[a + 2]\n"                 \
    "  local spread, want = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])\n"                              \
    "  local lk, wk = P .. ':limiter', P .. ':wait'\n"                                                   \
    "  promote(now, 100)\n"                                                                              \
    "  if lmax > 0 then\n"                                                                               \
    "    local used = tonumber(redis.call('GET', lk) or '0')\n"                                          \
    "    if used >= lmax then\n"                                                                         \
    "      local ttl = redis.call('PTTL', lk)\n"                                                         \
    "      if ttl < 0 then redis.call('PEXPIRE', lk, lwin); ttl = tonumber(lwin) end\n"                  \
    "      return {2, ttl}\n"                                                                            \
    "    end\n"                                                                                          \
    "    want = math.min(want, lmax - used)\n"                                                           \
    "  end\n"                                                                                            \
    "  if want > 1 then\n"                                                                               \
    "    want = math.max(1, math.min(want, math.floor(redis.call('ZCARD', wk) / spread)))\n"             \
    "  end\n"                                                                                            \
    "  local out, act, got, started = {1, 0}, {}, 0, n2s(now)\n"                                         \
    "  for _ = 1, 16 do\n"                                                                               \
    "    local top = redis.call('ZPOPMIN', wk, want - got)\n"                                            \
    "    if #top == 0 then break end\n"                                                                  \
    "    for i = 1, #top, 2 do\n"                                                                        \
    "      local id = member_id(top[i])\n"                                                               \
    "      local jk = jkey(id)\n"                                                                        \
    "      local f = redis.call('HMGET', jk, 'tenant', 'owner', 'type', 'payload', 'attemptsMade', 'attempts')\n" \
    "      if f[1] then\n" /* else a job removed behind the queue's back: skipped */                     \
    "        got = got + 1\n"                                                                            \
    "        redis.call('HSET', jk, 'state', 'active', 'token', ARGV[a + 4 + got], 'startedAt', started)\n" \
    "        act[#act + 1] = n2s(now + lock)\n"                                                          \
    "        act[#act + 1] = id\n"                                                                       \
    "        local o = #out\n"                                                                           \
    "        out[o + 1], out[o + 2], out[o + 3], out[o + 4] = id, f[1], f[2] or '', f[3] or ''\n"        \
    "        out[o + 5], out[o + 6], out[o + 7] = f[4] or '{}', tonumber(f[5] or '0'), tonumber(f[6] or '1')\n" \
    "      end\n"                                                                                        \
    "    end\n"                                                                                          \
    "    if got >= want then break end\n"                                                                \
    "  end\n"                                                                                            \
    "  if got > 0 then\n"                                                                                \
    "    if lmax > 0 and redis.call('INCRBY', lk, got) == got then redis.call('PEXPIRE', lk, lwin) end\n" \
    "    redis.call('ZADD', P .. ':active', unpack(act))\n"                                              \
    "    out[2] = got\n"                                                                                 \
    "    return out\n"                                                                                   \
    "  end\n"                                                                                            \
    "  redis.call('DEL', P .. ':wake')\n" /* stale wake-ups: the caller waits next, and nothing is due */ \
    "  local nxt = redis.call('ZRANGE', P .. ':delayed', 0, 0, 'WITHSCORES')\n"                          \
    "  if #nxt > 0 then return {0, math.max(1, tonumber(nxt[2]) - now)} end\n"                           \
    "  return {0, -1}\n"                                                                                 \
    "end\n"

/*
 * complete(now, a): a = index in ARGV of id, token, has_result, result, keep_ms, keep_n → 0, or -2
 * (the lock is lost: nothing changes).
 */
#define LUA_FN_COMPLETE                                                                                  \
    "local function complete(now, a)\n"                                                                  \
    "  local id = ARGV[a]\n"                                                                             \
    "  local f = redis.call('HMGET', jkey(id), 'state', 'token', 'attemptsMade')\n"                     \
    "  if f[1] ~= 'active' or f[2] ~= ARGV[a + 1] then return -2 end\n"                                 \
    "  redis.call('ZREM', P .. ':active', id)\n"                                                        \
    "  local made = n2s(tonumber(f[3] or '0') + 1)\n" /* the attempt that succeeded counts */           \
    "  if ARGV[a + 2] == '1' then\n"                                                                    \
    "    finish(id, 'completed', now, 'progress', 100, 'attemptsMade', made, 'result', ARGV[a + 3])\n"  \
    "  else\n"                                                                                          \
    "    finish(id, 'completed', now, 'progress', 100, 'attemptsMade', made)\n"                         \
    "  end\n"                                                                                            \
    "  trim('completed', now, tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]), " LUA_TRIM_STEP ")\n"        \
    "  return 0\n"                                                                                       \
    "end\n"

/*
 * complete_many(now, a): a = index in ARGV of keep_ms, keep_n, n, then n × (id, token, has_result,
 * result) → a table of n codes: 0, or -2 (that job's lock is lost: it is left as it is). The jobs
 * leave the active set and enter the completed set with one command each, and retention looks at the
 * completed set once for all of them.
 */
#define LUA_FN_COMPLETE_MANY                                                                             \
    "local function complete_many(now, a)\n"                                                             \
    "  local n, fin = tonumber(ARGV[a + 2]), n2s(now)\n"                                                 \
    "  local rcs, ids, zc = {}, {}, {}\n"                                                                \
    "  for i = 1, n do\n"                                                                                \
    "    local b = a + 3 + (i - 1) * 4\n"                                                                \
    "    local id = ARGV[b]\n"                                                                           \
    "    local jk = jkey(id)\n"                                                                          \
    "    local f = redis.call('HMGET', jk, 'state', 'token', 'attemptsMade')\n"                          \
    "    if f[1] ~= 'active' or f[2] ~= ARGV[b + 1] then\n"                                              \
    "      rcs[i] = -2\n"                                                                                \
    "    else\n"                                                                                         \
    "      rcs[i] = 0\n"                                                                                 \
    "      local made = n2s(tonumber(f[3] or '0') + 1)\n" /* the attempt that succeeded counts */        \
    "      if ARGV[b + 2] == '1' then\n"                                                                 \
    "        redis.call('HSET', jk, 'state', 'completed', 'finishedAt', fin, 'progress', 100, 'attemptsMade', made,\n" \
    "          'result', ARGV[b + 3])\n"                                                                 \
    "      else\n"                                                                                       \
    "        redis.call('HSET', jk, 'state', 'completed', 'finishedAt', fin, 'progress', 100, 'attemptsMade', made)\n" \
    "      end\n"                                                                                        \
    "      ids[#ids + 1] = id\n"                                                                         \
    "      zc[#zc + 1] = fin\n"                                                                          \
    "      zc[#zc + 1] = id\n"                                                                           \
    "    end\n"                                                                                          \
    "  end\n"                                                                                            \
    "  if #ids > 0 then\n"                                                                               \
    "    redis.call('ZREM', P .. ':active', unpack(ids))\n"                                              \
    "    redis.call('ZADD', P .. ':completed', unpack(zc))\n"                                            \
    "    trim('completed', now, tonumber(ARGV[a]), tonumber(ARGV[a + 1]), 128, #ids)\n"                  \
    "  end\n"                                                                                            \
    "  return rcs\n"                                                                                     \
    "end\n"

/* ARGV: P lock_ms limiter_max limiter_window_ms spread want token… → as fetch() */
static const char LUA_FETCH[] = LUA_PRELUDE LUA_FN_FETCH "return fetch(now_ms(), 2)\n";

/* ARGV: P id token has_result result keep_ms keep_n → 0 or -2 */
static const char LUA_COMPLETE[] = LUA_PRELUDE LUA_FN_COMPLETE "return complete(now_ms(), 2)\n";

/*
 * Completes a job and fetches the next in one call (the worker's loop: one round trip a job).
 * ARGV: P id token has_result result keep_ms keep_n lock_ms limiter_max limiter_window_ms spread want
 * token… → {-2} (the lock is lost: nothing changes, nothing fetched), else as fetch().
 */
static const char LUA_COMPLETE_FETCH[] = LUA_PRELUDE LUA_FN_COMPLETE LUA_FN_FETCH
    "local now = now_ms()\n"
    "if complete(now, 2) ~= 0 then return {-2} end\n"
    "return fetch(now, 8)\n";

/*
 * The worker's call after its fetched jobs ran: completes n jobs, then fetches up to want more, in one
 * call. ARGV: P keep_ms keep_n n, n × (id token has_result result), then fetch()'s arguments (want 0:
 * no fetch) → {codes of complete_many, the fetch's reply ({0, 0} when want is 0)}.
 */
static const char LUA_FINISH_FETCH[] = LUA_PRELUDE LUA_FN_COMPLETE_MANY LUA_FN_FETCH
    "local now = now_ms()\n"
    "local rcs = complete_many(now, 2)\n"
    "local a = 5 + 4 * tonumber(ARGV[4])\n"
    "if tonumber(ARGV[a + 4]) < 1 then return {rcs, {0, 0}} end\n"
    "return {rcs, fetch(now, a)}\n";

/*
 * Gives back jobs fetched but not started: each whose lock the token still holds leaves the active
 * set and takes its place in the wait set again (its member "wm", kept since it was waiting: the same
 * place among its band), without its token or start time; no attempt counted, and the limiter's
 * window keeps them counted (it never lets more start than its maximum). One wake-up per job.
 * ARGV: P n, n × (id token) → jobs given back.
 */
static const char LUA_RELEASE[] = LUA_PRELUDE
    "local n, back = tonumber(ARGV[2]), 0\n"
    "for i = 1, n do\n"
    "  local id, token = ARGV[1 + 2 * i], ARGV[2 + 2 * i]\n"
    "  local jk = jkey(id)\n"
    "  local f = redis.call('HMGET', jk, 'state', 'token', 'priority', 'wm')\n"
    "  if f[1] == 'active' and f[2] == token and f[4] then\n"
    "    redis.call('ZREM', P .. ':active', id)\n"
    "    redis.call('ZADD', P .. ':wait', n2s(-tonumber(f[3] or '0')), f[4])\n"
    "    redis.call('HSET', jk, 'state', 'waiting')\n"
    "    redis.call('HDEL', jk, 'token', 'startedAt')\n"
    "    if redis.call('LPUSH', P .. ':wake', '1') > 128 then redis.call('LTRIM', P .. ':wake', 0, 63) end\n"
    "    back = back + 1\n"
    "  end\n"
    "end\n"
    "return back\n";

/* ARGV: P id token lock_ms → 0 or -2 (lock lost) */
static const char LUA_RENEW[] = LUA_PRELUDE
    "if not owns(ARGV[2], ARGV[3]) then return -2 end\n"
    "redis.call('ZADD', P .. ':active', 'XX', n2s(now_ms() + tonumber(ARGV[4])), ARGV[2])\n"
    "return 0\n";

/* ARGV: P id token pct → 0 or -2 */
static const char LUA_PROGRESS[] = LUA_PRELUDE
    "if not owns(ARGV[2], ARGV[3]) then return -2 end\n"
    "redis.call('HSET', jkey(ARGV[2]), 'progress', ARGV[4])\n"
    "return 0\n";

/* ARGV: P id token reason delay_ms (-1: no retry) keep_ms keep_n → 0 or -2 */
static const char LUA_FAIL[] = LUA_PRELUDE
    "local id = ARGV[2]\n"
    "if not owns(id, ARGV[3]) then return -2 end\n"
    "local now, delay = now_ms(), tonumber(ARGV[5])\n"
    "local jk = jkey(id)\n"
    "redis.call('ZREM', P .. ':active', id)\n"
    "redis.call('HINCRBY', jk, 'attemptsMade', 1)\n"
    "if delay >= 0 then\n"
    "  redis.call('HSET', jk, 'state', 'delayed', 'error', ARGV[4], 'progress', 0)\n"
    "  redis.call('ZADD', P .. ':delayed', n2s(now + delay), id)\n"
    "else\n"
    "  finish(id, 'failed', now, 'error', ARGV[4])\n"
    "  trim('failed', now, tonumber(ARGV[6]), tonumber(ARGV[7]), " LUA_TRIM_STEP ")\n"
    "end\n"
    "return 0\n";

/* ARGV: P id tenant keep_ms keep_n → 0, -3 (not this school's), -4 (finished) */
static const char LUA_CANCEL[] = LUA_PRELUDE
    "local id = ARGV[2]\n"
    "local f = redis.call('HMGET', jkey(id), 'tenant', 'state')\n"
    "if f[1] ~= ARGV[3] then return -3 end\n"
    "local now = now_ms()\n"
    "if f[2] == 'waiting' then\n"
    "  local wm = redis.call('HGET', jkey(id), 'wm')\n"
    "  if wm then redis.call('ZREM', P .. ':wait', wm) end\n"
    "  redis.call('HDEL', jkey(id), 'wm')\n"
    "elseif f[2] == 'delayed' or f[2] == 'active' then\n"
    "  redis.call('ZREM', P .. ':' .. f[2], id)\n"
    "else\n"
    "  return -4\n"
    "end\n"
    "finish(id, 'cancelled', now)\n"
    "trim('cancelled', now, tonumber(ARGV[4]), tonumber(ARGV[5]), " LUA_TRIM_STEP ")\n"
    "return 0\n";

/*
 * ARGV: P interval_ms max_stalled keep_ms keep_n reason → jobs moved, or -1 when another
 * worker swept within the interval. Requeues active jobs whose lock expired,
 * counting the stall; past max_stalled, fails them.
 */
static const char LUA_STALLED[] = LUA_PRELUDE
    "if not redis.call('SET', P .. ':stalled-check', '1', 'PX', ARGV[2], 'NX') then return -1 end\n"
    "local now, max = now_ms(), tonumber(ARGV[3])\n"
    "local ids = redis.call('ZRANGEBYSCORE', P .. ':active', '-inf', '(' .. n2s(now), 'LIMIT', 0, 1000)\n"
    "for _, id in ipairs(ids) do\n"
    "  redis.call('ZREM', P .. ':active', id)\n"
    "  local jk = jkey(id)\n"
    "  if redis.call('EXISTS', jk) == 1 then\n"
    "    if redis.call('HINCRBY', jk, 'stalls', 1) > max then\n"
    "      finish(id, 'failed', now, 'error', ARGV[6])\n"
    "    else\n"
    "      wait_add(id, now)\n"
    "    end\n"
    "  end\n"
    "end\n"
    "trim('failed', now, tonumber(ARGV[4]), tonumber(ARGV[5]), " LUA_TRIM_STEP ")\n"
    "return #ids\n";

/* ARGV: P → jobs promoted (at most 1000 per call) */
static const char LUA_PROMOTE[] = LUA_PRELUDE "return promote(now_ms(), 1000)\n";

/* ARGV: P keep_completed_ms keep_completed keep_failed_ms keep_failed → jobs removed (at most 1000 per set) */
static const char LUA_TRIM[] = LUA_PRELUDE
    "local now = now_ms()\n"
    "local c_ms, c_n, f_ms, f_n = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])\n"
    "return trim('completed', now, c_ms, c_n, 1000, 0) + trim('failed', now, f_ms, f_n, 1000, 0)\n"
    "  + trim('cancelled', now, c_ms, c_n, 1000, 0)\n";

/*
 * ARGV: P tenant owner ('' for any) limit key id → a flat array of LIST_STRIDE fields per job
 * (id, its index score, then the fields of JOB_FIELDS), newest first: at most limit jobs of the
 * school's index that come after the cursor (key, id) in the order (score, id) descending (id ''
 * for no cursor). Members of equal score come in reverse byte order (ZREVRANGEBYSCORE); ids are
 * compared byte by byte (Lua's < follows the server's locale). Walks the index, which retention bounds.
 */
#define LUA_JOB_FIELDS                                                                                    \
    "'tenant', 'owner', 'type', 'state', 'progress', 'attempts', 'attemptsMade', 'createdAt', 'startedAt', " \
    "'finishedAt', 'result', 'error'"
static const char LUA_LIST[] = LUA_PRELUDE
    "local key, owner, limit = P .. ':t:' .. ARGV[2], ARGV[3], tonumber(ARGV[4])\n"
    "local ckey, cid = tonumber(ARGV[5]), ARGV[6]\n"
    "local function bytes_before(a, b)\n"
    "  for i = 1, math.min(#a, #b) do\n"
    "    local x, y = string.byte(a, i), string.byte(b, i)\n"
    "    if x ~= y then return x < y end\n"
    "  end\n"
    "  return #a < #b\n"
    "end\n"
    "local max = cid == '' and '+inf' or n2s(ckey)\n"
    "local out, found, pos = {}, 0, 0\n"
    "while found < limit do\n"
    "  local ids = redis.call('ZREVRANGEBYSCORE', key, max, '-inf', 'WITHSCORES', 'LIMIT', pos, 100)\n"
    "  if #ids == 0 then break end\n"
    "  pos = pos + #ids / 2\n"
    "  for i = 1, #ids, 2 do\n"
    "    local id, score = ids[i], tonumber(ids[i + 1])\n"
    "    if cid == '' or score < ckey or bytes_before(id, cid) then\n"
    "      local f = redis.call('HMGET', jkey(id), " LUA_JOB_FIELDS ")\n"
    "      if f[1] == ARGV[2] and (owner == '' or f[2] == owner) and found < limit then\n"
    "        found = found + 1\n"
    "        out[#out + 1] = id\n"
    "        out[#out + 1] = n2s(score)\n"
    "        for k = 1, 12 do out[#out + 1] = f[k] or '' end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return out\n";

/*
 * ARGV: P → {waiting, delayed, active, completed, failed, cancelled, oldest_wait_ms}.
 * The oldest waiting job is the head of one of the wait set's priority bands
 * (each band is FIFO): the heads of at most 64 bands are looked at.
 */
static const char LUA_COUNTS[] = LUA_PRELUDE
    "local out = {}\n"
    "for i, s in ipairs({'wait', 'delayed', 'active', 'completed', 'failed', 'cancelled'}) do\n"
    "  out[i] = redis.call('ZCARD', P .. ':' .. s)\n"
    "end\n"
    "local now = now_ms()\n"
    "local oldest = now\n"
    "local head = redis.call('ZRANGE', P .. ':wait', 0, 0, 'WITHSCORES')\n"
    "for _ = 1, 64 do\n"
    "  if #head == 0 then break end\n"
    "  local since = tonumber(redis.call('HGET', jkey(member_id(head[1])), 'since') or now)\n"
    "  if since < oldest then oldest = since end\n"
    "  head = redis.call('ZRANGEBYSCORE', P .. ':wait', '(' .. head[2], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)\n"
    "end\n"
    "out[7] = now - oldest\n"
    "return out\n";

#endif
