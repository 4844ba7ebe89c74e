DROP TABLE merchants.documents;
DROP INDEX merchants.merchants_name_idx;
DROP INDEX merchants.merchants_one_open_per_owner_idx;
