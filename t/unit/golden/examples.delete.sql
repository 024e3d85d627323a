DELETE FROM examples t WHERE t.id = $1::uuid RETURNING t.id::text
