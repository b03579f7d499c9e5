-- Objects beyond internal/catalog/testdata/fixture.sql that pg_dump writes
-- in the pre-data and post-data sections, for the schema package's tests.
-- Run after the fixture.

-- Extensions in three schemas: public, a schema of their own, "Sales Dept".
CREATE EXTENSION citext;
CREATE SCHEMA ext;
CREATE EXTENSION pg_trgm WITH SCHEMA ext;
CREATE EXTENSION hstore WITH SCHEMA "Sales Dept";

CREATE TABLE ext.docs (id int PRIMARY KEY, body text NOT NULL);
CREATE INDEX docs_body_trgm ON ext.docs USING gin (body ext.gin_trgm_ops);
CREATE TABLE "Sales Dept".attrs (id int PRIMARY KEY, a "Sales Dept".hstore);

-- Schema names that pg_dump's pattern syntax would read as wildcards.
CREATE SCHEMA "x?y";
CREATE SCHEMA xzy;
CREATE TABLE "x?y".t (id int);
CREATE TABLE xzy.t (id int);

-- Types, domains, functions, views, triggers, rules, policies, statistics.
CREATE DOMAIN email AS citext CHECK (VALUE LIKE '%@%');
CREATE TYPE money_range AS RANGE (subtype = numeric);
CREATE TYPE address AS (street text, city text);
CREATE TABLE contacts (
    id       int PRIMARY KEY,
    email    email NOT NULL,
    home     address,
    budget   money_range,
    nick     text CHECK (nick <> ''),
    added_by text NOT NULL DEFAULT current_user
);
COMMENT ON TABLE contacts IS 'people we talk to';
COMMENT ON COLUMN contacts.email IS 'case-insensitive';
CREATE INDEX contacts_lower_nick ON contacts (lower(nick)) WHERE nick IS NOT NULL;

CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.nick := coalesce(NEW.nick, 'anon');
    RETURN NEW;
END
$$;
CREATE TRIGGER contacts_touch BEFORE INSERT ON contacts
    FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql STABLE
    BEGIN ATOMIC SELECT count(*) FROM users; END;

CREATE VIEW happy_users AS SELECT id, email FROM users WHERE mood = 'happy';
CREATE MATERIALIZED VIEW order_totals AS
    SELECT order_id, shop_id, sum(total) AS total FROM order_items GROUP BY 1, 2;
CREATE UNIQUE INDEX order_totals_key ON order_totals (order_id, shop_id);
CREATE RULE audit_log_no_delete AS ON DELETE TO audit_log DO INSTEAD NOTHING;

ALTER TABLE shops ENABLE ROW LEVEL SECURITY;
CREATE POLICY shops_north ON shops USING (name = 'North');
CREATE STATISTICS users_stats ON country, mood FROM users;
CREATE INDEX events_kind ON events (kind);

-- Privileges, kept only with KeepOwners.
DO $$BEGIN
    CREATE ROLE pgtwin_schema_reader;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END$$;
GRANT SELECT ON users TO pgtwin_schema_reader;
GRANT USAGE ON SCHEMA "Sales Dept" TO pgtwin_schema_reader;
