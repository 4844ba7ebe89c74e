//! Carts in Redis: one hash per cart, changed only by Lua scripts that read, check and write
//! inside Redis, so concurrent changes from several terminals are applied one after the other and
//! none is lost (no client-side read-modify-write).
//!
//! Key `pos:cart:{<cart id>}` is a hash with the fields `merchant`, `cashier`, `version`,
//! `create_ms`, `update_ms` (Unix milliseconds, UTC) and `lines` (`<product id>:<quantity>`
//! joined by `,`, in the order the products were first added). Every change increments `version`
//! and resets the key's TTL to [`CART_TTL`]. After a checkout, `pos:cart-checkout:{<cart id>}`
//! remembers it for [`CHECKOUT_MEMORY`] so retries return the same order; both keys share the
//! hash slot of `{<cart id>}`.

use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use uuid::Uuid;

use pos_platform::redis_pool::RedisPool;

use crate::error::OrderError;

/// How long a cart lives after its last change.
pub(crate) const CART_TTL: Duration = Duration::from_secs(2 * 3600);
/// How long a checked-out cart's checkout is remembered for retries.
pub(crate) const CHECKOUT_MEMORY: Duration = Duration::from_secs(72 * 3600);
/// How long a checkout holds its cart against other checkouts.
const CHECKOUT_LOCK: Duration = Duration::from_secs(60);
/// Most lines in a cart.
pub(crate) const MAX_LINES: usize = 200;
/// Most units in one line.
pub(crate) const MAX_QUANTITY: i64 = 9999;
/// How long one Redis round trip may take before the call fails as UNAVAILABLE.
const REDIS_TIMEOUT: Duration = Duration::from_secs(3);

/// A cart as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredCart {
    /// Cart id.
    pub(crate) id: Uuid,
    /// Merchant that sells.
    pub(crate) merchant_id: Uuid,
    /// Cashier who opened the cart.
    pub(crate) cashier_id: Uuid,
    /// Incremented by every change, starting at 1.
    pub(crate) version: i64,
    /// When the cart was opened.
    pub(crate) create_time: DateTime<Utc>,
    /// When the cart last changed.
    pub(crate) update_time: DateTime<Utc>,
    /// Product and quantity of each line, in the order they were first added.
    pub(crate) lines: Vec<(Uuid, i64)>,
}

impl StoredCart {
    /// When the cart disappears unless it changes again.
    pub(crate) fn expire_time(&self) -> DateTime<Utc> {
        self.update_time + chrono::Duration::from_std(CART_TTL).unwrap_or_default()
    }
}

/// A checkout remembered after its cart was deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Checkout {
    /// The checkout's `request_id`.
    pub(crate) request_id: Uuid,
    /// The cart's merchant.
    pub(crate) merchant_id: Uuid,
    /// The cart's cashier.
    pub(crate) cashier_id: Uuid,
    /// The lines checked out.
    pub(crate) lines: Vec<(Uuid, i64)>,
}

/// What a change to a cart may be refused for, found inside Redis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No such cart (never opened, expired, deleted, or of another merchant).
    NotFound,
    /// `expected_version` differs from the cart's version (given).
    VersionMismatch(i64),
    /// The cart has [`MAX_LINES`] lines already.
    Full,
    /// The cart has no line for the product.
    LineNotFound,
    /// The line's new quantity (given) exceeds what is available.
    Short(i64),
    /// The line's new quantity (given) exceeds [`MAX_QUANTITY`].
    TooMany(i64),
    /// A cart with this id exists for another merchant or cashier, or was checked out.
    Exists,
    /// Another checkout of the cart is running.
    CheckoutRunning,
}

