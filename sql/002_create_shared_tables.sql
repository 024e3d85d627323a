-- 002: the other seven resource tables. Same conventions as distributors (000): common columns first and
-- last, every constraint named <table>_<field>_check / _fkey / _key after the field the user must fix
-- (for a cross-field check, the later field), and foreign keys left at the default NO ACTION so that
-- deleting a row still referenced fails instead of cascading.

-- Stock request items: a non-empty array of {sku: non-empty string, name: string, quantity: number > 0}.
-- A function because a CHECK cannot hold a subquery. CASE guards each step: jsonb_array_length and
-- jsonb_array_elements raise on a non-array, and the cast to numeric is only safe on a JSON number.
CREATE FUNCTION fs_valid_stock_items(items jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE
		WHEN items IS NULL OR jsonb_typeof(items) <> 'array' THEN false
		WHEN jsonb_array_length(items) = 0 THEN false
		ELSE NOT EXISTS (
			SELECT 1
			FROM jsonb_array_elements(items) AS e(item)
			WHERE CASE
				WHEN jsonb_typeof(item) <> 'object' THEN true
				WHEN jsonb_typeof(item -> 'sku') IS DISTINCT FROM 'string' THEN true
				WHEN item ->> 'sku' = '' THEN true
				WHEN jsonb_typeof(item -> 'name') IS DISTINCT FROM 'string' THEN true
				WHEN jsonb_typeof(item -> 'quantity') IS DISTINCT FROM 'number' THEN true
				ELSE (item ->> 'quantity')::numeric <= 0
			END)
	END
$$;

CREATE TABLE clients (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	branch text NOT NULL CONSTRAINT clients_branch_check CHECK (branch <> ''),
	name text NOT NULL,
	distributor_id uuid CONSTRAINT clients_distributor_id_fkey REFERENCES distributors (id),
	phone text,
	email text CONSTRAINT clients_email_check CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
	address text,
	category text,
	status text NOT NULL DEFAULT 'prospect'
		CONSTRAINT clients_status_check CHECK (status IN ('prospect', 'active', 'inactive')),
	notes text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	version integer NOT NULL DEFAULT 1
);

CREATE TABLE appointments (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	branch text NOT NULL CONSTRAINT appointments_branch_check CHECK (branch <> ''),
	client_id uuid NOT NULL CONSTRAINT appointments_client_id_fkey REFERENCES clients (id),
	scheduled_at timestamptz NOT NULL,
	duration_minutes integer DEFAULT 30
		CONSTRAINT appointments_duration_minutes_check CHECK (duration_minutes BETWEEN 1 AND 1440),
	assigned_to text,
	purpose text,
	status text NOT NULL DEFAULT 'scheduled'
		CONSTRAINT appointments_status_check
		CHECK (status IN ('scheduled', 'completed', 'cancelled', 'no_show')),
	notes text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	version integer NOT NULL DEFAULT 1
);

CREATE TABLE stock_requests (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	branch text NOT NULL CONSTRAINT stock_requests_branch_check CHECK (branch <> ''),
	distributor_id uuid CONSTRAINT stock_requests_distributor_id_fkey REFERENCES distributors (id),
	requested_by text NOT NULL,
	items jsonb NOT NULL CONSTRAINT stock_requests_items_check CHECK (fs_valid_stock_items(items)),
	needed_by date,
	status text NOT NULL DEFAULT 'pending'
		CONSTRAINT stock_requests_status_check
		CHECK (status IN ('pending', 'approved', 'rejected', 'fulfilled')),
	notes text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	version integer NOT NULL DEFAULT 1
);

CREATE TABLE visits (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	branch text NOT NULL CONSTRAINT visits_branch_check CHECK (branch <> ''),
	client_id uuid NOT NULL CONSTRAINT visits_client_id_fkey REFERENCES clients (id),
	visited_at timestamptz NOT NULL,
	agent text NOT NULL,
	latitude double precision CONSTRAINT visits_latitude_check CHECK (latitude BETWEEN -90 AND 90),
	longitude double precision CONSTRAINT visits_longitude_check CHECK (longitude BETWEEN -180 AND 180),
	outcome text
		CONSTRAINT visits_outcome_check CHECK (outcome IN ('order', 'follow_up', 'no_interest', 'closed')),
	notes text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	version integer NOT NULL DEFAULT 1
);

CREATE TABLE campaigns (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	branch text NOT NULL CONSTRAINT campaigns_branch_check CHECK (branch <> ''),
	name text NOT NULL,
	channel text,
	starts_on date NOT NULL,
	-- named after ends_on: that is the field to fix when a campaign ends before it starts
	ends_on date CONSTRAINT campaigns_ends_on_check CHECK (ends_on IS NULL OR ends_on >= starts_on),
	budget numeric(12, 2) CONSTRAINT campaigns_budget_check CHECK (budget >= 0),
	status text NOT NULL DEFAULT 'draft'
		CONSTRAINT campaigns_status_check CHECK (status IN ('draft', 'active', 'paused', 'ended')),
	details jsonb CONSTRAINT campaigns_details_check CHECK (details IS NULL OR jsonb_typeof(details) = 'object'),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	version integer NOT NULL DEFAULT 1
);

CREATE TABLE finance_cash_requests (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	branch text NOT NULL CONSTRAINT finance_cash_requests_branch_check CHECK (branch <> ''),
	requested_by text NOT NULL,
	amount numeric(12, 2) NOT NULL CONSTRAINT finance_cash_requests_amount_check CHECK (amount > 0),
	-- the shape of an ISO 4217 code; the list of codes changes too often to pin here
	currency text NOT NULL DEFAULT 'USD'
		CONSTRAINT finance_cash_requests_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
	purpose text NOT NULL,
	needed_by date,
	status text NOT NULL DEFAULT 'pending'
		CONSTRAINT finance_cash_requests_status_check
		CHECK (status IN ('pending', 'approved', 'rejected', 'paid')),
	approved_by text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	version integer NOT NULL DEFAULT 1
);

CREATE TABLE leave_requests (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	branch text NOT NULL CONSTRAINT leave_requests_branch_check CHECK (branch <> ''),
	employee text NOT NULL,
	leave_type text NOT NULL DEFAULT 'annual'
		CONSTRAINT leave_requests_leave_type_check CHECK (leave_type IN ('annual', 'sick', 'unpaid', 'other')),
	start_date date NOT NULL,
	-- named after end_date: that is the field to fix when the leave ends before it starts
	end_date date NOT NULL CONSTRAINT leave_requests_end_date_check CHECK (end_date >= start_date),
	status text NOT NULL DEFAULT 'pending'
		CONSTRAINT leave_requests_status_check
		CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
	reason text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	version integer NOT NULL DEFAULT 1
);

-- Indexes: one per API filter, and (sort key, id) for each list's keyset order (a backward scan serves
-- the newest-first lists). The branch indexes carry the sort key and id too, so a branch-filtered page
-- is read in order from one index. Foreign-key columns are indexed for their filter and so that deleting
-- a parent row does not scan the child table. Trigram GIN indexes serve the ILIKE '%…%' search filter.

