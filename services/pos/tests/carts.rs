//! Carts through the real server (every module in one process, the access layer in front, real
//! PostgreSQL and Redis): opening a cart, adding lines by product id and by barcode, changing and
//! removing them, totals priced now, the TTL every change extends, no lost update under
//! concurrent changes, `expected_version`, the 200-line limit, who may touch a cart, and checkout
//! into an OPEN order (idempotent by `request_id`, the cart kept when it fails).

#[path = "support/platform.rs"]
mod platform;

use platform::{CashierSession, MerchantOwner, TestPlatform, bearer};
use pos_api::pos::order::v1::add_cart_line_request::Product as ProductRef;
use pos_api::pos::order::v1::cart_service_client::CartServiceClient;
use pos_api::pos::order::v1::{
    AddCartLineRequest, Cart, CheckoutCartRequest, CreateCartRequest, DeleteCartRequest, GetCartRequest,
    OrderState, RemoveCartLineRequest, UpdateCartLineRequest,
};
use pos_api::pos::product::v1::product_service_client::ProductServiceClient;
use pos_api::pos::product::v1::{AdjustStockRequest, Product, StockMovementReason};
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;
use uuid::Uuid;

/// The TTL of a cart after a change, in seconds (2 hours).
const CART_TTL_SECONDS: i64 = 2 * 3600;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// How many platforms of this file run at once: each holds PostgreSQL connections for every
/// module, and other test files share the server.
static PLATFORMS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A platform, an ACTIVE merchant with its owner, and one of its cashiers, signed in.
struct Fixture {
    _turn: tokio::sync::SemaphorePermit<'static>,
    platform: TestPlatform,
    owner: MerchantOwner,
    cashier: CashierSession,
}

impl Fixture {
    async fn start() -> Self {
        let turn = PLATFORMS.acquire().await.expect("the semaphore is never closed");
        let platform = TestPlatform::start().await;
        let owner = platform.active_merchant().await;
        let cashier = platform.cashier(&owner).await;
        Fixture {
            _turn: turn,
            platform,
            owner,
            cashier,
        }
    }

    async fn carts(&self) -> CartServiceClient<Channel> {
        CartServiceClient::new(self.platform.channel().await)
    }

    /// `message` as the fixture's cashier.
    fn as_cashier<T>(&self, message: T) -> tonic::Request<T> {
        bearer(&self.cashier.session.access_token, message)
    }

    /// A product of the fixture's merchant priced `price` IDR with `stock` units.
    async fn product(&self, price: i64, stock: i64) -> Product {
        self.platform.product(&self.owner, price, stock).await
    }

    /// A new cart opened by the fixture's cashier.
    async fn open_cart(&self) -> Cart {
        self.carts()
            .await
            .create_cart(self.as_cashier(CreateCartRequest {
                cart: Some(Cart {
                    merchant_id: self.cashier.merchant_id.clone(),
                    cashier_id: self.cashier.cashier_id.clone(),
                    ..Cart::default()
                }),
                cart_id: String::new(),
            }))
            .await
            .unwrap_or_else(|status| panic!("CreateCart: {status:?}"))
            .into_inner()
            .cart
            .expect("the opened cart")
    }

    /// AddCartLine of `quantity` units of product `product_id` as the cashier.
    async fn add(&self, cart_id: &str, product_id: &str, quantity: i64) -> Result<Cart, Status> {
        self.carts()
            .await
            .add_cart_line(self.as_cashier(add_by_id(cart_id, product_id, quantity, None)))
            .await
            .map(|response| response.into_inner().cart.expect("the changed cart"))
    }

    async fn get(&self, cart_id: &str) -> Result<Cart, Status> {
        self.carts()
            .await
            .get_cart(self.as_cashier(GetCartRequest {
                cart_id: cart_id.to_owned(),
            }))
            .await
            .map(|response| response.into_inner().cart.expect("the cart"))
    }

    async fn checkout(
        &self,
        cart_id: &str,
        request_id: &str,
    ) -> Result<pos_api::pos::order::v1::Order, Status> {
        self.carts()
            .await
            .checkout_cart(self.as_cashier(CheckoutCartRequest {
                cart_id: cart_id.to_owned(),
                request_id: request_id.to_owned(),
                expected_version: None,
            }))
            .await
            .map(|response| response.into_inner().order.expect("the order"))
    }
}

