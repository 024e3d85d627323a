-- 006: accounts. Who may sign in (users), what they hold (memberships: a role in a branch, or admin
-- everywhere), and who is signed in (sessions). Passwords are Argon2id hashes made by libsodium
-- (crypto_pwhash_str); a session's token is never stored, only its SHA-256.

CREATE TABLE users (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	login text NOT NULL CONSTRAINT users_login_key UNIQUE
		CONSTRAINT users_login_check CHECK (login ~ '^[a-z0-9][a-z0-9._@-]{0,63}$'),
	name text NOT NULL DEFAULT '' CONSTRAINT users_name_check CHECK (length(name) <= 200),
	password_hash text NOT NULL,
	status text NOT NULL DEFAULT 'active'
		CONSTRAINT users_status_check CHECK (status IN ('active', 'disabled')),
	-- Failed sign-ins since the last good one, and until when the account is held off.
	failed_logins integer NOT NULL DEFAULT 0,
	locked_until timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	version integer NOT NULL DEFAULT 1
);

-- A role in a branch. admin is the one role of every branch, written as branch '*'.
CREATE TABLE memberships (
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	branch text NOT NULL CONSTRAINT memberships_branch_check CHECK (branch <> '' AND length(branch) <= 200),
	role text NOT NULL
		CONSTRAINT memberships_role_check CHECK (role IN ('rep', 'manager', 'finance', 'hr', 'admin')),
	PRIMARY KEY (user_id, branch, role),
	CONSTRAINT memberships_admin_check CHECK ((role = 'admin') = (branch = '*'))
);

CREATE TABLE sessions (
	token_hash bytea PRIMARY KEY CONSTRAINT sessions_token_hash_check CHECK (length(token_hash) = 32),
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_seen timestamptz NOT NULL DEFAULT now(),	-- for the idle lifetime
	expires_at timestamptz NOT NULL			-- the absolute lifetime
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- Every change that ends or narrows someone's rights, in order, so that whoever holds their
-- rights in memory (a worker's cache, the relay's open streams) can follow it: a session ended
-- (logout, expiry), the account disabled or its password changed, a membership changed.
CREATE TABLE auth_changes (
	seq bigserial PRIMARY KEY,
	user_id uuid NOT NULL,
	why text NOT NULL CONSTRAINT auth_changes_why_check
		CHECK (why IN ('logout', 'disabled', 'password_changed', 'rights_changed')),
	at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_changes_at_idx ON auth_changes (at);

-- Disabling an account or changing its password ends every session of it.
CREATE FUNCTION fs_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.status = 'disabled' AND OLD.status <> 'disabled' THEN
		DELETE FROM sessions WHERE user_id = NEW.id;
		INSERT INTO auth_changes (user_id, why) VALUES (NEW.id, 'disabled');
	-- A rehash on sign-in (new Argon2 parameters, same password) sets fieldsync.rehash for its
	-- transaction: it ends no session.
	ELSIF NEW.password_hash <> OLD.password_hash
	      AND coalesce(current_setting('fieldsync.rehash', true), '') <> 'on' THEN
		DELETE FROM sessions WHERE user_id = NEW.id;
		INSERT INTO auth_changes (user_id, why) VALUES (NEW.id, 'password_changed');
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER users_changed AFTER UPDATE OF status, password_hash ON users
	FOR EACH ROW EXECUTE FUNCTION fs_user_changed();

CREATE FUNCTION fs_membership_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO auth_changes (user_id, why)
	VALUES (CASE TG_OP WHEN 'DELETE' THEN OLD.user_id ELSE NEW.user_id END, 'rights_changed');
	RETURN NULL;
END
$$;

CREATE TRIGGER memberships_changed AFTER INSERT OR UPDATE OR DELETE ON memberships
	FOR EACH ROW EXECUTE FUNCTION fs_membership_changed();

CREATE FUNCTION fs_session_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO auth_changes (user_id, why) VALUES (OLD.user_id, 'logout');
	RETURN NULL;
END
$$;

CREATE TRIGGER sessions_ended AFTER DELETE ON sessions
	FOR EACH ROW EXECUTE FUNCTION fs_session_ended();
