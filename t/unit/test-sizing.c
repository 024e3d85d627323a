/* test-sizing.c - workers per pool: one per core, within the host's connection budget. */
#include "fs_config.h"
#include "fs_sizing.h"
#include "tap.h"

int
main(void)
{
	struct fs_config cfg;

	fs_config_defaults(&cfg);
	is_int(cfg.connections, 64, "the host's budget is 64 connections by default");
	is_int(fs_sizing_workers(&cfg, 2, 13), 2, "2 cores, 13 pools: one per core, 2");
	ok(13 * fs_sizing_workers(&cfg, 2, 13) + FS_RELAY_CONNECTIONS <= cfg.connections,
	    "... and every pool and the relay fit the budget");
	is_int(fs_sizing_workers(&cfg, 16, 13), 4, "16 cores: the budget bounds it at 4");
	ok(13 * fs_sizing_workers(&cfg, 16, 13) + FS_RELAY_CONNECTIONS <= cfg.connections,
	    "... within the budget still");
	is_int(fs_sizing_workers(&cfg, 1, 13), 1, "1 core: 1");
	cfg.connections = 400;
	is_int(fs_sizing_workers(&cfg, 16, 13), 16, "16 cores, 400 connections: 16, one per core");
	is_int(fs_sizing_workers(&cfg, 48, 13), 30, "48 cores, 400 connections: the budget, 30 (396 / 13)");
	cfg.connections = 10000;
	is_int(fs_sizing_workers(&cfg, 64, 13), FS_MAX_WORKERS, "never more than FS_MAX_WORKERS");
	cfg.connections = 10;
	is_int(fs_sizing_workers(&cfg, 8, 13), 1, "a budget too small for every pool still gives 1");
	cfg.workers = 7;
	is_int(fs_sizing_workers(&cfg, 2, 13), 7, "[workers] count wins over the derivation");
	ok(fs_sizing_cores() >= 1, "this machine has at least one core (%d)", fs_sizing_cores());
	return done_testing();
}
