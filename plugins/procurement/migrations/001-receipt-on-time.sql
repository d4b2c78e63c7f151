-- Receipts recorded before goods_receipt.on_time existed: on time when received on or before the
-- order's promised date, else its required date; receipts of orders with neither stay unknown (NULL).
UPDATE goods_receipt
SET on_time = CASE
    WHEN grn_date <= (SELECT COALESCE(po.promised_date, po.required_date) FROM purchase_order po WHERE po.id = goods_receipt.purchase_order_id)
    THEN 1 ELSE 0 END
WHERE on_time IS NULL
  AND status <> 'DRAFT'
  AND (SELECT COALESCE(po.promised_date, po.required_date) FROM purchase_order po WHERE po.id = goods_receipt.purchase_order_id) IS NOT NULL;