CREATE INDEX clients_branch_idx ON clients (branch, name, id);
CREATE INDEX clients_status_idx ON clients (status);
CREATE INDEX clients_distributor_id_idx ON clients (distributor_id);
CREATE INDEX clients_name_id_idx ON clients (name, id);
CREATE INDEX clients_name_trgm_idx ON clients USING gin (name gin_trgm_ops);
CREATE INDEX clients_email_trgm_idx ON clients USING gin (email gin_trgm_ops);
CREATE INDEX clients_phone_trgm_idx ON clients USING gin (phone gin_trgm_ops);

CREATE INDEX appointments_branch_idx ON appointments (branch, scheduled_at, id);
CREATE INDEX appointments_status_idx ON appointments (status);
CREATE INDEX appointments_client_id_idx ON appointments (client_id);
CREATE INDEX appointments_scheduled_at_id_idx ON appointments (scheduled_at, id);
CREATE INDEX appointments_assigned_to_idx ON appointments (assigned_to);

CREATE INDEX stock_requests_branch_idx ON stock_requests (branch, created_at, id);
CREATE INDEX stock_requests_status_idx ON stock_requests (status);
CREATE INDEX stock_requests_distributor_id_idx ON stock_requests (distributor_id);
CREATE INDEX stock_requests_created_at_id_idx ON stock_requests (created_at, id);

CREATE INDEX visits_branch_idx ON visits (branch, visited_at, id);
CREATE INDEX visits_client_id_idx ON visits (client_id);
CREATE INDEX visits_visited_at_id_idx ON visits (visited_at, id);
CREATE INDEX visits_agent_idx ON visits (agent);
CREATE INDEX visits_agent_trgm_idx ON visits USING gin (agent gin_trgm_ops);
CREATE INDEX visits_notes_trgm_idx ON visits USING gin (notes gin_trgm_ops);

CREATE INDEX campaigns_branch_idx ON campaigns (branch, starts_on, id);
CREATE INDEX campaigns_status_idx ON campaigns (status);
CREATE INDEX campaigns_starts_on_id_idx ON campaigns (starts_on, id);
-- "active on that day" is starts_on <= d AND (ends_on IS NULL OR ends_on >= d)
CREATE INDEX campaigns_ends_on_idx ON campaigns (ends_on);
CREATE INDEX campaigns_name_trgm_idx ON campaigns USING gin (name gin_trgm_ops);
CREATE INDEX campaigns_channel_trgm_idx ON campaigns USING gin (channel gin_trgm_ops);

CREATE INDEX finance_cash_requests_branch_idx ON finance_cash_requests (branch, created_at, id);
CREATE INDEX finance_cash_requests_status_idx ON finance_cash_requests (status);
CREATE INDEX finance_cash_requests_created_at_id_idx ON finance_cash_requests (created_at, id);
CREATE INDEX finance_cash_requests_requested_by_idx ON finance_cash_requests (requested_by);

CREATE INDEX leave_requests_branch_idx ON leave_requests (branch, start_date, id);
CREATE INDEX leave_requests_status_idx ON leave_requests (status);
CREATE INDEX leave_requests_start_date_id_idx ON leave_requests (start_date, id);
-- "a day within start_date..end_date" bounds both columns
CREATE INDEX leave_requests_end_date_idx ON leave_requests (end_date);
CREATE INDEX leave_requests_employee_idx ON leave_requests (employee);