/// Shared Lua: decoding and encoding the `lines` field, the reply of a cart, and its write-back.
const PRELUDE: &str = r"
local function parse(text)
  local lines = {}
  for product, quantity in string.gmatch(text or '', '([^:,]+):(%d+)') do
    lines[#lines + 1] = {product, tonumber(quantity)}
  end
  return lines
end
local function encode(lines)
  local parts = {}
  for i, line in ipairs(lines) do parts[i] = line[1] .. ':' .. string.format('%d', line[2]) end
  return table.concat(parts, ',')
end
local function reply(key)
  local f = redis.call('HMGET', key, 'merchant', 'cashier', 'version', 'create_ms', 'update_ms', 'lines')
  return {'OK', f[1], f[2], f[3], f[4], f[5], f[6] or ''}
end
local function load_cart(key, merchant, expected)
  if redis.call('EXISTS', key) == 0 then return nil, {'NOT_FOUND'} end
  local f = redis.call('HMGET', key, 'merchant', 'version', 'lines')
  if merchant ~= '' and f[1] ~= merchant then return nil, {'NOT_FOUND'} end
  local version = tonumber(f[2])
  if expected ~= '' and tonumber(expected) ~= version then
    return nil, {'VERSION', string.format('%d', version)}
  end
  return {version = version, lines = parse(f[3])}, nil
end
local function store(key, cart, now, ttl)
  redis.call('HSET', key, 'version', string.format('%d', cart.version + 1), 'update_ms', now,
    'lines', encode(cart.lines))
  redis.call('EXPIRE', key, ttl)
end
local function find(lines, product)
  for i, line in ipairs(lines) do
    if line[1] == product then return i end
  end
  return nil
end
";

/// `KEYS[1]` cart, `KEYS[2]` checkout memory; `ARGV` merchant, cashier, now (ms), TTL (s).
const CREATE: &str = r"
if redis.call('EXISTS', KEYS[2]) == 1 then return {'EXISTS'} end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local f = redis.call('HMGET', KEYS[1], 'merchant', 'cashier')
  if f[1] ~= ARGV[1] or f[2] ~= ARGV[2] then return {'EXISTS'} end
  return reply(KEYS[1])
end
redis.call('HSET', KEYS[1], 'merchant', ARGV[1], 'cashier', ARGV[2], 'version', '1',
  'create_ms', ARGV[3], 'update_ms', ARGV[3], 'lines', '')
redis.call('EXPIRE', KEYS[1], ARGV[4])
return reply(KEYS[1])
";

/// `KEYS[1]` cart; `ARGV` merchant, expected version (or ''), product, units to add, units
/// available, now (ms), TTL (s), max lines, max units per line.
const ADD: &str = r"
local cart, refusal = load_cart(KEYS[1], ARGV[1], ARGV[2])
if refusal then return refusal end
local index = find(cart.lines, ARGV[3])
local quantity = tonumber(ARGV[4])
if index then
  quantity = cart.lines[index][2] + quantity
elseif #cart.lines >= tonumber(ARGV[8]) then
  return {'FULL'}
end
if quantity > tonumber(ARGV[9]) then return {'TOO_MANY', string.format('%d', quantity)} end
if quantity > tonumber(ARGV[5]) then return {'SHORT', string.format('%d', quantity)} end
if index then
  cart.lines[index][2] = quantity
else
  cart.lines[#cart.lines + 1] = {ARGV[3], quantity}
end
store(KEYS[1], cart, ARGV[6], ARGV[7])
return reply(KEYS[1])
";

/// `KEYS[1]` cart; `ARGV` merchant, expected version (or ''), product, new units, units
/// available, now (ms), TTL (s). Raising a line above what is available is refused; lowering
/// one is always allowed (so a cashier can fix a line the stock no longer covers).
const SET: &str = r"
local cart, refusal = load_cart(KEYS[1], ARGV[1], ARGV[2])
if refusal then return refusal end
local index = find(cart.lines, ARGV[3])
if not index then return {'LINE_NOT_FOUND'} end
local quantity = tonumber(ARGV[4])
if quantity > cart.lines[index][2] and quantity > tonumber(ARGV[5]) then
  return {'SHORT', string.format('%d', quantity)}
end
cart.lines[index][2] = quantity
store(KEYS[1], cart, ARGV[6], ARGV[7])
return reply(KEYS[1])
";

/// `KEYS[1]` cart; `ARGV` merchant, expected version (or ''), product, now (ms), TTL (s). A line
/// that is not there leaves the cart unchanged.
const REMOVE: &str = r"
local cart, refusal = load_cart(KEYS[1], ARGV[1], ARGV[2])
if refusal then return refusal end
local index = find(cart.lines, ARGV[3])
if not index then return reply(KEYS[1]) end
table.remove(cart.lines, index)
store(KEYS[1], cart, ARGV[4], ARGV[5])
return reply(KEYS[1])
";

/// `KEYS[1]` cart; `ARGV` merchant, expected version (or '').
const DELETE: &str = r"
local cart, refusal = load_cart(KEYS[1], ARGV[1], ARGV[2])
if refusal then return refusal end
redis.call('DEL', KEYS[1])
return {'OK'}
";

/// `KEYS[1]` cart, `KEYS[2]` checkout lock; `ARGV` request id, lock TTL (ms). Takes the lock
/// unless another request holds it.
const LOCK: &str = r"
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {'RUNNING'} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return {'OK'}
";

/// `KEYS[1]` cart, `KEYS[2]` checkout lock, `KEYS[3]` checkout memory; `ARGV` request id,
/// version checked out (or '' when the checkout failed), memory value, memory TTL (s). Remembers a
/// successful checkout, deletes the cart when it is still the version checked out, and releases
/// the lock when this request holds it.
const FINISH: &str = r"
if ARGV[2] ~= '' then
  redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4])
  if redis.call('HGET', KEYS[1], 'version') == ARGV[2] then redis.call('DEL', KEYS[1]) end
