//! `docs/reference-coverage.md` maps every RPC of the earlier Go implementation to ours; these
//! tests keep it complete and keep it pointing at RPCs that exist.

use std::collections::{BTreeMap, BTreeSet};

use prost::Message;

fn coverage_table() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/reference-coverage.md"
    ))
    .expect("docs/reference-coverage.md exists")
}

/// `(reference RPC, served-by cell)` for every table row.
fn rows() -> Vec<(String, String)> {
    coverage_table()
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_owned(), cells[2].to_owned())
        })
        .collect()
}

fn our_rpcs() -> BTreeSet<String> {
    let set = prost_types::FileDescriptorSet::decode(pos_api::FILE_DESCRIPTOR_SET).unwrap();
    let mut rpcs = BTreeSet::new();
    for file in set.file {
        let package = file.package().to_owned();
        for service in &file.service {
            for method in &service.method {
                rpcs.insert(format!("{package}.{}/{}", service.name(), method.name()));
            }
        }
    }
    rpcs
}

#[test]
fn every_reference_rpc_has_exactly_one_row() {
    // Per-service RPC counts of the reference (inventory §1): 168 in all, 50 of them reports.
    let expected = BTreeMap::from([
        ("AuthService", 7),
        ("RoleService", 12),
        ("UserService", 11),
        ("CategoryService", 23),
        ("CashierService", 24),
        ("MerchantService", 12),
        ("MerchantDocumentService", 12),
        ("ProductService", 13),
        ("OrderService", 22),
        ("OrderItemService", 4),
        ("TransactionService", 28),
    ]);
    let rows = rows();
    let names: BTreeSet<_> = rows.iter().map(|(name, _)| name.clone()).collect();
    assert_eq!(names.len(), rows.len(), "a reference RPC appears twice");
    let mut counted: BTreeMap<&str, usize> = BTreeMap::new();
    for name in &names {
        let service = name.split('.').next().unwrap();
        *counted
            .entry(
                expected
                    .keys()
                    .find(|s| **s == service)
                    .copied()
                    .unwrap_or("unknown"),
            )
            .or_default() += 1;
    }
    assert_eq!(counted, expected);
    assert_eq!(rows.len(), 168);
}

#[test]
fn every_served_by_cell_names_rpcs_that_exist() {
    let ours = our_rpcs();
    let pattern_start = "pos.";
    for (reference, served_by) in rows() {
        let named: Vec<&str> = served_by
            .split('`')
            .filter(|part| part.starts_with(pattern_start))
            .map(|part| part.split_whitespace().next().unwrap_or(part))
            .collect();
        assert!(!named.is_empty(), "{reference}: the row names none of our RPCs");
        for rpc in named {
            assert!(
                ours.contains(rpc),
                "{reference}: `{rpc}` is not an RPC of the contract"
            );
        }
    }
}