fn add_by_id(
    cart_id: &str,
    product_id: &str,
    quantity: i64,
    expected_version: Option<i64>,
) -> AddCartLineRequest {
    AddCartLineRequest {
        cart_id: cart_id.to_owned(),
        product: Some(ProductRef::ProductId(product_id.to_owned())),
        quantity,
        expected_version,
    }
}

/// The `ErrorInfo.reason` of an error.
fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

/// One `ErrorInfo` metadata value of an error.
fn metadata(status: &Status, key: &str) -> String {
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get(key).cloned())
        .unwrap_or_default()
}

fn assert_refused<T: std::fmt::Debug>(
    result: Result<T, Status>,
    code: Code,
    expected_reason: &str,
) -> Status {
    let status = result.expect_err("the call is refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(reason(&status), expected_reason, "{status:?}");
    status
}

fn amount(money: Option<&pos_api::pos::common::v1::Money>) -> i64 {
    money.map(|money| money.amount_minor).expect("an amount")
}

/// Seconds until cart `cart_id` expires in Redis.
async fn ttl_of(cart_id: &str) -> i64 {
    let client = redis::Client::open(pos_platform::testkit::redis_url()).expect("a Redis URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis accepts connections");
    redis::cmd("TTL")
        .arg(format!("pos:cart:{{{cart_id}}}"))
        .query_async(&mut connection)
        .await
        .expect("TTL")
}

/// Shortens the TTL of cart `cart_id` in Redis, as if time had passed.
async fn age(cart_id: &str, seconds_left: i64) {
    let client = redis::Client::open(pos_platform::testkit::redis_url()).expect("a Redis URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis accepts connections");
    let _: i64 = redis::cmd("EXPIRE")
        .arg(format!("pos:cart:{{{cart_id}}}"))
        .arg(seconds_left)
        .query_async(&mut connection)
        .await
        .expect("EXPIRE");
}

// ---------------------------------------------------------------------------------------------
// Opening and filling a cart
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_cashier_opens_an_empty_cart_for_its_merchant() {
    let fixture = Fixture::start().await;
    let cart = fixture.open_cart().await;
    assert!(Uuid::parse_str(&cart.id).is_ok(), "{cart:?}");
    assert_eq!(cart.merchant_id, fixture.cashier.merchant_id);
    assert_eq!(cart.cashier_id, fixture.cashier.cashier_id);
    assert_eq!(cart.version, 1);
    assert!(cart.lines.is_empty());
    assert_eq!(cart.currency_code, "IDR");
    assert_eq!(amount(cart.total.as_ref()), 0);
    let expire = cart.expire_time.expect("an expire time").seconds;
    let update = cart.update_time.expect("an update time").seconds;
    assert_eq!(expire - update, CART_TTL_SECONDS);
    assert_eq!(fixture.get(&cart.id).await.expect("GetCart"), cart);
    fixture.platform.stop().await;
}

#[tokio::test]
async fn opening_a_cart_id_again_returns_it_and_another_cashier_cannot_take_it() {
    let fixture = Fixture::start().await;
    let cart_id = Uuid::now_v7().to_string();
    let open = |cashier: &CashierSession| {
        bearer(
            &cashier.session.access_token,
            CreateCartRequest {
                cart: Some(Cart {
                    merchant_id: cashier.merchant_id.clone(),
                    cashier_id: cashier.cashier_id.clone(),
                    ..Cart::default()
                }),
                cart_id: cart_id.clone(),
            },
        )
    };
    let first = fixture
        .carts()
        .await
        .create_cart(open(&fixture.cashier))
        .await
        .expect("CreateCart");
    let first = first.into_inner().cart.expect("a cart");
    assert_eq!(first.id, cart_id);
    let product = fixture.product(1_000, 5).await;
    fixture.add(&cart_id, &product.id, 1).await.expect("AddCartLine");
    let again = fixture
        .carts()
        .await
        .create_cart(open(&fixture.cashier))
        .await
        .expect("CreateCart again");
    let again = again.into_inner().cart.expect("a cart");
    assert_eq!(again.version, 2, "the existing cart, unchanged");
    assert_eq!(again.lines.len(), 1);

    let colleague = fixture.platform.cashier(&fixture.owner).await;
    assert_refused(
        fixture.carts().await.create_cart(open(&colleague)).await,
        Code::AlreadyExists,
        "CART_EXISTS",
    );
    fixture.platform.stop().await;
}

#[tokio::test]
async fn lines_are_added_by_id_and_by_barcode_and_priced_now() {
    let fixture = Fixture::start().await;
    let coffee = fixture.product(15_000, 10).await;
    let tea = fixture.product(4_500, 10).await;
    let cart = fixture.open_cart().await;

    let cart_after_coffee = fixture
        .add(&cart.id, &coffee.id, 2)
        .await
        .expect("AddCartLine by id");
    assert_eq!(cart_after_coffee.version, 2);
    let scanned = fixture
        .carts()
        .await
        .add_cart_line(fixture.as_cashier(AddCartLineRequest {
            cart_id: cart.id.clone(),
            product: Some(ProductRef::Barcode(format!(" {} ", tea.barcode))),
            quantity: 0,
            expected_version: None,
        }))
        .await
        .expect("AddCartLine by barcode")
        .into_inner()
        .cart
        .expect("a cart");
    // Scanning the coffee again adds to its line instead of a new one.
    fixture
        .add(&cart.id, &coffee.id, 1)
        .await
        .expect("AddCartLine again");
    assert_eq!(scanned.lines.len(), 2);
    assert_eq!(scanned.lines[1].quantity, 1, "0 means 1");

    let cart = fixture.get(&cart.id).await.expect("GetCart");
    assert_eq!(cart.version, 4);
    let lines: Vec<_> = cart
        .lines
        .iter()
        .map(|line| {
            (
                line.product_id.as_str(),
                line.quantity,
                amount(line.line_total.as_ref()),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![(coffee.id.as_str(), 3, 45_000), (tea.id.as_str(), 1, 4_500)],
        "one line per product, in the order first added"
    );
    assert_eq!(cart.lines[0].product_name, coffee.name);
    assert_eq!(cart.lines[0].barcode, coffee.barcode);
    assert_eq!(amount(cart.lines[0].unit_price.as_ref()), 15_000);
    assert_eq!(cart.lines[0].available_quantity, 10);
    assert_eq!(amount(cart.subtotal.as_ref()), 49_500);
    assert_eq!(amount(cart.tax.as_ref()), 0);
    assert_eq!(amount(cart.total.as_ref()), 49_500);
    fixture.platform.stop().await;
}

#[tokio::test]
async fn lines_are_changed_and_removed_and_a_missing_line_is_not_an_error_to_remove() {
    let fixture = Fixture::start().await;
    let coffee = fixture.product(15_000, 10).await;
    let tea = fixture.product(4_500, 10).await;
    let cart = fixture.open_cart().await;
    fixture.add(&cart.id, &coffee.id, 1).await.expect("add coffee");
    fixture.add(&cart.id, &tea.id, 1).await.expect("add tea");

    let changed = fixture
        .carts()
        .await
        .update_cart_line(fixture.as_cashier(UpdateCartLineRequest {
            cart_id: cart.id.clone(),
            product_id: coffee.id.clone(),
            quantity: 4,
            expected_version: None,
        }))
        .await
        .expect("UpdateCartLine")
        .into_inner()
        .cart
        .expect("a cart");
    assert_eq!(changed.lines[0].quantity, 4);
    assert_eq!(amount(changed.total.as_ref()), 4 * 15_000 + 4_500);

    let removed = fixture
        .carts()
        .await
        .remove_cart_line(fixture.as_cashier(RemoveCartLineRequest {
            cart_id: cart.id.clone(),
            product_id: coffee.id.clone(),
            expected_version: None,
        }))
        .await
        .expect("RemoveCartLine")
        .into_inner()
        .cart
        .expect("a cart");
    assert_eq!(removed.lines.len(), 1);
    assert_eq!(removed.lines[0].product_id, tea.id);
    assert_eq!(amount(removed.total.as_ref()), 4_500);
    assert_eq!(removed.version, 5);

    let again = fixture
        .carts()
        .await
        .remove_cart_line(fixture.as_cashier(RemoveCartLineRequest {
            cart_id: cart.id.clone(),
            product_id: coffee.id.clone(),
            expected_version: None,
        }))
        .await
        .expect("RemoveCartLine of a missing line")
        .into_inner()
        .cart
        .expect("a cart");
    assert_eq!(again.version, 5, "nothing changed");

    assert_refused(
        fixture
            .carts()
            .await
            .update_cart_line(fixture.as_cashier(UpdateCartLineRequest {
                cart_id: cart.id.clone(),
                product_id: coffee.id.clone(),
                quantity: 2,
                expected_version: None,
            }))
            .await,
        Code::NotFound,
        "CART_LINE_NOT_FOUND",
    );
    fixture.platform.stop().await;
}

#[tokio::test]
async fn a_deleted_cart_is_gone() {
    let fixture = Fixture::start().await;
    let cart = fixture.open_cart().await;
    fixture
        .carts()
        .await
        .delete_cart(fixture.as_cashier(DeleteCartRequest {
            cart_id: cart.id.clone(),
            expected_version: None,
        }))
        .await
        .expect("DeleteCart");
    assert_refused(fixture.get(&cart.id).await, Code::NotFound, "CART_NOT_FOUND");
    assert_refused(
        fixture.get(&Uuid::now_v7().to_string()).await,
        Code::NotFound,
        "CART_NOT_FOUND",
    );
    fixture.platform.stop().await;
}

#[tokio::test]
async fn a_cart_expires_two_hours_after_its_last_change() {
    let fixture = Fixture::start().await;
    let product = fixture.product(1_000, 10).await;
    let cart = fixture.open_cart().await;
    let ttl = ttl_of(&cart.id).await;
    assert!(
        (CART_TTL_SECONDS - 5..=CART_TTL_SECONDS).contains(&ttl),
        "TTL {ttl}"
    );

    age(&cart.id, 60).await;
    fixture.get(&cart.id).await.expect("GetCart");
    assert!(ttl_of(&cart.id).await <= 60, "reading does not extend the cart");
    fixture.add(&cart.id, &product.id, 1).await.expect("AddCartLine");
    let ttl = ttl_of(&cart.id).await;
    assert!(
        (CART_TTL_SECONDS - 5..=CART_TTL_SECONDS).contains(&ttl),
        "a change extends it: TTL {ttl}"
    );
    fixture.platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Concurrency and limits
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn concurrent_additions_to_one_cart_are_all_kept() {
    let fixture = Fixture::start().await;
    let product = fixture.product(1_000, 100).await;
    let cart = fixture.open_cart().await;
    let mut additions = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let mut carts = fixture.carts().await;
        let request = fixture.as_cashier(add_by_id(&cart.id, &product.id, 1, None));
        additions.spawn(async move { carts.add_cart_line(request).await });
    }
    while let Some(result) = additions.join_next().await {
        result.expect("the task ends").expect("AddCartLine");
    }
    let cart = fixture.get(&cart.id).await.expect("GetCart");
    assert_eq!(cart.lines.len(), 1);
    assert_eq!(cart.lines[0].quantity, 20);
    assert_eq!(cart.version, 21);
    fixture.platform.stop().await;
}

#[tokio::test]
async fn a_stale_expected_version_is_aborted_and_changes_nothing() {
    let fixture = Fixture::start().await;
    let product = fixture.product(1_000, 10).await;
    let cart = fixture.open_cart().await;
    fixture.add(&cart.id, &product.id, 1).await.expect("AddCartLine");
    let status = assert_refused(
        fixture
            .carts()
            .await
            .add_cart_line(fixture.as_cashier(add_by_id(&cart.id, &product.id, 1, Some(1))))
            .await,
        Code::Aborted,
        "CART_VERSION_MISMATCH",
    );
    assert_eq!(metadata(&status, "version"), "2");
    assert_refused(
        fixture
            .carts()
            .await
            .delete_cart(fixture.as_cashier(DeleteCartRequest {
                cart_id: cart.id.clone(),
                expected_version: Some(1),
            }))
            .await,
        Code::Aborted,
        "CART_VERSION_MISMATCH",
    );
    let unchanged = fixture.get(&cart.id).await.expect("GetCart");
    assert_eq!(unchanged.version, 2);
    assert_eq!(unchanged.lines[0].quantity, 1);

    let applied = fixture
        .carts()
        .await
        .add_cart_line(fixture.as_cashier(add_by_id(&cart.id, &product.id, 1, Some(2))))
        .await
        .expect("AddCartLine at the current version");
    assert_eq!(applied.into_inner().cart.expect("a cart").version, 3);
    fixture.platform.stop().await;
}

#[tokio::test]
async fn a_line_above_the_available_stock_is_refused() {
    let fixture = Fixture::start().await;
    let product = fixture.product(1_000, 3).await;
    let cart = fixture.open_cart().await;
    fixture.add(&cart.id, &product.id, 2).await.expect("AddCartLine");
    let status = assert_refused(
        fixture.add(&cart.id, &product.id, 2).await,
        Code::FailedPrecondition,
        "INSUFFICIENT_STOCK",
    );
    assert_eq!(metadata(&status, "productId"), product.id);
    assert_eq!(metadata(&status, "availableQuantity"), "3");
    assert_eq!(metadata(&status, "requestedQuantity"), "4");
    assert_eq!(fixture.get(&cart.id).await.expect("GetCart").lines[0].quantity, 2);
    fixture.platform.stop().await;
}

#[tokio::test]
async fn a_cart_holds_at_most_200_lines() {
    let fixture = Fixture::start().await;
    let cart = fixture.open_cart().await;
    // 200 lines written straight into the cart's Redis hash (adding 200 products through the API
    // would price a growing cart 200 times); the limit is checked inside Redis before pricing.
    let lines = (0..200)
        .map(|_| format!("{}:1", Uuid::now_v7()))
        .collect::<Vec<_>>()
        .join(",");
    let client = redis::Client::open(pos_platform::testkit::redis_url()).expect("a Redis URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis accepts connections");
    let _: i64 = redis::cmd("HSET")
        .arg(format!("pos:cart:{{{}}}", cart.id))
        .arg("lines")
        .arg(lines)
        .query_async(&mut connection)
        .await
        .expect("HSET");
    let product = fixture.product(1_000, 10).await;
    assert_refused(
        fixture.add(&cart.id, &product.id, 1).await,
        Code::FailedPrecondition,
        "CART_FULL",
    );
    fixture.platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Who may touch a cart
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn another_merchants_cashier_cannot_touch_the_cart() {
    let fixture = Fixture::start().await;
    let cart = fixture.open_cart().await;
    let other_owner = fixture.platform.active_merchant().await;
    let stranger = fixture.platform.cashier(&other_owner).await;
    let theirs = fixture.platform.product(&other_owner, 1_000, 5).await;
    assert_refused(
        fixture
            .carts()
            .await
            .get_cart(bearer(
                &stranger.session.access_token,
                GetCartRequest {
                    cart_id: cart.id.clone(),
                },
            ))
            .await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    assert_refused(
        fixture
            .carts()
            .await
            .add_cart_line(bearer(
                &stranger.session.access_token,
                add_by_id(&cart.id, &theirs.id, 1, None),
            ))
            .await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    // Nor can a cashier open a cart as someone else.
    assert_refused(
        fixture
            .carts()
            .await
            .create_cart(bearer(
                &stranger.session.access_token,
                CreateCartRequest {
                    cart: Some(Cart {
                        merchant_id: fixture.cashier.merchant_id.clone(),
                        cashier_id: fixture.cashier.cashier_id.clone(),
                        ..Cart::default()
                    }),
                    cart_id: String::new(),
                },
            ))
            .await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    fixture.platform.stop().await;
}

#[tokio::test]
async fn any_cashier_of_the_merchant_may_fill_the_cart_and_its_owner_may_read_it() {
    let fixture = Fixture::start().await;
    let product = fixture.product(1_000, 10).await;
    let cart = fixture.open_cart().await;
    let colleague = fixture.platform.cashier(&fixture.owner).await;
    fixture
        .carts()
        .await
        .add_cart_line(bearer(
            &colleague.session.access_token,
            add_by_id(&cart.id, &product.id, 1, None),
        ))
        .await
        .expect("AddCartLine by a colleague");
    let read = fixture
        .carts()
        .await
        .get_cart(bearer(
            &fixture.owner.session.access_token,
            GetCartRequest {
                cart_id: cart.id.clone(),
            },
        ))
        .await
        .expect("GetCart by the owner")
        .into_inner()
        .cart
        .expect("a cart");
    assert_eq!(read.lines.len(), 1);
    assert_eq!(
        read.cashier_id, fixture.cashier.cashier_id,
        "still the opener's cart"
    );
    fixture.platform.stop().await;
}

#[tokio::test]
async fn another_merchants_product_is_not_found() {
    let fixture = Fixture::start().await;
    let cart = fixture.open_cart().await;
    let other_owner = fixture.platform.active_merchant().await;
    let theirs = fixture.platform.product(&other_owner, 1_000, 5).await;
    assert_refused(
        fixture.add(&cart.id, &theirs.id, 1).await,
        Code::NotFound,
        "PRODUCT_NOT_FOUND",
    );
    assert_refused(
        fixture
            .carts()
            .await
            .add_cart_line(fixture.as_cashier(AddCartLineRequest {
                cart_id: cart.id.clone(),
                product: Some(ProductRef::Barcode(theirs.barcode.clone())),
                quantity: 1,
                expected_version: None,
            }))
            .await,
        Code::NotFound,
        "BARCODE_NOT_FOUND",
    );
    fixture.platform.stop().await;
}

#[tokio::test]
async fn a_merchant_that_is_not_active_cannot_open_a_cart() {
    let _turn = PLATFORMS.acquire().await.expect("the semaphore is never closed");
    let platform = TestPlatform::start().await;
    let owner = platform.pending_merchant().await;
    let admin = platform.admin().await;
    let status = CartServiceClient::new(platform.channel().await)
        .create_cart(bearer(
            &admin.access_token,
            CreateCartRequest {
                cart: Some(Cart {
                    merchant_id: owner.merchant_id.clone(),
                    cashier_id: Uuid::now_v7().to_string(),
                    ..Cart::default()
                }),
                cart_id: String::new(),
            },
        ))
        .await;
    assert_refused(status, Code::FailedPrecondition, "MERCHANT_NOT_ACTIVE");
    platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Checkout
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn checkout_creates_an_open_order_and_deletes_the_cart() {
    let fixture = Fixture::start().await;
    let coffee = fixture.product(15_000, 10).await;
    let tea = fixture.product(4_500, 10).await;
    let cart = fixture.open_cart().await;
    fixture.add(&cart.id, &coffee.id, 2).await.expect("add coffee");
    fixture.add(&cart.id, &tea.id, 1).await.expect("add tea");

    let order = fixture
        .checkout(&cart.id, &Uuid::now_v7().to_string())
        .await
        .expect("CheckoutCart");
    assert_eq!(order.state, i32::from(OrderState::Open));
    assert_eq!(order.merchant_id, fixture.cashier.merchant_id);
    assert_eq!(order.cashier_id, fixture.cashier.cashier_id);
    assert_eq!(amount(order.total.as_ref()), 2 * 15_000 + 4_500);
    let mut items: Vec<_> = order
        .items
        .iter()
        .map(|item| (item.product_id.clone(), item.quantity))
        .collect();
    items.sort();
    let mut expected = vec![(coffee.id.clone(), 2), (tea.id.clone(), 1)];
    expected.sort();
    assert_eq!(items, expected);
    assert_refused(fixture.get(&cart.id).await, Code::NotFound, "CART_NOT_FOUND");

    let reserved = ProductServiceClient::new(fixture.platform.channel().await)
        .get_product(
            fixture
                .platform
                .as_service(pos_api::pos::product::v1::GetProductRequest {
                    product_id: coffee.id.clone(),
                }),
        )
        .await
        .expect("GetProduct")
        .into_inner()
        .product
        .expect("a product");
    assert_eq!(reserved.available_quantity, 8, "the order reserved the stock");
    fixture.platform.stop().await;
}

#[tokio::test]
async fn a_checkout_retry_returns_the_same_order() {
    let fixture = Fixture::start().await;
    let product = fixture.product(15_000, 10).await;
    let cart = fixture.open_cart().await;
    fixture.add(&cart.id, &product.id, 1).await.expect("AddCartLine");
    let request_id = Uuid::now_v7().to_string();
    let first = fixture
        .checkout(&cart.id, &request_id)
        .await
        .expect("CheckoutCart");
    let retry = fixture
        .checkout(&cart.id, &request_id)
        .await
        .expect("CheckoutCart retry");
    assert_eq!(retry.id, first.id);
    assert_refused(
        fixture.checkout(&cart.id, &Uuid::now_v7().to_string()).await,
        Code::NotFound,
        "CART_NOT_FOUND",
    );

    // The same key with another cart is another request.
    let other = fixture.open_cart().await;
    fixture.add(&other.id, &product.id, 1).await.expect("AddCartLine");
    assert_refused(
        fixture.checkout(&other.id, &request_id).await,
        Code::AlreadyExists,
        "IDEMPOTENCY_KEY_REUSED",
    );
    assert_eq!(
        fixture
            .get(&other.id)
            .await
            .expect("the other cart is kept")
            .version,
        2
    );
    fixture.platform.stop().await;
}

#[tokio::test]
async fn checkout_of_an_empty_cart_is_refused() {
    let fixture = Fixture::start().await;
    let cart = fixture.open_cart().await;
    assert_refused(
        fixture.checkout(&cart.id, &Uuid::now_v7().to_string()).await,
        Code::FailedPrecondition,
        "CART_EMPTY",
    );
    fixture.platform.stop().await;
}

#[tokio::test]
async fn checkout_of_a_cart_whose_product_is_short_keeps_the_cart() {
    let fixture = Fixture::start().await;
    let product = fixture.product(15_000, 5).await;
    let cart = fixture.open_cart().await;
    let cart = fixture.add(&cart.id, &product.id, 4).await.expect("AddCartLine");
    // Two units break after they were scanned.
    ProductServiceClient::new(fixture.platform.channel().await)
        .adjust_stock(bearer(
            &fixture.owner.session.access_token,
            AdjustStockRequest {
                product_id: product.id.clone(),
                delta: -2,
                reason: StockMovementReason::Damaged.into(),
                request_id: Uuid::now_v7().to_string(),
                ..AdjustStockRequest::default()
            },
        ))
        .await
        .expect("AdjustStock");
    let status = assert_refused(
        fixture.checkout(&cart.id, &Uuid::now_v7().to_string()).await,
        Code::FailedPrecondition,
        "INSUFFICIENT_STOCK",
    );
    assert_eq!(metadata(&status, "productId"), product.id);
    assert_eq!(metadata(&status, "availableQuantity"), "3");
    let kept = fixture.get(&cart.id).await.expect("the cart is kept");
    assert_eq!(kept.version, cart.version);
    assert_eq!(kept.lines[0].quantity, 4);
    assert_eq!(kept.lines[0].available_quantity, 3);
    fixture.platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Redis down
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn carts_are_unavailable_while_redis_is_down() {
    let _turn = PLATFORMS.acquire().await.expect("the semaphore is never closed");
    // Nothing listens on port 9: every Redis connection is refused.
    let platform = TestPlatform::start_with(&["--redis-url", "redis://127.0.0.1:9"]).await;
    let status = CartServiceClient::new(platform.channel().await)
        .get_cart(platform.as_service(GetCartRequest {
            cart_id: Uuid::now_v7().to_string(),
        }))
        .await;
    let status = assert_refused(status, Code::Unavailable, "DEPENDENCY_UNAVAILABLE");
    assert_eq!(metadata(&status, "dependency"), "Redis");
    platform.stop().await;
}
