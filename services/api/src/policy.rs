//! Who may call what: one declarative table stating, for every RPC of every module, the rule the
//! access layer (`pos_platform::access`) enforces before the handler runs.
//!
//! The table follows the `Callers:` line of each RPC's comment in `proto/`; a test checks that
//! every RPC of the descriptor set has exactly one row and that every permission it names is in
//! [`PERMISSIONS`]. Handlers then check ownership of the rows they touch (a merchant owner only
//! its merchant's, a cashier only its own sales), using the caller's scope.

/// How widely a permission must be granted for an RPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Only a platform-wide grant (admins, services) counts.
    Platform,
    /// A platform-wide grant, or a grant bound to a merchant (its owner); cashier grants do not.
    Merchant,
    /// Any grant: platform-wide, merchant-bound, or bound to a cashier of a merchant.
    Cashier,
}

/// The permissions (any one suffices) an RPC needs, and at which scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Permission names `<module>.<action>`; holding any one of them is enough.
    pub any_of: &'static [&'static str],
    /// How widely the permission must be granted.
    pub scope: Scope,
}

/// What the access layer requires of a caller before an RPC runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// No credential (sign-up, sign-in, token refresh, public keys).
    Anonymous,
    /// Any signed-in user; the handler limits it to the caller's own records.
    SignedIn,
    /// Any signed-in user for its own records; the handler requires the grant for anyone else's.
    OwnOr(Grant),
    /// The grant, at its scope.
    Requires(Grant),
}

impl Rule {
    /// The grant named by the rule, if any.
    pub fn grant(&self) -> Option<&Grant> {
        match self {
            Rule::Anonymous | Rule::SignedIn => None,
            Rule::OwnOr(grant) | Rule::Requires(grant) => Some(grant),
        }
    }
}

const fn grant(any_of: &'static [&'static str], scope: Scope) -> Grant {
    Grant { any_of, scope }
}

/// Every permission of the platform, with what it allows. The role module serves this list
/// (`RoleService.ListPermissions`) and refuses roles naming anything else.
pub const PERMISSIONS: &[(&str, &str)] = &[
    ("user.read", "Read any user account."),
    (
        "user.write",
        "Create, change, trash, restore and purge user accounts.",
    ),
    ("role.read", "Read roles, permissions and every user's grants."),
    (
        "role.write",
        "Create, change and delete roles; grant and revoke them.",
    ),
    ("merchant.read", "Read merchants (stores)."),
    ("merchant.write", "Change merchants and their documents."),
    (
        "merchant.review",
        "Approve, reject, suspend and reactivate merchants; review their documents.",
    ),
    ("merchant.settle", "Request and read merchant settlements."),
    ("cashier.read", "Read cashier accounts."),
    (
        "cashier.write",
        "Create, change, disable and delete cashier accounts.",
    ),
    ("category.write", "Create, change and delete product categories."),
    ("product.read", "Read products, stock and stock movements."),
    ("product.write", "Create, change and delete products."),
    ("product.stock", "Adjust and reserve stock."),
    ("order.read", "Read carts, orders, order items and receipts."),
    ("order.write", "Open carts, create, change and cancel orders."),
    ("order.refund", "Refund paid orders."),
    ("transaction.read", "Read payments and refunds."),
    ("transaction.write", "Take and void payments."),
    ("report.read", "Read sales reports."),
    ("notification.read", "Read sent notifications."),
    ("notification.write", "Resend notifications."),
];

