SELECT set_config('fieldsync.actor', $1, true)
