-- 012: search= stays index-backed as tables grow. The search filter matches its columns with
-- ILIKE '%text%', which no btree can serve: over 100,000 rows it read them all (bench/README:
-- the plan before and after). pg_trgm's GIN indexes serve ILIKE with a pattern of three or more
-- characters; one index per table holds every column its search= covers (the resource's
-- declaration in cgi-bin/<resource>.c names them), each OR'ed column a bitmap scan of it.
-- pg_trgm is a trusted extension: the database's owner, who migrates, may create it.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX clients_search_idx ON clients USING gin (name gin_trgm_ops, email gin_trgm_ops,
	phone gin_trgm_ops);
CREATE INDEX distributors_search_idx ON distributors USING gin (name gin_trgm_ops,
	code gin_trgm_ops, contact_name gin_trgm_ops, region gin_trgm_ops);
CREATE INDEX campaigns_search_idx ON campaigns USING gin (name gin_trgm_ops, channel gin_trgm_ops);
CREATE INDEX visits_search_idx ON visits USING gin (agent gin_trgm_ops, notes gin_trgm_ops);
