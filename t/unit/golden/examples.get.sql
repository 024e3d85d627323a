SELECT row_to_json(t)::text, t.version FROM examples t WHERE t.id = $1::uuid
