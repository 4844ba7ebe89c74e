DROP TABLE reports.watermark, reports.monthly_merchant_products, reports.monthly_merchant_category_sales,
    reports.monthly_payments, reports.monthly_category_sales, reports.monthly_sales, reports.daily_payments, reports.monthly_products,
    reports.daily_category_sales, reports.daily_sales, reports.payments, reports.refund_lines,
    reports.refunds, reports.sale_lines, reports.sales, reports.categories, reports.cashiers,
    reports.merchants;
