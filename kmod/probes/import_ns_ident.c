// SPDX-License-Identifier: GPL-2.0
/*
 * Probe: MODULE_IMPORT_NS() takes the namespace as an identifier, which it
 * stringifies (before 6.13). From 6.13 it takes a string literal, and an
 * identifier here is a syntax error. (A string literal compiles with both,
 * but before 6.13 names a namespace with the quotes in it.)
 */
#include <linux/module.h>

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
