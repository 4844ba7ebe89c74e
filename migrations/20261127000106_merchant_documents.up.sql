-- Verification documents of merchants (issue #6): metadata here, the file in the object store
-- under `object_key`. Plus what the merchant RPCs need on `merchants.merchants`.
-- Only the merchant module reads or writes schema `merchants`.

-- A user owns at most one merchant that is not REJECTED (CreateMerchant: MERCHANT_SCOPE_CONFLICT);
-- the index also settles two concurrent creations for the same owner.
CREATE UNIQUE INDEX merchants_one_open_per_owner_idx
    ON merchants.merchants (owner_user_id) WHERE status <> 'rejected';
-- ListMerchants pages by name then id.
CREATE INDEX merchants_name_idx ON merchants.merchants (name, id);

CREATE TABLE merchants.documents (
    id                uuid        PRIMARY KEY,
    merchant_id       uuid        NOT NULL REFERENCES merchants.merchants (id) ON DELETE CASCADE,
    document_type     text        NOT NULL
                                  CHECK (document_type IN ('business_license', 'tax_id', 'identity',
                                                           'bank_account', 'other')),
    status            text        NOT NULL DEFAULT 'pending'
                                  CHECK (status IN ('pending', 'approved', 'rejected')),
    note              text        NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    reviewer_user_id  uuid,
    file_name         text        NOT NULL DEFAULT '' CHECK (length(file_name) <= 255),
    content_type      text        NOT NULL,
    size_bytes        bigint      NOT NULL CHECK (size_bytes BETWEEN 1 AND 10485760),
    sha256            text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    -- Where the file is in the object store; each replacement writes a new version.
    object_key        text        NOT NULL,
    version           integer     NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    reviewed_at       timestamptz,
    deleted_at        timestamptz,
    CHECK ((status = 'pending') = (reviewed_at IS NULL))
);
CREATE INDEX documents_merchant_idx ON merchants.documents (merchant_id, created_at DESC, id DESC);
CREATE INDEX documents_created_idx ON merchants.documents (created_at DESC, id DESC);
