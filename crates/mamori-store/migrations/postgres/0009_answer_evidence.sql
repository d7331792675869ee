-- What the ledgers said about an item when its answer was saved (the evidence engine's suggestion, JSON).
ALTER TABLE answers ADD COLUMN evidence TEXT;
