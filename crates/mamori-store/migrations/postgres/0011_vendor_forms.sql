-- Each vendor's 事業者確認用 as the facility received it: the answers (JSON array, the same shape as
-- the facility's own answers), per vendor (a 事業者・契約 ledger row) and edition.
CREATE TABLE vendor_forms (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    vendor_id BIGINT NOT NULL REFERENCES ledger_rows(id),
    edition TEXT NOT NULL,
    answers TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, vendor_id, edition)
);
