//! The product catalogue through the real server (every module in one process, the access layer
//! in front): creating products (barcodes, slugs, initial stock, merchant and category checks),
//! the till's barcode look-up, listing and searching, updates read back through the cache, images,
//! who may touch which merchant's products, and the trash.

#[path = "support/platform.rs"]
mod platform;

use platform::{MerchantOwner, Session, TestPlatform, bearer};
use pos_api::pos::category::v1::category_service_client::CategoryServiceClient;
use pos_api::pos::category::v1::{Category, CreateCategoryRequest, DeleteCategoryRequest};
use pos_api::pos::common::v1::{Lifecycle, Money};
use pos_api::pos::product::v1::product_service_client::ProductServiceClient;
use pos_api::pos::product::v1::{
    CreateProductRequest, DeleteProductRequest, GetProductRequest, ListProductsRequest,
    ListStockMovementsRequest, LookupProductByBarcodeRequest, Product, PurgeProductRequest,
    PurgeTrashedProductsRequest, RestoreProductRequest, RestoreTrashedProductsRequest, StockMovementReason,
    UpdateProductRequest, UploadProductImageRequest,
};
use prost_types::FieldMask;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// At most two platforms of this file run at once: each is a whole `pos` process with its pools,
/// and the machine is shared (an overloaded PostgreSQL answers UNAVAILABLE).
static PLATFORMS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A platform with an active merchant (IDR), its owner, an admin and a category.
struct Fixture {
    _slot: tokio::sync::SemaphorePermit<'static>,
    platform: TestPlatform,
    admin: Session,
    owner: MerchantOwner,
    category_id: String,
    products: ProductServiceClient<Channel>,
}

impl Fixture {
    async fn start() -> Self {
        let slot = PLATFORMS.acquire().await.expect("the semaphore is never closed");
        let platform = TestPlatform::start().await;
        let admin = platform.admin().await;
        let owner = platform.active_merchant().await;
        let products = ProductServiceClient::new(platform.channel().await);
        let mut fixture = Fixture {
            _slot: slot,
            platform,
            admin,
            owner,
            category_id: String::new(),
            products,
        };
        fixture.category_id = fixture.category("Minuman").await;
        fixture
    }

    /// A new category, created by the admin.
    async fn category(&self, name: &str) -> String {
        CategoryServiceClient::new(self.platform.channel().await)
            .create_category(bearer(
                &self.admin.access_token,
                CreateCategoryRequest {
                    category: Some(Category {
                        name: name.to_owned(),
                        ..Category::default()
                    }),
                    request_id: String::new(),
                },
            ))
            .await
            .unwrap_or_else(|status| panic!("CreateCategory {name}: {status:?}"))
            .into_inner()
            .category
            .expect("the created category")
            .id
    }

    fn owner_token(&self) -> &str {
        &self.owner.session.access_token
    }

    /// A product of the fixture's merchant and category, as the merchant would send it.
    fn product(&self, name: &str, price: i64, barcode: &str) -> Product {
        product(&self.owner.merchant_id, &self.category_id, name, price, barcode)
    }

    /// Creates `product` as `token`.
    async fn create_as(&self, token: &str, product: Product, initial_stock: i64) -> Result<Product, Status> {
        self.products
            .clone()
            .create_product(bearer(
                token,
                CreateProductRequest {
                    product: Some(product),
                    initial_stock,
                    request_id: String::new(),
                },
            ))
            .await
            .map(|response| response.into_inner().product.expect("the created product"))
    }

    /// Creates a product of the fixture's merchant as its owner.
    async fn create(&self, name: &str, price: i64, barcode: &str) -> Product {
        self.create_as(self.owner_token(), self.product(name, price, barcode), 0)
            .await
            .unwrap_or_else(|status| panic!("CreateProduct {name}: {status:?}"))
    }

    async fn get_as(&self, token: &str, product_id: &str) -> Result<Product, Status> {
        self.products
            .clone()
            .get_product(bearer(
                token,
                GetProductRequest {
                    product_id: product_id.to_owned(),
                },
            ))
            .await
            .map(|response| response.into_inner().product.expect("the product"))
    }

    async fn list_as(&self, token: &str, request: ListProductsRequest) -> Result<Vec<Product>, Status> {
        self.products
            .clone()
            .list_products(bearer(token, request))
            .await
            .map(|response| response.into_inner().products)
    }

