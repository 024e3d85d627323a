/*
 * fs_sizing.h - how many workers a FastCGI pool starts, within the host's share of
 * PostgreSQL connections.
 *
 * Each worker holds one connection. One per core keeps the cores busy: a worker reads on
 * while PostgreSQL runs the GETs by id it sent (fs_pg_stream.h), so it seldom waits. Every
 * pool of the host multiplies them, and PostgreSQL refuses connections past max_connections:
 * the derived count is also bounded so that all pools and the relay stay within
 * [database] connections:
 *
 *     workers = max(1, min(cores, (connections − FS_RELAY_CONNECTIONS) / FS_POOLS))
 *
 * With the default 64 on 2 cores: min(2, 60 / 13) = 2 workers, 13 × 2 + 4 = 30 connections;
 * on 16 cores 4 (the budget bounds it) until the admin gives the host more.
 */
#ifndef FS_SIZING_H
#define FS_SIZING_H

#include "fs_config.h"

/* The relay's connections: one per lane (delivery, catch-up, control, upkeep). */
#define FS_RELAY_CONNECTIONS 4

/* The CPUs this process may run on (its affinity mask, so a container's limit counts). */
int fs_sizing_cores(void);

/*
 * Workers per pool: CFG's [workers] count when set, else derived as above for CORES cores and
 * POOLS pools (the FastCGI programs of this build, FS_POOLS).
 */
int fs_sizing_workers(const struct fs_config *cfg, int cores, int pools);

#endif
