/* metrics.fcgi - GET /api/metrics: every pool's counters in Prometheus' text format (see lib/fs_metrics.h). */
#include "fs_serve.h"

int
main(int argc, char **argv)
{
	return fs_serve_metrics(argc, argv);
}
