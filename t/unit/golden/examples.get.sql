SELECT row_to_json(t)::text, t.version FROM examples t WHERE t.id = $1::uuid AND ($2::text[] IS NULL OR t.branch = ANY ($2::text[]))
