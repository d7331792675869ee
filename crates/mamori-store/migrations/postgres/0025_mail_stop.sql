-- A per-person token for the one-click stop links in the mails ("stop this kind"); it can only stop mails.
ALTER TABLE mail_settings ADD COLUMN stop_token TEXT;
