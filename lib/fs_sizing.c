/* fs_sizing.c - workers per pool from the cores and the host's connection budget. */
#include <sched.h>
#include <unistd.h>

#include "fs_sizing.h"

int
fs_sizing_cores(void)
{
	cpu_set_t set;
	long online;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	online = sysconf(_SC_NPROCESSORS_ONLN);
	return online > 0 ? (int)online : 1;
}

int
fs_sizing_workers(const struct fs_config *cfg, int cores, int pools)
{
	int n = cores, budget = (cfg->connections - FS_RELAY_CONNECTIONS) / (pools > 0 ? pools : 1);

	if (cfg->workers > 0)
		return cfg->workers;
	if (n > budget)
		n = budget;
	if (n > FS_MAX_WORKERS)
		n = FS_MAX_WORKERS;
	return n < 1 ? 1 : n;
}
