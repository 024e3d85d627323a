-- 001: free-form agreement terms per distributor. jsonb keeps them queryable without a column per term;
-- the CHECK keeps the top level an object so clients can always merge keys into it.

ALTER TABLE distributors
	ADD COLUMN agreement_data jsonb
		CONSTRAINT distributors_agreement_data_check
		CHECK (agreement_data IS NULL OR jsonb_typeof(agreement_data) = 'object');
