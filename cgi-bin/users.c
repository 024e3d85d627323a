/* users.fcgi - the accounts, for admins: /api/users (see lib/fs_users.h). */
#include "fs_serve.h"

int
main(int argc, char **argv)
{
	return fs_serve_users(argc, argv);
}
