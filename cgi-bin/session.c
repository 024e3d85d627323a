/* session.fcgi - signing in and out: POST, GET and DELETE /api/session (see lib/fs_session.h). */
#include "fs_serve.h"

int
main(int argc, char **argv)
{
	return fs_serve_session(argc, argv);
}
