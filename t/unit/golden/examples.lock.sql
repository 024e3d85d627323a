SELECT row_to_json(t)::text, t.branch, NULL::text, t.status::text, t.version FROM examples t WHERE t.id = $1::uuid FOR UPDATE
