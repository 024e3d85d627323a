/* fs_dispatch.c - a resource's requests by method. */
#include "fs_dispatch.h"
#include "fs_read.h"
#include "fs_write.h"

void
fs_dispatch(struct fs_worker *w, struct fs_request *req)
{
	if (req->method == M_OPTIONS) {
		fs_http_preflight(req);
		return;
	}
	/* Nothing is answered to anyone without a session, not even that a method is wrong. */
	w->user = NULL;
	if (fs_auth_require(&w->auth, req, &w->user, &req->err) != FS_OK)
		return;
	switch (req->method) {
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