    /// Names of the products `request` lists for the owner, in order.
    async fn names(&self, request: ListProductsRequest) -> Vec<String> {
        self.list_as(self.owner_token(), request)
            .await
            .unwrap_or_else(|status| panic!("ListProducts: {status:?}"))
            .into_iter()
            .map(|product| product.name)
            .collect()
    }

    async fn update_as(&self, token: &str, product: Product, paths: &[&str]) -> Result<Product, Status> {
        self.products
            .clone()
            .update_product(bearer(
                token,
                UpdateProductRequest {
                    product: Some(product),
                    update_mask: Some(FieldMask {
                        paths: paths.iter().map(|path| (*path).to_owned()).collect(),
                    }),
                },
            ))
            .await
            .map(|response| response.into_inner().product.expect("the updated product"))
    }

    async fn upload_as(&self, token: &str, product_id: &str, data: Vec<u8>) -> Result<Product, Status> {
        self.products
            .clone()
            .upload_product_image(bearer(
                token,
                UploadProductImageRequest {
                    product_id: product_id.to_owned(),
                    image: Some(pos_api::google::api::HttpBody {
                        content_type: "image/png".to_owned(),
                        data,
                        extensions: Vec::new(),
                    }),
                },
            ))
            .await
            .map(|response| response.into_inner().product.expect("the product"))
    }

    async fn delete_as(&self, token: &str, product_id: &str) -> Result<Product, Status> {
        self.products
            .clone()
            .delete_product(bearer(
                token,
                DeleteProductRequest {
                    product_id: product_id.to_owned(),
                },
            ))
            .await
            .map(|response| response.into_inner().product.expect("the trashed product"))
    }

    /// A cashier of the fixture's merchant, signed in.
    async fn cashier(&self) -> Session {
        let cashier_id = uuid::Uuid::now_v7().to_string();
        self.platform
            .session_with_role(
                &format!("cashier-{}@example.com", uuid::Uuid::now_v7().simple()),
                "cashier",
                Some(&self.owner.merchant_id),
                Some(&cashier_id),
            )
            .await
    }
}

fn product(merchant_id: &str, category_id: &str, name: &str, price: i64, barcode: &str) -> Product {
    Product {
        merchant_id: merchant_id.to_owned(),
        category_id: category_id.to_owned(),
        name: name.to_owned(),
        price: Some(idr(price)),
        barcode: barcode.to_owned(),
        ..Product::default()
    }
}

fn idr(amount_minor: i64) -> Money {
    Money {
        currency_code: "IDR".to_owned(),
        amount_minor,
    }
}

/// Asserts `status` has `code` and the ErrorInfo `reason` (any domain: the access layer answers
/// PERMISSION_DENIED in its own).
#[track_caller]
fn assert_error(status: &Status, code: Code, reason: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    let info = status.get_details_error_info().expect("an ErrorInfo");
    assert_eq!(info.reason, reason, "{status:?}");
}

/// Whether the all-digit `code` ends with its GS1 check digit.
fn has_gs1_check_digit(code: &str) -> bool {
    let digits: Vec<u32> = code.chars().map(|c| c.to_digit(10).expect("a digit")).collect();
    let (check, payload) = digits.split_last().expect("digits");
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(index, digit)| digit * if index % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10 == *check
}

