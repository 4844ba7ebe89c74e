-- Products. Only the product module reads or writes schema `products`.
-- Stock is kept on the row and changed only by conditional UPDATEs (never read-modify-write);
-- the CHECKs make a negative stock or an over-reservation impossible whatever the code does.
CREATE TABLE products.products (
    id                 uuid        PRIMARY KEY,
    merchant_id        uuid        NOT NULL,
    category_id        uuid        NOT NULL,
    name               text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description        text        NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    brand              text        NOT NULL DEFAULT '' CHECK (length(brand) <= 100),
    weight_grams       bigint      NOT NULL DEFAULT 0 CHECK (weight_grams >= 0),
    price_minor        bigint      NOT NULL CHECK (price_minor > 0),
    currency_code      text        NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
    count_in_stock     bigint      NOT NULL DEFAULT 0 CHECK (count_in_stock >= 0),
    reserved_quantity  bigint      NOT NULL DEFAULT 0
                                   CHECK (reserved_quantity >= 0 AND reserved_quantity <= count_in_stock),
    barcode            text        NOT NULL CHECK (length(barcode) BETWEEN 1 AND 50),
    slug               text        NOT NULL UNIQUE,
    image_key          text,                     -- object store key of the current image
    image_content_type text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz,
    UNIQUE (merchant_id, barcode)
);
CREATE INDEX products_merchant_idx ON products.products (merchant_id, id);
CREATE INDEX products_category_idx ON products.products (category_id);
