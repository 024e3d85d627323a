-- 000: the first resource table. pg_trgm comes first because the search filters of this and later
-- tables use trigram indexes (it is a trusted extension, so the database owner may create it).
-- Constraint names are a contract: the API maps a violated constraint back to the field by its name
-- (<table>_<field>_check, <table>_<column>_fkey, <table>_<column>_key), so every one is named.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE distributors (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	branch text NOT NULL CONSTRAINT distributors_branch_check CHECK (branch <> ''),
	name text NOT NULL,
	code text CONSTRAINT distributors_code_key UNIQUE,
	region text,
	contact_name text,
	phone text,
	email text CONSTRAINT distributors_email_check CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
	address text,
	status text NOT NULL DEFAULT 'active'
		CONSTRAINT distributors_status_check CHECK (status IN ('active', 'suspended', 'terminated')),
	notes text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	version integer NOT NULL DEFAULT 1
);

-- branch leads every list filter; carrying the sort key and id lets a branch-filtered page be read in
-- keyset order straight from this index.
CREATE INDEX distributors_branch_idx ON distributors (branch, name, id);
CREATE INDEX distributors_status_idx ON distributors (status);
-- the keyset sort: ORDER BY name, id with (name, id) > (after)
CREATE INDEX distributors_name_id_idx ON distributors (name, id);
-- search is a case-insensitive substring match (ILIKE '%…%'), which only trigram indexes serve
CREATE INDEX distributors_name_trgm_idx ON distributors USING gin (name gin_trgm_ops);
CREATE INDEX distributors_code_trgm_idx ON distributors USING gin (code gin_trgm_ops);
CREATE INDEX distributors_contact_name_trgm_idx ON distributors USING gin (contact_name gin_trgm_ops);
CREATE INDEX distributors_region_trgm_idx ON distributors USING gin (region gin_trgm_ops);
