-- Run once as the postgres superuser on a new server:  sudo -u postgres psql -f deploy/postgresql/roles.sql
-- then set both passwords:  sudo -u postgres psql -c "\password dayanisma_owner"  (and dayanisma_app).
--
-- Two roles (DESIGN.md §3.8, issue 12 "Audit that an insider cannot escape"; app/db_roles.py once merged):
--   dayanisma_owner  owns the database, the schema and every table; runs the migrations (`flask db upgrade` with
--                    DATABASE_URL set to it, from /etc/dayanisma/owner.env, root only). Never used by the app.
--   dayanisma_app    what the app connects as (DATABASE_URL in /etc/dayanisma/dayanisma.env). Owns nothing, so it
--                    cannot ALTER, DROP or disable triggers on any table; grants.sql gives it rows only, and on the
--                    audit log only SELECT and INSERT.
CREATE ROLE dayanisma_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
CREATE ROLE dayanisma_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT CONNECTION LIMIT 200;
-- A runaway query or a forgotten transaction must not hold the audit chain's head lock for long.
ALTER ROLE dayanisma_app SET statement_timeout = '30s';
ALTER ROLE dayanisma_app SET idle_in_transaction_session_timeout = '60s';
ALTER ROLE dayanisma_app SET lock_timeout = '10s';

CREATE DATABASE dayanisma OWNER dayanisma_owner ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'
    TEMPLATE template0;
\connect dayanisma
-- Nobody else may create objects in public; the app may only use it.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO dayanisma_owner;
GRANT USAGE ON SCHEMA public TO dayanisma_app;
REVOKE ALL ON DATABASE dayanisma FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE dayanisma TO dayanisma_app;
