/* health.fcgi - GET /api/health: the database, its schema and every service's socket (see lib/fs_health.h). */
#include "fs_serve.h"

int
main(int argc, char **argv)
{
	return fs_serve_health(argc, argv);
}