/// A real 1×1 PNG (signature, IHDR, IDAT with a stored zlib block, IEND, correct CRCs).
fn png_1x1() -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFF_u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend(u32::try_from(data.len()).expect("small").to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    // One scanline: filter byte 0, then one RGB pixel.
    let raw = [0_u8, 0xC0, 0x40, 0x20];
    let (mut a, mut b) = (1_u32, 0_u32);
    for byte in raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    let mut zlib = vec![0x78, 0x01, 0x01, 0x04, 0x00, 0xFB, 0xFF];
    zlib.extend(raw);
    zlib.extend(((b << 16) | a).to_be_bytes());
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    chunk(&mut png, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

// ---------------------------------------------------------------------------------------------
// Creating products
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_without_barcode_gets_an_in_store_ean13_a_slug_and_its_initial_stock() {
    let fx = Fixture::start().await;
    let created = fx
        .create_as(
            fx.owner_token(),
            fx.product("Kopi Susu Gula Aren", 18_000, ""),
            24,
        )
        .await
        .expect("CreateProduct");

    assert_eq!(created.barcode.len(), 13, "{}", created.barcode);
    assert!(
        ("20".."30").contains(&&created.barcode[..2]),
        "in-store prefix 20-29: {}",
        created.barcode
    );
    assert!(has_gs1_check_digit(&created.barcode), "{}", created.barcode);
    assert_eq!(created.slug, "kopi-susu-gula-aren");
    assert_eq!(created.merchant_id, fx.owner.merchant_id);
    assert_eq!(created.price, Some(idr(18_000)));
    assert_eq!(
        (
            created.count_in_stock,
            created.reserved_quantity,
            created.available_quantity
        ),
        (24, 0, 24)
    );
    assert!(created.delete_time.is_none());
    assert_eq!(
        fx.get_as(fx.owner_token(), &created.id)
            .await
            .expect("GetProduct"),
        created
    );

    let movements = fx
        .products
        .clone()
        .list_stock_movements(bearer(
            fx.owner_token(),
            ListStockMovementsRequest {
                product_id: created.id.clone(),
                ..ListStockMovementsRequest::default()
            },
        ))
        .await
        .expect("ListStockMovements")
        .into_inner()
        .movements;
    assert_eq!(movements.len(), 1, "{movements:?}");
    let received = &movements[0];
    assert_eq!(
        (
            received.reason(),
            received.quantity_before,
            received.delta,
            received.quantity_after
        ),
        (StockMovementReason::Received, 0, 24, 24)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_barcode_is_unique_within_a_merchant_but_not_across_merchants() {
    let fx = Fixture::start().await;
    let first = fx.create("Teh Botol", 5_000, "4006381333931").await;
    assert_eq!(first.barcode, "4006381333931");

    let duplicate = fx
        .create_as(
            fx.owner_token(),
            fx.product("Teh Kotak", 6_000, "4006381333931"),
            0,
        )
        .await
        .expect_err("a second product with the barcode");
    assert_error(&duplicate, Code::AlreadyExists, "BARCODE_TAKEN");

    let other = fx.platform.active_merchant().await;
    let elsewhere = fx
        .create_as(
            &other.session.access_token,
            product(
                &other.merchant_id,
                &fx.category_id,
                "Teh Botol",
                5_500,
                "4006381333931",
            ),
            0,
        )
        .await
        .expect("the same barcode at another merchant");
    assert_eq!(elsewhere.barcode, "4006381333931");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn barcodes_with_a_wrong_check_digit_or_bad_characters_are_refused() {
    let fx = Fixture::start().await;
    for barcode in ["4006381333932", "SKU 001"] {
        let refused = fx
            .create_as(fx.owner_token(), fx.product("Roti", 9_000, barcode), 0)
            .await
            .expect_err(barcode);
        assert_error(&refused, Code::InvalidArgument, "INVALID_ARGUMENT");
        let fields: Vec<String> = refused
            .get_details_bad_request()
            .expect("field violations")
            .field_violations
            .into_iter()
            .map(|violation| violation.field)
            .collect();
        assert_eq!(fields, ["product.barcode"], "{barcode}");
    }
    assert_eq!(fx.create("Roti", 9_000, "SKU-001").await.barcode, "SKU-001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_creates_with_the_same_name_get_distinct_slugs() {
    let fx = Fixture::start().await;
    let mut creates = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let mut client = fx.products.clone();
        let request = bearer(
            fx.owner_token(),
            CreateProductRequest {
                product: Some(fx.product("Air Mineral", 3_000, "")),
                initial_stock: 0,
                request_id: String::new(),
            },
        );
        creates.spawn(async move { client.create_product(request).await });
    }
    let mut slugs = std::collections::BTreeSet::new();
    let mut barcodes = std::collections::BTreeSet::new();
    while let Some(joined) = creates.join_next().await {
        let created = joined
            .expect("the task")
            .expect("CreateProduct")
            .into_inner()
            .product
            .expect("the product");
        assert!(created.slug.starts_with("air-mineral"), "{}", created.slug);
        slugs.insert(created.slug);
        barcodes.insert(created.barcode);
    }
    assert_eq!(slugs.len(), 20, "{slugs:?}");
    assert_eq!(barcodes.len(), 20);
    assert!(slugs.contains("air-mineral"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creation_checks_the_merchant_the_category_and_the_currency() {
    let fx = Fixture::start().await;
    let admin = fx.admin.access_token.clone();

    let unknown_merchant = product(&uuid::Uuid::now_v7().to_string(), &fx.category_id, "X", 1_000, "");
    let status = fx
        .create_as(&admin, unknown_merchant, 0)
        .await
        .expect_err("unknown merchant");
    assert_error(&status, Code::NotFound, "MERCHANT_NOT_FOUND");

    let mut unknown_category = fx.product("X", 1_000, "");
    unknown_category.category_id = uuid::Uuid::now_v7().to_string();
    let status = fx
        .create_as(&admin, unknown_category, 0)
        .await
        .expect_err("unknown category");
    assert_error(&status, Code::NotFound, "CATEGORY_NOT_FOUND");

    let trashed_category = fx.category("Lama").await;
    CategoryServiceClient::new(fx.platform.channel().await)
        .delete_category(bearer(
            &admin,
            DeleteCategoryRequest {
                category_id: trashed_category.clone(),
            },
        ))
        .await
        .expect("DeleteCategory");
    let mut in_trashed = fx.product("X", 1_000, "");
    in_trashed.category_id = trashed_category;
    let status = fx
        .create_as(&admin, in_trashed, 0)
        .await
        .expect_err("trashed category");
    assert_error(&status, Code::FailedPrecondition, "CATEGORY_TRASHED");

    let mut in_dollars = fx.product("X", 1_000, "");
    in_dollars.price = Some(Money {
        currency_code: "USD".to_owned(),
        amount_minor: 100,
    });
    let status = fx
        .create_as(&admin, in_dollars, 0)
        .await
        .expect_err("another currency");
    assert_error(&status, Code::FailedPrecondition, "CURRENCY_MISMATCH");

    let pending = fx.platform.pending_merchant().await;
    fx.create_as(
        &pending.session.access_token,
        product(&pending.merchant_id, &fx.category_id, "Persiapan", 1_000, ""),
        0,
    )
    .await
    .expect("a PENDING merchant prepares its catalogue");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_create_with_the_same_request_id_returns_the_first_product() {
    let fx = Fixture::start().await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let create = |name: &str| {
        bearer(
            fx.owner_token(),
            CreateProductRequest {
                product: Some(fx.product(name, 7_000, "")),
                initial_stock: 5,
                request_id: request_id.clone(),
            },
        )
    };
    let mut client = fx.products.clone();
    let first = client
        .create_product(create("Susu"))
        .await
        .expect("first")
        .into_inner();
    let retry = client
        .create_product(create("Susu"))
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(first, retry);
    let reused = client
        .create_product(create("Keju"))
        .await
        .expect_err("other content");
    assert_error(&reused, Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED");
    let listed = fx.names(ListProductsRequest {
        merchant_id: fx.owner.merchant_id.clone(),
        ..ListProductsRequest::default()
    });
    assert_eq!(listed.await, ["Susu"]);
}

// ---------------------------------------------------------------------------------------------
// Reading: barcode look-up, list and search
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanner_finds_the_active_product_of_the_merchant_by_barcode() {
    let fx = Fixture::start().await;
    let created = fx.create("Indomie Goreng", 3_500, "089686010947").await;
    let cashier = fx.cashier().await;
    let lookup = |token: &str, merchant_id: &str, barcode: &str| {
        let mut client = fx.products.clone();
        let request = bearer(
            token,
            LookupProductByBarcodeRequest {
                merchant_id: merchant_id.to_owned(),
                barcode: barcode.to_owned(),
            },
        );
        async move { client.lookup_product_by_barcode(request).await }
    };

    let found = lookup(&cashier.access_token, &fx.owner.merchant_id, " 089686010947 ")
        .await
        .expect("the cashier scans")
        .into_inner()
        .product
        .expect("the product");
    assert_eq!(found.id, created.id);

    let unknown = lookup(fx.owner_token(), &fx.owner.merchant_id, "4006381333931")
        .await
        .expect_err("no product carries it");
    assert_error(&unknown, Code::NotFound, "BARCODE_NOT_FOUND");

    let other = fx.platform.active_merchant().await;
    let foreign = lookup(&other.session.access_token, &fx.owner.merchant_id, "089686010947")
        .await
        .expect_err("another merchant's owner");
    assert_error(&foreign, Code::PermissionDenied, "PERMISSION_MISSING");

    fx.delete_as(fx.owner_token(), &created.id)
        .await
        .expect("DeleteProduct");
    let trashed = lookup(fx.owner_token(), &fx.owner.merchant_id, "089686010947")
        .await
        .expect_err("a trashed product is not sold");
    assert_error(&trashed, Code::NotFound, "BARCODE_NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_are_listed_by_text_category_price_and_merchant_in_the_requested_order() {
    let fx = Fixture::start().await;
    let snacks = fx.category("Makanan Ringan").await;
    fx.create("Kopi Hitam", 12_000, "").await;
    fx.create("Kopi Susu", 18_000, "").await;
    fx.create("Teh Manis", 8_000, "").await;
    let mut chips = fx.product("Keripik Kentang", 15_000, "");
    chips.category_id = snacks.clone();
    chips.brand = "Kopiko".to_owned(); // the text also matches brands
    fx.create_as(fx.owner_token(), chips, 0).await.expect("chips");
    let other = fx.platform.active_merchant().await;
    fx.create_as(
        &other.session.access_token,
        product(&other.merchant_id, &fx.category_id, "Kopi Tubruk", 10_000, ""),
        0,
    )
    .await
    .expect("another merchant's product");

    let mine = || ListProductsRequest {
        merchant_id: fx.owner.merchant_id.clone(),
        ..ListProductsRequest::default()
    };
    assert_eq!(
        fx.names(mine()).await,
        ["Keripik Kentang", "Kopi Hitam", "Kopi Susu", "Teh Manis"],
        "by name by default, only the merchant's"
    );
    assert_eq!(
        fx.names(ListProductsRequest {
            query: "KOPI".to_owned(),
            ..mine()
        })
        .await,
        ["Keripik Kentang", "Kopi Hitam", "Kopi Susu"]
    );
    assert_eq!(
        fx.names(ListProductsRequest {
            category_id: snacks.clone(),
            ..mine()
        })
        .await,
        ["Keripik Kentang"]
    );
    assert_eq!(
        fx.names(ListProductsRequest {
            category_name: "makanan ringan".to_owned(),
            ..mine()
        })
        .await,
        ["Keripik Kentang"]
    );
    assert_eq!(
        fx.names(ListProductsRequest {
            min_price: Some(idr(10_000)),
            max_price: Some(idr(15_000)),
            ..mine()
        })
        .await,
        ["Keripik Kentang", "Kopi Hitam"]
    );
    assert_eq!(
        fx.names(ListProductsRequest {
            order_by: "price desc".to_owned(),
            ..mine()
        })
        .await,
        ["Kopi Susu", "Keripik Kentang", "Kopi Hitam", "Teh Manis"]
    );

    // Page by page, two at a time, in price order: every product once.
    let mut client = fx.products.clone();
    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_products(bearer(
                fx.owner_token(),
                ListProductsRequest {
                    page_size: 2,
                    page_token: page_token.clone(),
                    order_by: "price".to_owned(),
                    ..mine()
                },
            ))
            .await
            .expect("a page")
            .into_inner();
        assert_eq!(page.total_size, 4);
        seen.extend(page.products.into_iter().map(|product| product.name));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(seen, ["Teh Manis", "Kopi Hitam", "Keripik Kentang", "Kopi Susu"]);

    let everyone = fx
        .list_as(
            &fx.admin.access_token,
            ListProductsRequest {
                query: "kopi".to_owned(),
                ..ListProductsRequest::default()
            },
        )
        .await
        .expect("an admin lists every merchant");
    assert_eq!(everyone.len(), 4);
}

// ---------------------------------------------------------------------------------------------
// Updates, the cache and images
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_changes_the_masked_fields_and_the_next_read_sees_it_despite_the_cache() {
    let fx = Fixture::start().await;
    let created = fx.create("Es Teh", 5_000, "").await;
    // Read twice: the second read is served by the cache.
    assert_eq!(
        fx.get_as(fx.owner_token(), &created.id).await.expect("read").name,
        "Es Teh"
    );
    assert_eq!(
        fx.get_as(fx.owner_token(), &created.id).await.expect("read").name,
        "Es Teh"
    );

    let change = Product {
        id: created.id.clone(),
        name: "Es Teh Jumbo".to_owned(),
        price: Some(idr(7_000)),
        description: "ignored: not in the mask".to_owned(),
        ..Product::default()
    };
    let updated = fx
        .update_as(fx.owner_token(), change, &["name", "price"])
        .await
        .expect("UpdateProduct");
    assert_eq!(updated.name, "Es Teh Jumbo");
    assert_eq!(updated.price, Some(idr(7_000)));
    assert_eq!(updated.description, "");
    assert_eq!(updated.slug, created.slug, "the slug is kept");
    assert_eq!(updated.barcode, created.barcode);

    let read = fx
        .get_as(fx.owner_token(), &created.id)
        .await
        .expect("read again");
    assert_eq!(read, updated);

    let stock = Product {
        id: created.id.clone(),
        count_in_stock: 1_000,
        ..Product::default()
    };
    let refused = fx
        .update_as(fx.owner_token(), stock, &["count_in_stock"])
        .await
        .expect_err("stock is not writable here");
    assert_error(&refused, Code::InvalidArgument, "INVALID_ARGUMENT");

    let regenerate = Product {
        id: created.id.clone(),
        ..Product::default()
    };
    let new_barcode = fx
        .update_as(fx.owner_token(), regenerate, &["barcode"])
        .await
        .expect("an empty barcode generates one")
        .barcode;
    assert_ne!(new_barcode, created.barcode);
    assert!(has_gs1_check_digit(&new_barcode));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_is_stored_by_content_and_documents_or_large_files_are_refused() {
    let fx = Fixture::start().await;
    let created = fx.create("Donat", 6_000, "").await;

    let with_image = fx
        .upload_as(fx.owner_token(), &created.id, png_1x1())
        .await
        .expect("a PNG");
    let prefix = format!("/api/v1/products/{}/image?version=", created.id);
    assert!(
        with_image.image_url.starts_with(&prefix),
        "{}",
        with_image.image_url
    );
    assert!(with_image.image_url.ends_with(".png"), "{}", with_image.image_url);
    assert_eq!(
        fx.get_as(fx.owner_token(), &created.id)
            .await
            .expect("read")
            .image_url,
        with_image.image_url
    );
    let image = fx
        .products
        .clone()
        .get_product_image(bearer(
            fx.owner_token(),
            pos_api::pos::product::v1::GetProductImageRequest {
                product_id: created.id.clone(),
                version: String::new(),
            },
        ))
        .await
        .expect("GetProductImage")
        .into_inner();
    assert_eq!(
        (image.content_type.as_str(), image.data),
        ("image/png", png_1x1())
    );
    let other = fx.platform.active_merchant().await;
    let hidden = fx
        .products
        .clone()
        .get_product_image(bearer(
            &other.session.access_token,
            pos_api::pos::product::v1::GetProductImageRequest {
                product_id: created.id.clone(),
                version: String::new(),
            },
        ))
        .await
        .expect_err("another merchant's owner");
    assert_error(&hidden, Code::NotFound, "PRODUCT_NOT_FOUND");
    let replaced = fx
        .upload_as(fx.owner_token(), &created.id, png_1x1())
        .await
        .expect("another PNG");
    assert_ne!(replaced.image_url, with_image.image_url);

    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec();
    let refused = fx
        .upload_as(fx.owner_token(), &created.id, pdf)
        .await
        .expect_err("a PDF");
    assert_error(&refused, Code::InvalidArgument, "UNSUPPORTED_IMAGE_TYPE");

    let mut large = png_1x1();
    large.resize(5 * 1024 * 1024 + 1, 0);
    let refused = fx
        .upload_as(fx.owner_token(), &created.id, large)
        .await
        .expect_err("over 5 MiB");
    assert_error(&refused, Code::InvalidArgument, "IMAGE_TOO_LARGE");
    assert_eq!(
        fx.get_as(fx.owner_token(), &created.id)
            .await
            .expect("read")
            .image_url,
        replaced.image_url,
        "refused uploads change nothing"
    );
}

// ---------------------------------------------------------------------------------------------
// Who may touch which products
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_merchants_owner_can_neither_see_nor_change_the_products() {
    let fx = Fixture::start().await;
    let created = fx.create("Kerupuk", 2_000, "").await;
    let other = fx.platform.active_merchant().await;
    let token = other.session.access_token.as_str();

    let hidden = fx.get_as(token, &created.id).await.expect_err("GetProduct");
    assert_error(&hidden, Code::NotFound, "PRODUCT_NOT_FOUND");
    let listing = fx
        .list_as(
            token,
            ListProductsRequest {
                merchant_id: fx.owner.merchant_id.clone(),
                ..ListProductsRequest::default()
            },
        )
        .await
        .expect_err("ListProducts of merchant A");
    assert_error(&listing, Code::PermissionDenied, "PERMISSION_MISSING");
    let create = fx
        .create_as(token, fx.product("Palsu", 1_000, ""), 0)
        .await
        .expect_err("CreateProduct for merchant A");
    assert_error(&create, Code::PermissionDenied, "PERMISSION_MISSING");
    let rename = Product {
        id: created.id.clone(),
        name: "Dicuri".to_owned(),
        ..Product::default()
    };
    let update = fx
        .update_as(token, rename, &["name"])
        .await
        .expect_err("UpdateProduct");
    assert_error(&update, Code::PermissionDenied, "PERMISSION_MISSING");
    let delete = fx.delete_as(token, &created.id).await.expect_err("DeleteProduct");
    assert_error(&delete, Code::PermissionDenied, "PERMISSION_MISSING");
    let upload = fx
        .upload_as(token, &created.id, png_1x1())
        .await
        .expect_err("UploadProductImage");
    assert_error(&upload, Code::PermissionDenied, "PERMISSION_MISSING");

    assert_eq!(
        fx.get_as(fx.owner_token(), &created.id).await.expect("read"),
        created
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cashier_reads_its_merchants_products_but_cannot_change_them() {
    let fx = Fixture::start().await;
    let created = fx.create("Gula Pasir", 14_000, "").await;
    let cashier = fx.cashier().await;
    let token = cashier.access_token.as_str();

    assert_eq!(fx.get_as(token, &created.id).await.expect("GetProduct"), created);
    let listed = fx
        .list_as(
            token,
            ListProductsRequest {
                merchant_id: fx.owner.merchant_id.clone(),
                ..ListProductsRequest::default()
            },
        )
        .await
        .expect("ListProducts");
    assert_eq!(listed, std::slice::from_ref(&created));
    let unnamed = fx
        .list_as(token, ListProductsRequest::default())
        .await
        .expect_err("staff must name their merchant");
    assert_error(&unnamed, Code::PermissionDenied, "PERMISSION_MISSING");
    let trash = fx
        .list_as(
            token,
            ListProductsRequest {
                merchant_id: fx.owner.merchant_id.clone(),
                lifecycle: Lifecycle::Trashed.into(),
                ..ListProductsRequest::default()
            },
        )
        .await
        .expect_err("the trash needs product.write");
    assert_error(&trash, Code::PermissionDenied, "PERMISSION_MISSING");

    let create = fx
        .create_as(token, fx.product("Garam", 3_000, ""), 0)
        .await
        .expect_err("CreateProduct");
    assert_error(&create, Code::PermissionDenied, "PERMISSION_MISSING");
    let rename = Product {
        id: created.id.clone(),
        name: "Gula Merah".to_owned(),
        ..Product::default()
    };
    let update = fx
        .update_as(token, rename, &["name"])
        .await
        .expect_err("UpdateProduct");
    assert_error(&update, Code::PermissionDenied, "PERMISSION_MISSING");
    let delete = fx.delete_as(token, &created.id).await.expect_err("DeleteProduct");
    assert_error(&delete, Code::PermissionDenied, "PERMISSION_MISSING");
}

// ---------------------------------------------------------------------------------------------
// The trash
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_moves_to_the_trash_comes_back_and_is_purged_only_from_the_trash() {
    let fx = Fixture::start().await;
    let created = fx.create("Sabun", 4_000, "").await;
    let mut client = fx.products.clone();
    let token = fx.owner_token();

    let trashed = fx.delete_as(token, &created.id).await.expect("DeleteProduct");
    assert!(trashed.delete_time.is_some());
    let again = fx.delete_as(token, &created.id).await.expect_err("trashed twice");
    assert_error(&again, Code::FailedPrecondition, "PRODUCT_TRASHED");
    let rename = Product {
        id: created.id.clone(),
        name: "Sabun Cair".to_owned(),
        ..Product::default()
    };
    let update = fx
        .update_as(token, rename, &["name"])
        .await
        .expect_err("update in the trash");
    assert_error(&update, Code::FailedPrecondition, "PRODUCT_TRASHED");
    assert!(
        fx.get_as(token, &created.id)
            .await
            .expect("GetProduct shows trashed products")
            .delete_time
            .is_some()
    );
    let mine = |lifecycle: Lifecycle| ListProductsRequest {
        merchant_id: fx.owner.merchant_id.clone(),
        lifecycle: lifecycle.into(),
        ..ListProductsRequest::default()
    };
    assert!(fx.names(mine(Lifecycle::Active)).await.is_empty());
    assert_eq!(fx.names(mine(Lifecycle::Trashed)).await, ["Sabun"]);

    let restored = client
        .restore_product(bearer(
            token,
            RestoreProductRequest {
                product_id: created.id.clone(),
            },
        ))
        .await
        .expect("RestoreProduct")
        .into_inner()
        .product
        .expect("the product");
    assert!(restored.delete_time.is_none());
    let not_trashed = client
        .purge_product(bearer(
            token,
            PurgeProductRequest {
                product_id: created.id.clone(),
            },
        ))
        .await
        .expect_err("purge of an active product");
    assert_error(&not_trashed, Code::FailedPrecondition, "PRODUCT_NOT_TRASHED");

    fx.upload_as(token, &created.id, png_1x1())
        .await
        .expect("an image");
    fx.delete_as(token, &created.id).await.expect("DeleteProduct");
    client
        .purge_product(bearer(
            token,
            PurgeProductRequest {
                product_id: created.id.clone(),
            },
        ))
        .await
        .expect("PurgeProduct");
    let gone = fx.get_as(token, &created.id).await.expect_err("purged");
    assert_error(&gone, Code::NotFound, "PRODUCT_NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_empties_or_restores_only_its_own_merchants_trash() {
    let fx = Fixture::start().await;
    let token = fx.owner_token();
    for name in ["A", "B", "C"] {
        let created = fx.create(name, 1_000, "").await;
        fx.delete_as(token, &created.id).await.expect("DeleteProduct");
    }
    let other = fx.platform.active_merchant().await;
    let foreign = fx
        .create_as(
            &other.session.access_token,
            product(&other.merchant_id, &fx.category_id, "Z", 1_000, ""),
            0,
        )
        .await
        .expect("another merchant's product");
    fx.delete_as(&other.session.access_token, &foreign.id)
        .await
        .expect("DeleteProduct");
    let mut client = fx.products.clone();

    let without_merchant = client
        .restore_trashed_products(bearer(token, RestoreTrashedProductsRequest::default()))
        .await
        .expect_err("an owner must name its merchant");
    assert_error(&without_merchant, Code::InvalidArgument, "INVALID_ARGUMENT");
    let foreign_trash = client
        .purge_trashed_products(bearer(
            token,
            PurgeTrashedProductsRequest {
                merchant_id: other.merchant_id.clone(),
            },
        ))
        .await
        .expect_err("another merchant's trash");
    assert_error(&foreign_trash, Code::PermissionDenied, "PERMISSION_MISSING");

    let restored = client
        .restore_trashed_products(bearer(
            token,
            RestoreTrashedProductsRequest {
                merchant_id: fx.owner.merchant_id.clone(),
            },
        ))
        .await
        .expect("RestoreTrashedProducts")
        .into_inner();
    assert_eq!(restored.affected_count, 3);
    let listed = fx.names(ListProductsRequest {
        merchant_id: fx.owner.merchant_id.clone(),
        ..ListProductsRequest::default()
    });
    assert_eq!(listed.await, ["A", "B", "C"]);

    let purged = client
        .purge_trashed_products(bearer(
            &fx.admin.access_token,
            PurgeTrashedProductsRequest::default(),
        ))
        .await
        .expect("PurgeTrashedProducts as admin")
        .into_inner();
    assert_eq!(
        purged.affected_count, 1,
        "only the other merchant's product was still trashed"
    );
    let gone = fx
        .get_as(&fx.admin.access_token, &foreign.id)
        .await
        .expect_err("purged");
    assert_error(&gone, Code::NotFound, "PRODUCT_NOT_FOUND");
}
