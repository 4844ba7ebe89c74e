-- Product categories, shared by every merchant of the platform, owned by the category module.

CREATE TABLE categories.categories (
    id          uuid        PRIMARY KEY,             -- UUIDv7
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),  -- not unique
    description text        NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    -- Derived from the name: lower-case ASCII letters and digits in hyphen-separated words.
    slug        text        NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 100),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz                          -- set while the category is in the trash
);

-- Slugs are unique across categories, trashed ones included. Writers rely on this index (insert
-- with ON CONFLICT, update in a savepoint) and retry with a suffix; they never check first.
CREATE UNIQUE INDEX categories_slug_key ON categories.categories (slug);

-- Listings are ordered by name then id, per lifecycle.
CREATE INDEX categories_name_idx ON categories.categories (name, id);
CREATE INDEX categories_trashed_idx ON categories.categories (deleted_at) WHERE deleted_at IS NOT NULL;
