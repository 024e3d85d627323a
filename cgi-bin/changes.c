/* changes.fcgi - the change log as a feed: GET /api/changes?since=N (see lib/fs_changes.h). */
#include "fs_serve.h"

int
main(int argc, char **argv)
{
	return fs_serve_changes(argc, argv);
}
