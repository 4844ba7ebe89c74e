//! The business modules of the platform and the gRPC services each one serves.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use prost::Message;

/// A business module: a unit that owns its tables, its topics and its gRPC services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Module {
    /// Registration, login, sessions and passwords.
    Auth,
    /// User accounts.
    User,
    /// Roles, permissions and grants.
    Role,
    /// Merchants (stores), their documents and settlements.
    Merchant,
    /// Cashier accounts of a merchant.
    Cashier,
    /// Product categories.
    Category,
    /// Products, stock ledger and stock reservations.
    Product,
    /// Carts, orders and order items.
    Order,
    /// Payments, refund records and settlement processing.
    Transaction,
    /// Sales statistics read model.
    Report,
    /// E-mail notifications.
    Notification,
}

impl Module {
    /// Every module, in start order (modules others call come first).
    pub const ALL: [Module; 11] = [
        Module::Auth,
        Module::User,
        Module::Role,
        Module::Merchant,
        Module::Cashier,
        Module::Category,
        Module::Product,
        Module::Order,
        Module::Transaction,
        Module::Report,
        Module::Notification,
    ];

    /// The module's name as used in configuration, schemas, metrics and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Module::Auth => "auth",
            Module::User => "user",
            Module::Role => "role",
            Module::Merchant => "merchant",
            Module::Cashier => "cashier",
            Module::Category => "category",
            Module::Product => "product",
            Module::Order => "order",
            Module::Transaction => "transaction",
            Module::Report => "report",
            Module::Notification => "notification",
        }
    }

    /// The module's protobuf package, e.g. `pos.order.v1`.
    pub fn package(self) -> String {
        format!("pos.{}.v1", self.as_str())
    }

    /// The PostgreSQL schema that holds the module's tables: the plural of the module's name
    /// (`user` and `order` are reserved words in SQL), `auth` for the auth module.
    pub const fn schema(self) -> &'static str {
        match self {
            Module::Auth => "auth",
            Module::User => "users",
            Module::Role => "roles",
            Module::Merchant => "merchants",
            Module::Cashier => "cashiers",
            Module::Category => "categories",
            Module::Product => "products",
            Module::Order => "orders",
            Module::Transaction => "transactions",
            Module::Report => "reports",
            Module::Notification => "notifications",
        }
    }

    /// Fully qualified names of the gRPC services the module serves, read from the descriptor set.
    pub fn service_names(self) -> &'static [String] {
        contract().services.get(&self).map(Vec::as_slice).unwrap_or(&[])
    }

    /// gRPC paths (`/<package>.<Service>/<Method>`) of every RPC the module serves.
    pub fn rpc_paths(self) -> &'static [String] {
        contract().rpcs.get(&self).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether the module publishes events: it has an `events.proto` in the descriptor set.
    pub fn publishes_events(self) -> bool {
        contract().publishers.contains(&self)
    }

    /// The module that serves a fully qualified gRPC service name, if any.
    pub fn serving(service_name: &str) -> Option<Module> {
        Module::ALL
            .into_iter()
            .find(|module| module.service_names().iter().any(|name| name == service_name))
    }
}

/// What the descriptor set says about each module, read once.
struct Contract {
    services: BTreeMap<Module, Vec<String>>,
    rpcs: BTreeMap<Module, Vec<String>>,
    publishers: BTreeSet<Module>,
}

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let set = prost_types::FileDescriptorSet::decode(crate::FILE_DESCRIPTOR_SET)
            .expect("the checked-in descriptor set decodes");
        let mut services: BTreeMap<Module, Vec<String>> = BTreeMap::new();
        let mut rpcs: BTreeMap<Module, Vec<String>> = BTreeMap::new();
        let mut publishers = BTreeSet::new();
        for file in set.file {
            let package = file.package.unwrap_or_default();
            let Some(module) = Module::ALL.into_iter().find(|m| m.package() == package) else {
                continue;
            };
            if file.name.as_deref() == Some(&format!("pos/{}/v1/events.proto", module.as_str())) {
                publishers.insert(module);
            }
            for service in file.service {
                let name = format!("{package}.{}", service.name.unwrap_or_default());
                for method in &service.method {
                    rpcs.entry(module)
                        .or_default()
                        .push(format!("/{name}/{}", method.name()));
                }
                services.entry(module).or_default().push(name);
            }
        }
        for names in services.values_mut().chain(rpcs.values_mut()) {
            names.sort();
        }
        Contract {
            services,
            rpcs,
            publishers,
        }
    })
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A module name that is not one of [`Module::ALL`].
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown module `{0}` (known: auth, user, role, merchant, cashier, category, product, order, transaction, report, notification)"
)]
pub struct UnknownModule(pub String);

impl FromStr for Module {
    type Err = UnknownModule;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Module::ALL
            .into_iter()
            .find(|module| module.as_str() == name.trim())
            .ok_or_else(|| UnknownModule(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_round_trips_through_its_name() {
        for module in Module::ALL {
            assert_eq!(module.as_str().parse::<Module>().unwrap(), module);
        }
        assert!("inventory".parse::<Module>().is_err());
    }

    #[test]
    fn every_module_serves_at_least_one_service_of_its_own_package() {
        for module in Module::ALL {
            let names = module.service_names();
            assert!(!names.is_empty(), "{module} serves no service");
            for name in names {
                assert!(name.starts_with(&format!("{}.", module.package())), "{name}");
                assert_eq!(Module::serving(name), Some(module));
            }
        }
    }
}
