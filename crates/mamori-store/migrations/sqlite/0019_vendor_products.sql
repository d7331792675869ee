-- A vendor organisation's products (電子カルテ, レセコン, PACS, ネットワーク保守 …): what it answers the
-- 事業者確認用 for, once per product and edition, for every client it is linked to.
CREATE TABLE vendor_products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    kind TEXT NOT NULL,
    remote_maintenance TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX vendor_products_org ON vendor_products (org_id, id);
