DROP TABLE roles.trashed_users;
DROP TABLE roles.grants;
DROP TABLE roles.roles;
