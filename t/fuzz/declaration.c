/*
 * declaration.c - one resource's declaration as shipped, for the fuzz targets: compiled once
 * per cgi-bin/<name>.c, with FUZZ_SOURCE its path and FUZZ_RESOURCE the name of its
 * struct fs_resource (each file has its own static tables, so one translation unit each).
 */
#include "resources.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

#define main CAT(FUZZ_RESOURCE, _main)
int main(int argc, char **argv);
#include FUZZ_SOURCE
#undef main

const struct fs_resource *const CAT(fuzz_, FUZZ_RESOURCE) = &FUZZ_RESOURCE;
