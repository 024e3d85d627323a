/* fs_describe.c - the declaration of a resource as JSON. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fs_describe.h"
#include "fs_json.h"
#include "fs_model.h"

/* Adds the optional facts of C to the column object O; false when out of memory. */
static bool
add_column_facts(cJSON *o, const struct fs_column *c)
{
	cJSON *v;

	if (c->values) {
		if (!(v = cJSON_AddArrayToObject(o, "values")))
			return false;
		for (const char *const *e = c->values; *e; e++)
			if (!cJSON_AddItemToArray(v, cJSON_CreateString(*e)))
				return false;
	}
	if (c->dflt && !(c->type == COL_INT ? cJSON_AddRawToObject(o, "default", c->dflt)
	    : cJSON_AddStringToObject(o, "default", c->dflt)))
		return false;
	if (c->type == COL_TEXT && !cJSON_AddNumberToObject(o, "max_length", fs_model_max_len(c)))
		return false;
	if ((c->flags & COL_HAS_MIN) && !cJSON_AddNumberToObject(o, "min", c->min))
		return false;
	if ((c->flags & COL_MIN_EXCLUSIVE) && !cJSON_AddTrueToObject(o, "min_exclusive"))
		return false;
	if ((c->flags & COL_HAS_MAX) && !cJSON_AddNumberToObject(o, "max", c->max))
		return false;
	if (c->scale && !cJSON_AddNumberToObject(o, "scale", c->scale))
		return false;
	if (c->precision && !cJSON_AddNumberToObject(o, "precision", c->precision))
		return false;
	if (c->references && !cJSON_AddStringToObject(o, "references", c->references))
		return false;
	if ((c->flags & COL_UNIQUE) && !cJSON_AddTrueToObject(o, "unique"))
		return false;
	if (c->rule && !cJSON_AddStringToObject(o, "rule", c->rule))
		return false;
	if (c->example) {
		/* A declaration whose example is not JSON is a bug: refuse to describe it. */
		if (!(v = cJSON_Parse(c->example)) || !cJSON_AddItemToObject(o, "example", v)) {
			cJSON_Delete(v);
			return false;
		}
	}
	return true;
}

/* Appends the columns of the {NULL}-terminated list COLS to the array A. */
static bool
add_columns(cJSON *a, const struct fs_column *cols, bool common)
{
	for (const struct fs_column *c = cols; c->name; c++) {
		cJSON *o = cJSON_CreateObject();

		if (!cJSON_AddItemToArray(a, o)
		    || !cJSON_AddStringToObject(o, "name", c->name)
		    || !cJSON_AddStringToObject(o, "type", fs_model_type_name(c->type))
		    || !cJSON_AddBoolToObject(o, "required", (c->flags & COL_REQUIRED) != 0)
		    || (common && !cJSON_AddTrueToObject(o, "common"))
		    || ((c->flags & COL_READONLY) && !cJSON_AddTrueToObject(o, "readonly"))
		    || !add_column_facts(o, c))
			return false;
	}
	return true;
}

/* Appends every filter slot of RES to the array A. */
static bool
add_filters(cJSON *a, const struct fs_resource *res)
{
	for (int i = 0; i < fs_model_nfilters(res); i++) {
		const struct fs_filter *f = fs_model_filter(res, i);
		cJSON *o = cJSON_CreateObject(), *cols;

		if (!cJSON_AddItemToArray(a, o) || !cJSON_AddStringToObject(o, "name", f->name)
		    || !cJSON_AddStringToObject(o, "kind", fs_model_filter_kind_name(f->kind))
		    || !(cols = cJSON_AddArrayToObject(o, "columns")))
			return false;
		for (int k = 0; k < FS_FILTER_COLUMNS && f->columns[k]; k++)
			if (!cJSON_AddItemToArray(cols, cJSON_CreateString(f->columns[k])))
				return false;
	}
	return true;
}

/* Adds the names of the FS_* bits in OPS to O as the array NAME. */
static bool
add_ops(cJSON *o, const char *name, unsigned ops)
{
	static const struct { unsigned bit; const char *word; } words[] = {
		{ FS_OP_READ, "read" }, { FS_OP_CREATE, "create" }, { FS_OP_UPDATE, "update" },
		{ FS_OP_DELETE, "delete" },
	};
	cJSON *a = cJSON_AddArrayToObject(o, name);

	for (size_t i = 0; a && i < sizeof(words) / sizeof(words[0]); i++)
		if ((ops & words[i].bit) && !cJSON_AddItemToArray(a, cJSON_CreateString(words[i].word)))
			return false;
	return a != NULL;
}

/* Adds the NULL-terminated VALUES to O as the array NAME; nothing when VALUES is NULL. */
static bool
add_values(cJSON *o, const char *name, const char *const *values)
{
	cJSON *a;

	if (!values)
		return true;
	if (!(a = cJSON_AddArrayToObject(o, name)))
		return false;
	for (const char *const *v = values; *v; v++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(*v)))
			return false;
	return true;
}

/* Adds the grants of RES to the object P, one member per role. */
static bool
add_permissions(cJSON *p, const struct fs_resource *res)
{
	for (const struct fs_grant *g = res->grants; g && g->role; g++) {
		cJSON *o = cJSON_AddObjectToObject(p, g->role);

		if (!o || !add_ops(o, "ops", g->ops) || !add_ops(o, "own", g->own)
		    || !add_values(o, "sets", g->sets) || !add_values(o, "while_in", g->while_in))
			return false;
	}
	return true;
}

char *
fs_describe(const struct fs_resource *res)
{
	cJSON *root = cJSON_CreateObject(), *cols, *filters, *perms;
	bool ok = root
	    && cJSON_AddStringToObject(root, "kind", "resource")
	    && cJSON_AddStringToObject(root, "path", res->path)
	    && cJSON_AddStringToObject(root, "table", res->table)
	    && cJSON_AddStringToObject(root, "noun", res->noun ? res->noun : res->path)
	    && cJSON_AddStringToObject(root, "label", res->label ? res->label : "id")
	    && cJSON_AddStringToObject(root, "sort", res->sort)
	    && cJSON_AddBoolToObject(root, "sort_desc", res->sort_desc)
	    && (cols = cJSON_AddArrayToObject(root, "columns")) != NULL
	    && add_columns(cols, fs_model_leading, true)
	    && add_columns(cols, res->columns, false)
	    && add_columns(cols, fs_model_trailing, true)
	    && (filters = cJSON_AddArrayToObject(root, "filters")) != NULL
	    && add_filters(filters, res)
	    && (perms = cJSON_AddObjectToObject(root, "permissions")) != NULL
	    && add_permissions(perms, res)
	    && (!res->owner || cJSON_AddStringToObject(root, "owner", res->owner))
	    && (!res->approver || cJSON_AddStringToObject(root, "approver", res->approver))
	    && (!res->approved || cJSON_AddStringToObject(root, "approved", res->approved));
	char *text = ok ? fs_json_print(root) : NULL;

	cJSON_Delete(root);
	return text;
}