end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return {'OK'}
";

/// The cart store.
#[derive(Clone, Debug)]
pub(crate) struct CartStore {
    redis: RedisPool,
}

fn cart_key(id: Uuid) -> String {
    format!("pos:cart:{{{id}}}")
}

fn memory_key(id: Uuid) -> String {
    format!("pos:cart-checkout:{{{id}}}")
}

fn lock_key(id: Uuid) -> String {
    format!("pos:cart-checkout-lock:{{{id}}}")
}

fn now_ms() -> String {
    Utc::now().timestamp_millis().to_string()
}

fn ttl_seconds() -> String {
    CART_TTL.as_secs().to_string()
}

fn guard(merchant_id: Option<Uuid>) -> String {
    merchant_id.map(|id| id.to_string()).unwrap_or_default()
}

fn expected(version: Option<i64>) -> String {
    version.map(|version| version.to_string()).unwrap_or_default()
}

impl CartStore {
    /// The store over `redis`.
    pub(crate) fn new(redis: RedisPool) -> Self {
        CartStore { redis }
    }

    /// Runs `script` (after [`PRELUDE`]) on `keys` with `args`.
    async fn run(&self, script: &str, keys: &[String], args: &[String]) -> Result<Vec<String>, OrderError> {
        let source = format!("{PRELUDE}\n{script}");
        let attempt = async {
            let mut connection = self
                .redis
                .get()
                .await
                .map_err(|error| OrderError::CartStoreUnavailable(error.to_string()))?;
            let script = redis::Script::new(&source);
            let mut invocation = script.prepare_invoke();
            for key in keys {
                invocation.key(key);
            }
            for arg in args {
                invocation.arg(arg);
            }
            invocation
                .invoke_async::<Vec<String>>(&mut *connection)
                .await
                .map_err(|error| OrderError::CartStoreUnavailable(error.to_string()))
        };
        tokio::time::timeout(REDIS_TIMEOUT, attempt)
            .await
            .map_err(|_| OrderError::CartStoreUnavailable("Redis did not answer in time".to_owned()))?
    }

    /// Opens cart `id` for `merchant_id` and `cashier_id`, or returns the same existing one.
    pub(crate) async fn create(
        &self,
        id: Uuid,
        merchant_id: Uuid,
        cashier_id: Uuid,
    ) -> Result<Result<StoredCart, Refusal>, OrderError> {
        let reply = self
            .run(
                CREATE,
                &[cart_key(id), memory_key(id)],
                &[
                    merchant_id.to_string(),
                    cashier_id.to_string(),
                    now_ms(),
                    ttl_seconds(),
                ],
            )
            .await?;
        decode(id, &reply)
    }

    /// Cart `id`, or `None` when there is none.
    pub(crate) async fn get(&self, id: Uuid) -> Result<Option<StoredCart>, OrderError> {
        const READ: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NOT_FOUND'} end
return reply(KEYS[1])
";
        let reply = self.run(READ, &[cart_key(id)], &[]).await?;
        match decode(id, &reply)? {
            Ok(cart) => Ok(Some(cart)),
            Err(_) => Ok(None),
        }
    }

    /// Adds `quantity` units of `product_id` to cart `id` of `merchant_id`, refusing a line above
    /// `available` units.
    pub(crate) async fn add(
        &self,
        id: Uuid,
        merchant_id: Uuid,
        expected_version: Option<i64>,
        product_id: Uuid,
        quantity: i64,
        available: i64,
    ) -> Result<Result<StoredCart, Refusal>, OrderError> {
        let reply = self
            .run(
                ADD,
                &[cart_key(id)],
                &[
                    guard(Some(merchant_id)),
                    expected(expected_version),
                    product_id.to_string(),
                    quantity.to_string(),
                    available.to_string(),
                    now_ms(),
                    ttl_seconds(),
                    MAX_LINES.to_string(),
                    MAX_QUANTITY.to_string(),
                ],
            )
            .await?;
        decode(id, &reply)
    }