/// The rule of every RPC, by gRPC path (`/<package>.<Service>/<Method>`).
pub const POLICY: &[(&str, Rule)] = &[
    ("/pos.auth.v1.AuthService/Register", Rule::Anonymous),
    ("/pos.auth.v1.AuthService/VerifyEmail", Rule::Anonymous),
    ("/pos.auth.v1.AuthService/ResendVerificationCode", Rule::Anonymous),
    ("/pos.auth.v1.AuthService/Login", Rule::Anonymous),
    ("/pos.auth.v1.AuthService/RefreshSession", Rule::Anonymous),
    ("/pos.auth.v1.AuthService/Logout", Rule::Anonymous),
    ("/pos.auth.v1.AuthService/LogoutAllSessions", Rule::SignedIn),
    ("/pos.auth.v1.AuthService/GetMe", Rule::SignedIn),
    ("/pos.auth.v1.AuthService/ForgotPassword", Rule::Anonymous),
    ("/pos.auth.v1.AuthService/ResetPassword", Rule::Anonymous),
    ("/pos.auth.v1.AuthService/ChangePassword", Rule::SignedIn),
    (
        "/pos.auth.v1.AuthService/ProvisionCredential",
        Rule::Requires(grant(&["user.write"], Scope::Platform)),
    ),
    ("/pos.auth.v1.AuthService/ListSigningKeys", Rule::Anonymous),
    (
        "/pos.cashier.v1.CashierService/GetCashier",
        Rule::Requires(grant(&["cashier.read"], Scope::Cashier)),
    ),
    (
        "/pos.cashier.v1.CashierService/ListCashiers",
        Rule::Requires(grant(&["cashier.read"], Scope::Merchant)),
    ),
    (
        "/pos.cashier.v1.CashierService/CreateCashier",
        Rule::Requires(grant(&["cashier.write"], Scope::Merchant)),
    ),
    (
        "/pos.cashier.v1.CashierService/UpdateCashier",
        Rule::Requires(grant(&["cashier.write"], Scope::Merchant)),
    ),
    (
        "/pos.cashier.v1.CashierService/DisableCashier",
        Rule::Requires(grant(&["cashier.write"], Scope::Merchant)),
    ),
    (
        "/pos.cashier.v1.CashierService/EnableCashier",
        Rule::Requires(grant(&["cashier.write"], Scope::Merchant)),
    ),
    (
        "/pos.cashier.v1.CashierService/DeleteCashier",
        Rule::Requires(grant(&["cashier.write"], Scope::Merchant)),
    ),
    (
        "/pos.cashier.v1.CashierService/RestoreCashier",
        Rule::Requires(grant(&["cashier.write"], Scope::Merchant)),
    ),
    (
        "/pos.cashier.v1.CashierService/PurgeCashier",
        Rule::Requires(grant(&["cashier.write"], Scope::Merchant)),
    ),
    (
        "/pos.cashier.v1.CashierService/RestoreTrashedCashiers",
        Rule::Requires(grant(&["cashier.write"], Scope::Merchant)),
    ),
    (
        "/pos.cashier.v1.CashierService/PurgeTrashedCashiers",
        Rule::Requires(grant(&["cashier.write"], Scope::Merchant)),
    ),
    ("/pos.category.v1.CategoryService/GetCategory", Rule::SignedIn),
    ("/pos.category.v1.CategoryService/ListCategories", Rule::SignedIn),
    (
        "/pos.category.v1.CategoryService/CreateCategory",
        Rule::Requires(grant(&["category.write"], Scope::Platform)),
    ),
    (
        "/pos.category.v1.CategoryService/UpdateCategory",
        Rule::Requires(grant(&["category.write"], Scope::Platform)),
    ),
    (
        "/pos.category.v1.CategoryService/DeleteCategory",
        Rule::Requires(grant(&["category.write"], Scope::Platform)),
    ),
    (
        "/pos.category.v1.CategoryService/RestoreCategory",
        Rule::Requires(grant(&["category.write"], Scope::Platform)),
    ),
    (
        "/pos.category.v1.CategoryService/PurgeCategory",
        Rule::Requires(grant(&["category.write"], Scope::Platform)),
    ),
    (
        "/pos.category.v1.CategoryService/RestoreTrashedCategories",
        Rule::Requires(grant(&["category.write"], Scope::Platform)),
    ),
    (
        "/pos.category.v1.CategoryService/PurgeTrashedCategories",
        Rule::Requires(grant(&["category.write"], Scope::Platform)),
    ),
    (
        "/pos.merchant.v1.MerchantService/GetMerchant",
        Rule::Requires(grant(&["merchant.read"], Scope::Cashier)),
    ),
    (
        "/pos.merchant.v1.MerchantService/ListMerchants",
        Rule::Requires(grant(&["merchant.read"], Scope::Cashier)),
    ),
    (
        "/pos.merchant.v1.MerchantService/CreateMerchant",
        Rule::OwnOr(grant(&["merchant.write"], Scope::Platform)),
    ),
    (
        "/pos.merchant.v1.MerchantService/UpdateMerchant",
        Rule::Requires(grant(&["merchant.write"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantService/ApproveMerchant",
        Rule::Requires(grant(&["merchant.review"], Scope::Platform)),
    ),
    (
        "/pos.merchant.v1.MerchantService/RejectMerchant",
        Rule::Requires(grant(&["merchant.review"], Scope::Platform)),
    ),
    (
        "/pos.merchant.v1.MerchantService/SuspendMerchant",
        Rule::Requires(grant(&["merchant.review"], Scope::Platform)),
    ),
    (
        "/pos.merchant.v1.MerchantService/ReactivateMerchant",
        Rule::Requires(grant(&["merchant.review"], Scope::Platform)),
    ),
    (
        "/pos.merchant.v1.MerchantService/DeleteMerchant",
        Rule::Requires(grant(&["merchant.write"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantService/RestoreMerchant",
        Rule::Requires(grant(&["merchant.write"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantService/PurgeMerchant",
        Rule::Requires(grant(&["merchant.write"], Scope::Platform)),
    ),
    (
        "/pos.merchant.v1.MerchantService/RestoreTrashedMerchants",
        Rule::Requires(grant(&["merchant.write"], Scope::Platform)),
    ),
    (
        "/pos.merchant.v1.MerchantService/PurgeTrashedMerchants",
        Rule::Requires(grant(&["merchant.write"], Scope::Platform)),
    ),
    (
        "/pos.merchant.v1.MerchantService/RequestSettlement",
        Rule::Requires(grant(&["merchant.settle"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantService/GetSettlement",
        Rule::Requires(grant(&["merchant.settle"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantService/ListSettlements",
        Rule::Requires(grant(&["merchant.settle"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantDocumentService/GetMerchantDocument",
        Rule::Requires(grant(&["merchant.write", "merchant.review"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantDocumentService/ListMerchantDocuments",
        Rule::Requires(grant(&["merchant.write", "merchant.review"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantDocumentService/UploadMerchantDocument",
        Rule::Requires(grant(&["merchant.write"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantDocumentService/ReplaceMerchantDocumentFile",
        Rule::Requires(grant(&["merchant.write"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantDocumentService/ReviewMerchantDocument",
        Rule::Requires(grant(&["merchant.review"], Scope::Platform)),
    ),
    (
        "/pos.merchant.v1.MerchantDocumentService/DownloadMerchantDocument",
        Rule::Requires(grant(&["merchant.write", "merchant.review"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantDocumentService/DeleteMerchantDocument",
        Rule::Requires(grant(&["merchant.write"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantDocumentService/RestoreMerchantDocument",
        Rule::Requires(grant(&["merchant.write"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantDocumentService/PurgeMerchantDocument",
        Rule::Requires(grant(&["merchant.write"], Scope::Platform)),
    ),
    (
        "/pos.merchant.v1.MerchantDocumentService/RestoreTrashedMerchantDocuments",
        Rule::Requires(grant(&["merchant.write"], Scope::Merchant)),
    ),
    (
        "/pos.merchant.v1.MerchantDocumentService/PurgeTrashedMerchantDocuments",
        Rule::Requires(grant(&["merchant.write"], Scope::Platform)),
    ),
    (
        "/pos.notification.v1.NotificationService/ListNotifications",
        Rule::Requires(grant(&["notification.read"], Scope::Platform)),
    ),
    (
        "/pos.notification.v1.NotificationService/GetNotification",
        Rule::Requires(grant(&["notification.read"], Scope::Platform)),
    ),
    (
        "/pos.notification.v1.NotificationService/ResendNotification",
        Rule::Requires(grant(&["notification.write"], Scope::Platform)),
    ),
    (
        "/pos.order.v1.CartService/CreateCart",
        Rule::Requires(grant(&["order.write"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.CartService/GetCart",
        Rule::Requires(grant(&["order.read"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.CartService/AddCartLine",
        Rule::Requires(grant(&["order.write"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.CartService/UpdateCartLine",
        Rule::Requires(grant(&["order.write"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.CartService/RemoveCartLine",
        Rule::Requires(grant(&["order.write"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.CartService/DeleteCart",
        Rule::Requires(grant(&["order.write"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.CartService/CheckoutCart",
        Rule::Requires(grant(&["order.write"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.OrderService/GetOrder",
        Rule::Requires(grant(&["order.read"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.OrderService/ListOrders",
        Rule::Requires(grant(&["order.read"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.OrderService/CreateOrder",
        Rule::Requires(grant(&["order.write"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.OrderService/UpdateOrderLines",
        Rule::Requires(grant(&["order.write"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.OrderService/CancelOrder",
        Rule::Requires(grant(&["order.write"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.OrderService/RefundOrder",
        Rule::Requires(grant(&["order.refund"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.OrderService/GetReceipt",
        Rule::Requires(grant(&["order.read"], Scope::Cashier)),
    ),
    (
        "/pos.order.v1.OrderService/DeleteOrder",
        Rule::Requires(grant(&["order.write"], Scope::Merchant)),
    ),
    (
        "/pos.order.v1.OrderService/RestoreOrder",
        Rule::Requires(grant(&["order.write"], Scope::Merchant)),
    ),
    (
        "/pos.order.v1.OrderService/PurgeOrder",
        Rule::Requires(grant(&["order.write"], Scope::Merchant)),
    ),
    (
        "/pos.order.v1.OrderService/RestoreTrashedOrders",
        Rule::Requires(grant(&["order.write"], Scope::Merchant)),
    ),
    (
        "/pos.order.v1.OrderService/PurgeTrashedOrders",
        Rule::Requires(grant(&["order.write"], Scope::Merchant)),
    ),
    (
        "/pos.order.v1.OrderItemService/ListOrderItems",
        Rule::Requires(grant(&["order.read"], Scope::Cashier)),
    ),
    (
        "/pos.product.v1.ProductService/GetProduct",
        Rule::Requires(grant(&["product.read"], Scope::Cashier)),
    ),
    (
        "/pos.product.v1.ProductService/GetProductImage",
        Rule::Requires(grant(&["product.read"], Scope::Cashier)),
    ),
    (
        "/pos.product.v1.ProductService/LookupProductByBarcode",
        Rule::Requires(grant(&["product.read"], Scope::Cashier)),
    ),
    (
        "/pos.product.v1.ProductService/ListProducts",
        Rule::Requires(grant(&["product.read"], Scope::Cashier)),
    ),
    (
        "/pos.product.v1.ProductService/CreateProduct",
        Rule::Requires(grant(&["product.write"], Scope::Merchant)),
    ),
    (
        "/pos.product.v1.ProductService/UpdateProduct",
        Rule::Requires(grant(&["product.write"], Scope::Merchant)),
    ),
    (
        "/pos.product.v1.ProductService/UploadProductImage",
        Rule::Requires(grant(&["product.write"], Scope::Merchant)),
    ),
    (
        "/pos.product.v1.ProductService/DeleteProduct",
        Rule::Requires(grant(&["product.write"], Scope::Merchant)),
    ),
    (
        "/pos.product.v1.ProductService/RestoreProduct",
        Rule::Requires(grant(&["product.write"], Scope::Merchant)),
    ),
    (
        "/pos.product.v1.ProductService/PurgeProduct",
        Rule::Requires(grant(&["product.write"], Scope::Merchant)),
    ),
    (
        "/pos.product.v1.ProductService/RestoreTrashedProducts",
        Rule::Requires(grant(&["product.write"], Scope::Merchant)),
    ),
    (
        "/pos.product.v1.ProductService/PurgeTrashedProducts",
        Rule::Requires(grant(&["product.write"], Scope::Merchant)),
    ),
    (
        "/pos.product.v1.ProductService/AdjustStock",
        Rule::Requires(grant(&["product.stock"], Scope::Merchant)),
    ),
    (
        "/pos.product.v1.ProductService/ListStockMovements",
        Rule::Requires(grant(&["product.read"], Scope::Merchant)),
    ),
    (
        "/pos.product.v1.ProductService/ReserveStock",
        Rule::Requires(grant(&["product.stock"], Scope::Platform)),
    ),
    (
        "/pos.product.v1.ProductService/CommitReservation",
        Rule::Requires(grant(&["product.stock"], Scope::Platform)),
    ),
    (
        "/pos.product.v1.ProductService/ReleaseReservation",
        Rule::Requires(grant(&["product.stock"], Scope::Platform)),
    ),
    (
        "/pos.product.v1.ProductService/GetReservation",
        Rule::Requires(grant(&["product.read"], Scope::Merchant)),
    ),
    (
        "/pos.report.v1.ReportService/CompareRevenue",
        Rule::Requires(grant(&["report.read"], Scope::Cashier)),
    ),
    (
        "/pos.report.v1.ReportService/GetRevenueBreakdown",
        Rule::Requires(grant(&["report.read"], Scope::Cashier)),
    ),
    (
        "/pos.report.v1.ReportService/GetCashierSales",
        Rule::Requires(grant(&["report.read"], Scope::Cashier)),
    ),
    (
        "/pos.report.v1.ReportService/GetCategorySales",
        Rule::Requires(grant(&["report.read"], Scope::Cashier)),
    ),
    (
        "/pos.report.v1.ReportService/ComparePaymentStatuses",
        Rule::Requires(grant(&["report.read"], Scope::Cashier)),
    ),
    (
        "/pos.report.v1.ReportService/ComparePaymentMethods",
        Rule::Requires(grant(&["report.read"], Scope::Cashier)),
    ),
    (
        "/pos.role.v1.RoleService/GetRole",
        Rule::Requires(grant(&["role.read"], Scope::Platform)),
    ),
    (
        "/pos.role.v1.RoleService/ListRoles",
        Rule::Requires(grant(&["role.read"], Scope::Platform)),
    ),
    (
        "/pos.role.v1.RoleService/CreateRole",
        Rule::Requires(grant(&["role.write"], Scope::Platform)),
    ),
    (
        "/pos.role.v1.RoleService/UpdateRole",
        Rule::Requires(grant(&["role.write"], Scope::Platform)),
    ),
    (
        "/pos.role.v1.RoleService/DeleteRole",
        Rule::Requires(grant(&["role.write"], Scope::Platform)),
    ),
    (
        "/pos.role.v1.RoleService/RestoreRole",
        Rule::Requires(grant(&["role.write"], Scope::Platform)),
    ),
    (
        "/pos.role.v1.RoleService/PurgeRole",
        Rule::Requires(grant(&["role.write"], Scope::Platform)),
    ),
    (
        "/pos.role.v1.RoleService/RestoreTrashedRoles",
        Rule::Requires(grant(&["role.write"], Scope::Platform)),
    ),
    (
        "/pos.role.v1.RoleService/PurgeTrashedRoles",
        Rule::Requires(grant(&["role.write"], Scope::Platform)),
    ),
    (
        "/pos.role.v1.RoleService/ListPermissions",
        Rule::Requires(grant(&["role.read"], Scope::Platform)),
    ),
    (
        "/pos.role.v1.RoleService/ListUserRoles",
        Rule::OwnOr(grant(&["role.read"], Scope::Platform)),
    ),
    (
        "/pos.role.v1.RoleService/GrantRole",
        Rule::Requires(grant(&["role.write"], Scope::Platform)),
    ),
    (
        "/pos.role.v1.RoleService/RevokeRole",
        Rule::Requires(grant(&["role.write"], Scope::Platform)),
    ),
    (
        "/pos.transaction.v1.TransactionService/GetTransaction",
        Rule::Requires(grant(&["transaction.read"], Scope::Cashier)),
    ),
    (
        "/pos.transaction.v1.TransactionService/ListTransactions",
        Rule::Requires(grant(&["transaction.read"], Scope::Cashier)),
    ),
    (
        "/pos.transaction.v1.TransactionService/CreatePayment",
        Rule::Requires(grant(&["transaction.write"], Scope::Cashier)),
    ),
    (
        "/pos.transaction.v1.TransactionService/VoidPayment",
        Rule::Requires(grant(&["transaction.write"], Scope::Cashier)),
    ),
    (
        "/pos.transaction.v1.TransactionService/DeleteTransaction",
        Rule::Requires(grant(&["transaction.write"], Scope::Merchant)),
    ),
    (
        "/pos.transaction.v1.TransactionService/RestoreTransaction",
        Rule::Requires(grant(&["transaction.write"], Scope::Merchant)),
    ),
    (
        "/pos.transaction.v1.TransactionService/PurgeTransaction",
        Rule::Requires(grant(&["transaction.write"], Scope::Merchant)),
    ),
    (
        "/pos.transaction.v1.TransactionService/RestoreTrashedTransactions",
        Rule::Requires(grant(&["transaction.write"], Scope::Merchant)),
    ),
    (
        "/pos.transaction.v1.TransactionService/PurgeTrashedTransactions",
        Rule::Requires(grant(&["transaction.write"], Scope::Merchant)),
    ),
    (
        "/pos.user.v1.UserService/GetUser",
        Rule::OwnOr(grant(&["user.read"], Scope::Platform)),
    ),
    (
        "/pos.user.v1.UserService/ListUsers",
        Rule::Requires(grant(&["user.read"], Scope::Platform)),
    ),
    (
        "/pos.user.v1.UserService/CreateUser",
        Rule::Requires(grant(&["user.write"], Scope::Platform)),
    ),
    (
        "/pos.user.v1.UserService/UpdateUser",
        Rule::Requires(grant(&["user.write"], Scope::Platform)),
    ),
    ("/pos.user.v1.UserService/UpdateMyProfile", Rule::SignedIn),
    (
        "/pos.user.v1.UserService/DeleteUser",
        Rule::Requires(grant(&["user.write"], Scope::Platform)),
    ),
    (
        "/pos.user.v1.UserService/RestoreUser",
        Rule::Requires(grant(&["user.write"], Scope::Platform)),
    ),
    (
        "/pos.user.v1.UserService/PurgeUser",
        Rule::Requires(grant(&["user.write"], Scope::Platform)),
    ),
    (
        "/pos.user.v1.UserService/RestoreTrashedUsers",
        Rule::Requires(grant(&["user.write"], Scope::Platform)),
    ),
    (
        "/pos.user.v1.UserService/PurgeTrashedUsers",
        Rule::Requires(grant(&["user.write"], Scope::Platform)),
    ),
];

/// The rule of the RPC at gRPC `path`, or `None` when the path is not an RPC of the platform
/// (health, reflection) — or is one missing from the table, which a test forbids.
pub fn rule(path: &str) -> Option<Rule> {
    POLICY
        .iter()
        .find_map(|(rpc, rule)| (*rpc == path).then_some(*rule))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::Module;

    #[test]
    fn every_rpc_of_every_module_has_exactly_one_rule() {
        let mut rpcs = BTreeSet::new();
        for module in Module::ALL {
            for path in module.rpc_paths() {
                rpcs.insert(path.clone());
            }
        }
        let table: Vec<&str> = POLICY.iter().map(|(path, _)| *path).collect();
        let unique: BTreeSet<String> = table.iter().map(|path| (*path).to_owned()).collect();
        assert_eq!(unique.len(), table.len(), "a path appears twice in POLICY");
        assert_eq!(unique, rpcs, "POLICY and the contract's RPCs differ");
    }

    #[test]
    fn every_permission_named_by_a_rule_exists() {
        let known: BTreeSet<&str> = PERMISSIONS.iter().map(|(name, _)| *name).collect();
        for (path, rule) in POLICY {
            for permission in rule.grant().map_or(&[][..], |grant| grant.any_of) {
                assert!(
                    known.contains(permission),
                    "{path} names unknown permission {permission}"
                );
            }
        }
    }

    #[test]
    fn permission_names_are_module_dot_action() {
        let modules: BTreeSet<&str> = Module::ALL.iter().map(|module| module.as_str()).collect();
        for (name, description) in PERMISSIONS {
            let (module, action) = name.split_once('.').expect("module.action");
            assert!(modules.contains(module), "{name}: no module {module}");
            assert!(!action.is_empty() && !description.is_empty());
        }
    }
}
