DROP TABLE users.admin_holders;
DROP TABLE users.users;
