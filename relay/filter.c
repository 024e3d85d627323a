/* filter.c - a stream's types= and branch=, checked once and applied to every frame. */
#include <stdlib.h>
#include <string.h>

#include "filter.h"

enum fs_err
filter_init(struct filter *f, const char *types, const char *branch, const struct fs_tables *known,
    struct fs_error *err)
{
	memset(f, 0, sizeof(*f));
	f->types.all = 1;
	if (types && fs_types_parse(&f->types, types, known, err) != FS_OK)
		return err->code;
	if (branch && (!*branch || strlen(branch) > FILTER_MAX_BRANCH))
		return fs_error_set(err, ERR_INVALID_PARAMETER, "branch", "branch must be 1 to %d bytes",
		    FILTER_MAX_BRANCH);
	if (branch && !(f->branch = strdup(branch)))
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	return FS_OK;
}

int
filter_wants(const struct filter *f, const struct frame *fr)
{
	return fs_types_match(&f->types, frame_type(fr), fr->type_len)
	    && (!f->branch || strcmp(frame_branch(fr), f->branch) == 0);
}

void
filter_release(struct filter *f)
{
	fs_types_release(&f->types);
	f->types.all = 1;
	free(f->branch);
	f->branch = NULL;
}
