/* fs_dispatch.c - a resource's requests by method. */
#include "fs_dispatch.h"
#include "fs_read.h"
#include "fs_write.h"

void
fs_dispatch(struct fs_worker *w, struct fs_request *req)
{
	switch (req->method) {
	case M_OPTIONS:
		fs_http_preflight(req);
		break;
	case M_GET:
	case M_HEAD:
		fs_read_handle(w, req);
		break;
	case M_POST:
	case M_PUT:
	case M_DELETE:
		fs_write_handle(w, req);
		break;
	default:
		fs_error_set(&req->err, ERR_METHOD_NOT_ALLOWED, NULL, "use one of " FS_ALLOW);
		break;
	}
}
