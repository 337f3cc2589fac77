-- Retention of mail_outbox (src/mail/retention.c): the worker's maintenance deletes messages that reached an
-- end state (sent, failed, uncertain) longer ago than ERP_MAIL_RETENTION_DAYS, oldest first, in batches.
CREATE INDEX mail_outbox_settled_idx ON mail_outbox (updated_at) WHERE state IN ('sent', 'failed', 'uncertain');
