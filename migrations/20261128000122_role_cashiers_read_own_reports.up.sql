-- Cashiers see their own sales figures (the report module narrows them to their own cashier id).
UPDATE roles.roles
SET permissions = ARRAY['cashier.read', 'merchant.read', 'order.read', 'order.write', 'product.read',
                        'report.read', 'transaction.read', 'transaction.write']
WHERE id = '00000000-0000-7000-8000-000000000003';
