-- Checklist editions an organisation imported from MHLW's workbooks (令和8年度 and later): pending until an
-- administrator confirms the preview, then confirmed (one per organisation and edition; an older one is
-- marked replaced). `data` is the parsed forms, layout maps and links to the previous edition (JSON, the
-- web crate's shape); `files` the provenance of each workbook (name, SHA-256, match with the known files).
CREATE TABLE edition_imports (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    edition TEXT NOT NULL,
    fiscal_year BIGINT NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL,
    files TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    confirmed_by TEXT,
    confirmed_at TEXT
);
CREATE INDEX edition_imports_org ON edition_imports (org_id, status, id);
CREATE UNIQUE INDEX edition_imports_confirmed ON edition_imports (org_id, edition) WHERE status = 'confirmed';
-- The uploaded workbooks themselves (base64), kept to fill the official file with the answers.
CREATE TABLE edition_workbooks (
    import_id BIGINT NOT NULL REFERENCES edition_imports(id),
    variant TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (import_id, variant)
);
