-- Roles (named sets of permissions) and grants of roles to users, owned by the role module.

CREATE TABLE roles.roles (
    id          uuid        PRIMARY KEY,             -- UUIDv7; fixed for the built-in roles
    name        text        NOT NULL CHECK (name ~ '^[a-z0-9_-]{1,50}$'),
    description text        NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
    -- Sorted, without duplicates. Ignored for `admin`, which always holds the whole catalogue
    -- (`pos_api::policy::PERMISSIONS`), computed when it is read.
    permissions text[]      NOT NULL DEFAULT '{}',
    built_in    boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,                         -- set while the role is in the trash
    CHECK (NOT built_in OR deleted_at IS NULL)       -- built-in roles are never trashed
);

-- Names are unique across roles, trashed ones included (they are lower case by rule).
CREATE UNIQUE INDEX roles_name_key ON roles.roles (name);

-- The built-in roles, with ids every environment shares.
INSERT INTO roles.roles (id, name, description, permissions, built_in) VALUES
    ('00000000-0000-7000-8000-000000000001', 'admin',
     'Operators of the platform: every permission, platform-wide.', '{}', true),
    ('00000000-0000-7000-8000-000000000002', 'merchant',
     'Store owners: manage their own merchant, cashiers, products, orders and payments.',
     ARRAY['cashier.read', 'cashier.write', 'merchant.read', 'merchant.settle', 'merchant.write',
           'order.read', 'order.refund', 'order.write', 'product.read', 'product.stock',
           'product.write', 'report.read', 'transaction.read', 'transaction.write'], true),
    ('00000000-0000-7000-8000-000000000003', 'cashier',
     'Cashiers: sell for their own merchant.',
     ARRAY['cashier.read', 'merchant.read', 'order.read', 'order.write', 'product.read',
           'transaction.read', 'transaction.write'], true);

-- A user holds a role at most once: platform-wide (no merchant), bound to a merchant, or bound
-- to a merchant and one of its cashiers. The key (user_id, role_id) avoids the NULL pitfall of a
-- unique (user_id, role_id, merchant_id), where two platform-wide grants would not collide.
CREATE TABLE roles.grants (
    user_id            uuid        NOT NULL,
    role_id            uuid        NOT NULL REFERENCES roles.roles (id),
    merchant_id        uuid,
    cashier_id         uuid,
    granted_by_user_id uuid,                         -- NULL when a module granted it
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role_id),
    CHECK (cashier_id IS NULL OR merchant_id IS NOT NULL)
);

-- PurgeRole, RevokeRole (last admin) and the `permission` filter find grants by role.
CREATE INDEX grants_role_idx ON roles.grants (role_id);

-- Projection of the user module's `UserLifecycleChanged` events: users currently in the trash,
-- who do not count as active admins.
CREATE TABLE roles.trashed_users (
    user_id    uuid        PRIMARY KEY,
    trashed_at timestamptz NOT NULL DEFAULT now()
);