    /// Sets the line of `product_id` in cart `id` of `merchant_id` to `quantity` units, refusing
    /// to raise it above `available` units.
    pub(crate) async fn set(
        &self,
        id: Uuid,
        merchant_id: Uuid,
        expected_version: Option<i64>,
        product_id: Uuid,
        quantity: i64,
        available: i64,
    ) -> Result<Result<StoredCart, Refusal>, OrderError> {
        let reply = self
            .run(
                SET,
                &[cart_key(id)],
                &[
                    guard(Some(merchant_id)),
                    expected(expected_version),
                    product_id.to_string(),
                    quantity.to_string(),
                    available.to_string(),
                    now_ms(),
                    ttl_seconds(),
                ],
            )
            .await?;
        decode(id, &reply)
    }

    /// Removes the line of `product_id` from cart `id` of `merchant_id`, if it is there.
    pub(crate) async fn remove(
        &self,
        id: Uuid,
        merchant_id: Uuid,
        expected_version: Option<i64>,
        product_id: Uuid,
    ) -> Result<Result<StoredCart, Refusal>, OrderError> {
        let reply = self
            .run(
                REMOVE,
                &[cart_key(id)],
                &[
                    guard(Some(merchant_id)),
                    expected(expected_version),
                    product_id.to_string(),
                    now_ms(),
                    ttl_seconds(),
                ],
            )
            .await?;
        decode(id, &reply)
    }

    /// Deletes cart `id` of `merchant_id`.
    pub(crate) async fn delete(
        &self,
        id: Uuid,
        merchant_id: Uuid,
        expected_version: Option<i64>,
    ) -> Result<Result<(), Refusal>, OrderError> {
        let reply = self
            .run(
                DELETE,
                &[cart_key(id)],
                &[guard(Some(merchant_id)), expected(expected_version)],
            )
            .await?;
        Ok(refusal(&reply).map_or(Ok(()), Err))
    }

    /// Holds cart `id` for the checkout `request_id`, unless another checkout holds it.
    pub(crate) async fn lock_checkout(
        &self,
        id: Uuid,
        request_id: Uuid,
    ) -> Result<Result<(), Refusal>, OrderError> {
        let lock_ms = u64::try_from(CHECKOUT_LOCK.as_millis()).unwrap_or(u64::MAX);
        let reply = self
            .run(
                LOCK,
                &[cart_key(id), lock_key(id)],
                &[request_id.to_string(), lock_ms.to_string()],
            )
            .await?;
        Ok(refusal(&reply).map_or(Ok(()), Err))
    }

    /// Ends the checkout `request_id` of cart `id`: when it succeeded (`checked_out`), remembers
    /// it and deletes the cart if it is still the version checked out; releases the lock.
    pub(crate) async fn finish_checkout(
        &self,
        id: Uuid,
        request_id: Uuid,
        checked_out: Option<&StoredCart>,
    ) -> Result<(), OrderError> {
        let (version, memory) = match checked_out {
            Some(cart) => (
                cart.version.to_string(),
                format!(
                    "{request_id}|{}|{}|{}",
                    cart.merchant_id,
                    cart.cashier_id,
                    encode_lines(&cart.lines)
                ),
            ),
            None => (String::new(), String::new()),
        };
        self.run(
            FINISH,
            &[cart_key(id), lock_key(id), memory_key(id)],
            &[
                request_id.to_string(),
                version,
                memory,
                CHECKOUT_MEMORY.as_secs().to_string(),
            ],
        )
        .await?;
        Ok(())
    }

    /// The checkout remembered for cart `id`, if any.
    pub(crate) async fn checkout_of(&self, id: Uuid) -> Result<Option<Checkout>, OrderError> {
        const READ: &str = r"
local value = redis.call('GET', KEYS[1])
if not value then return {'NOT_FOUND'} end
return {'OK', value}
";
        let reply = self.run(READ, &[memory_key(id)], &[]).await?;
        match reply.as_slice() {
            [status, value] if status == "OK" => parse_checkout(value).map(Some),
            _ => Ok(None),
        }
    }
}

