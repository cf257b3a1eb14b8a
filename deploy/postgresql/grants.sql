-- Run as dayanisma_owner after EVERY `flask db upgrade` (docs/OPERATIONS.md, upgrade): new tables get the app's
-- grants. Idempotent. Mirrors app/db_roles.grant_app_role (issue 12): once that is merged, migrating with
-- DATABASE_OWNER_URL does the same by itself, and this file stays the manual, reviewable form of it.
--   psql "postgresql://dayanisma_owner@/dayanisma?host=/run/postgresql" -v ON_ERROR_STOP=1 -f deploy/postgresql/grants.sql
BEGIN;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM dayanisma_app;
REVOKE CREATE ON SCHEMA public FROM dayanisma_app;
GRANT USAGE ON SCHEMA public TO dayanisma_app;
-- Rows only: no TRUNCATE, REFERENCES, TRIGGER; no DDL (it owns nothing).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO dayanisma_app;
-- The audit log is append-only for the app; the chain head moves forward through its two columns only.
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_events FROM dayanisma_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_head FROM dayanisma_app;
GRANT UPDATE (seq, hash) ON audit_head TO dayanisma_app;
-- Expired audit events are cut behind a checkpoint by the owner only (retention run with DATABASE_OWNER_URL).
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_checkpoints FROM dayanisma_app;
-- The schema version is the owner's business.
REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM dayanisma_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO dayanisma_app;
COMMIT;
