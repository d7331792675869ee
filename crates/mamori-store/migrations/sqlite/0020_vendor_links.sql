-- The vendor's side: a facility invites a vendor organisation for one row of its 事業者・契約 ledger (the
-- code is shown once; only its SHA-256 is kept); the accepted invitation becomes a link that ties the
-- vendor's products to that row. The vendor answers the 事業者確認用 once per product and edition, with
-- per-client overrides, and publishes: each client receives its own copy (received_forms), which stays in
-- the facility's records when the link ends. MDS/SDS are uploaded once per product.
CREATE TABLE vendor_invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    vendor_row_id INTEGER NOT NULL,
    code_hash TEXT NOT NULL UNIQUE,
    due_on TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by_org INTEGER,
    revoked_at TEXT
);
CREATE INDEX vendor_invitations_org ON vendor_invitations (org_id, vendor_row_id);

CREATE TABLE vendor_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_org_id INTEGER NOT NULL REFERENCES orgs(id),
    vendor_row_id INTEGER NOT NULL,
    vendor_org_id INTEGER NOT NULL REFERENCES orgs(id),
    invitation_id INTEGER NOT NULL REFERENCES vendor_invitations(id),
    due_on TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    ended_at TEXT,
    ended_by TEXT
);
CREATE UNIQUE INDEX vendor_links_active ON vendor_links (facility_org_id, vendor_row_id) WHERE ended_at IS NULL;
CREATE INDEX vendor_links_vendor ON vendor_links (vendor_org_id, id);

CREATE TABLE vendor_link_products (
    link_id INTEGER NOT NULL REFERENCES vendor_links(id),
    product_id INTEGER NOT NULL REFERENCES vendor_products(id),
    PRIMARY KEY (link_id, product_id)
);
CREATE INDEX vendor_link_products_product ON vendor_link_products (product_id, link_id);

CREATE TABLE product_forms (
    vendor_org_id INTEGER NOT NULL REFERENCES orgs(id),
    product_id INTEGER NOT NULL REFERENCES vendor_products(id),
    edition TEXT NOT NULL,
    answers TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (product_id, edition)
);

CREATE TABLE product_form_overrides (
    link_id INTEGER NOT NULL REFERENCES vendor_links(id),
    product_id INTEGER NOT NULL REFERENCES vendor_products(id),
    edition TEXT NOT NULL,
    vendor_org_id INTEGER NOT NULL REFERENCES orgs(id),
    answers TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (link_id, product_id, edition)
);

CREATE TABLE received_forms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_org_id INTEGER NOT NULL REFERENCES orgs(id),
    vendor_row_id INTEGER NOT NULL,
    link_id INTEGER NOT NULL REFERENCES vendor_links(id),
    vendor_org_id INTEGER NOT NULL REFERENCES orgs(id),
    vendor_name TEXT NOT NULL,
    product_id INTEGER NOT NULL,
    product_name TEXT NOT NULL,
    edition TEXT NOT NULL,
    answers TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT
);
CREATE UNIQUE INDEX received_forms_one ON received_forms (link_id, product_id, edition);
CREATE INDEX received_forms_facility ON received_forms (facility_org_id, edition);

CREATE TABLE form_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_form_id INTEGER NOT NULL REFERENCES received_forms(id),
    side TEXT NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX form_comments_form ON form_comments (received_form_id, id);

CREATE TABLE product_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor_org_id INTEGER NOT NULL REFERENCES orgs(id),
    product_id INTEGER NOT NULL REFERENCES vendor_products(id),
    kind TEXT NOT NULL,
    version TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX product_documents_product ON product_documents (product_id, id);
