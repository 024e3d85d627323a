-- 008: who approved a stock or leave request (issue 8), as cash requests already record it.
--
-- The column is the server's: a worker sets it to the login of the user whose change moves the
-- row to "approved" (the resource's declaration names the column and the status), and ignores
-- whatever a client sends.

ALTER TABLE stock_requests ADD COLUMN approved_by text;
ALTER TABLE leave_requests ADD COLUMN approved_by text;