fn encode_lines(lines: &[(Uuid, i64)]) -> String {
    lines
        .iter()
        .map(|(product, quantity)| format!("{product}:{quantity}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn corrupt(what: &str) -> OrderError {
    OrderError::Internal(anyhow::anyhow!("a cart in Redis is corrupt: {what}"))
}

fn parse_uuid(text: &str) -> Result<Uuid, OrderError> {
    Uuid::parse_str(text).map_err(|_| corrupt("an id is not a UUID"))
}

fn parse_lines(text: &str) -> Result<Vec<(Uuid, i64)>, OrderError> {
    text.split(',')
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (product, quantity) = line.split_once(':').ok_or_else(|| corrupt("a line"))?;
            let quantity = quantity.parse::<i64>().map_err(|_| corrupt("a quantity"))?;
            Ok((parse_uuid(product)?, quantity))
        })
        .collect()
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, OrderError> {
    let millis = text.parse::<i64>().map_err(|_| corrupt("a time"))?;
    Utc.timestamp_millis_opt(millis)
        .single()
        .ok_or_else(|| corrupt("a time out of range"))
}

fn parse_checkout(value: &str) -> Result<Checkout, OrderError> {
    let mut parts = value.splitn(4, '|');
    let mut next = || parts.next().ok_or_else(|| corrupt("a checkout memory"));
    Ok(Checkout {
        request_id: parse_uuid(next()?)?,
        merchant_id: parse_uuid(next()?)?,
        cashier_id: parse_uuid(next()?)?,
        lines: parse_lines(next()?)?,
    })
}

/// The refusal a script answered, or `None` for `OK`.
fn refusal(reply: &[String]) -> Option<Refusal> {
    let number = || {
        reply
            .get(1)
            .and_then(|text| text.parse::<i64>().ok())
            .unwrap_or_default()
    };
    match reply.first().map(String::as_str) {
        Some("OK") => None,
        Some("VERSION") => Some(Refusal::VersionMismatch(number())),
        Some("FULL") => Some(Refusal::Full),
        Some("LINE_NOT_FOUND") => Some(Refusal::LineNotFound),
        Some("SHORT") => Some(Refusal::Short(number())),
        Some("TOO_MANY") => Some(Refusal::TooMany(number())),
        Some("EXISTS") => Some(Refusal::Exists),
        Some("RUNNING") => Some(Refusal::CheckoutRunning),
        _ => Some(Refusal::NotFound),
    }
}

/// The cart or the refusal a script answered.
fn decode(id: Uuid, reply: &[String]) -> Result<Result<StoredCart, Refusal>, OrderError> {
    if let Some(refused) = refusal(reply) {
        return Ok(Err(refused));
    }
    let [_, merchant, cashier, version, create_ms, update_ms, lines] = reply else {
        return Err(corrupt("a reply has the wrong shape"));
    };
    Ok(Ok(StoredCart {
        id,
        merchant_id: parse_uuid(merchant)?,
        cashier_id: parse_uuid(cashier)?,
        version: version.parse().map_err(|_| corrupt("a version"))?,
        create_time: parse_time(create_ms)?,
        update_time: parse_time(update_ms)?,
        lines: parse_lines(lines)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_survive_encoding_in_order() {
        let lines = vec![(Uuid::now_v7(), 3), (Uuid::now_v7(), 1), (Uuid::now_v7(), 9999)];
        assert_eq!(parse_lines(&encode_lines(&lines)).unwrap(), lines);
        assert!(parse_lines("").unwrap().is_empty());
    }

    #[test]
    fn a_checkout_memory_survives_encoding() {
        let checkout = Checkout {
            request_id: Uuid::now_v7(),
            merchant_id: Uuid::now_v7(),
            cashier_id: Uuid::now_v7(),
            lines: vec![(Uuid::now_v7(), 2)],
        };
        let value = format!(
            "{}|{}|{}|{}",
            checkout.request_id,
            checkout.merchant_id,
            checkout.cashier_id,
            encode_lines(&checkout.lines)
        );
        assert_eq!(parse_checkout(&value).unwrap(), checkout);
    }

    #[test]
    fn script_refusals_are_named() {
        assert_eq!(refusal(&["OK".to_owned()]), None);
        assert_eq!(
            refusal(&["VERSION".to_owned(), "7".to_owned()]),
            Some(Refusal::VersionMismatch(7))
        );
        assert_eq!(refusal(&["FULL".to_owned()]), Some(Refusal::Full));
        assert_eq!(refusal(&["NOT_FOUND".to_owned()]), Some(Refusal::NotFound));
    }
}
