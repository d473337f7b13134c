/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A frontend's store directory as a table, for KUnit suites that test a
 * backend's negotiation without a store: the backend's key reader
 * (pvio_blkback_read_fn, pvio_nb_read_fn) gets pvio_kunit_keys_read()
 * and a struct pvio_kunit_keys as its context.
 */
#ifndef _PVIO_KUNIT_KEYS_H
#define _PVIO_KUNIT_KEYS_H

#include <linux/errno.h>
#include <linux/string.h>

/**
 * struct pvio_kunit_key - one unsigned key of the frontend's directory "fe"
 * @dir: the subdirectory below "fe": "" or e.g. "queue-1"
 * @node: the key's name
 * @val: its value
 */
struct pvio_kunit_key {
	const char *dir;
	const char *node;
	unsigned int val;
};

/**
 * struct pvio_kunit_keys - the frontend's directory "fe"
 * @keys: its keys
 * @n: how many
 */
struct pvio_kunit_keys {
	const struct pvio_kunit_key *keys;
	unsigned int n;
};

/**
 * pvio_kunit_keys_read() - read one key of the table, as a backend's
 * key reader reads the store
 * @ctx: the struct pvio_kunit_keys
 * @dir: "fe" or "fe/<subdirectory>"
 * @node: the key's name
 * @val: where its value goes
 *
 * Context: any.
 * Return: 0, or -ENOENT for a key the table does not have (a directory
 * other than "fe" included).
 */
static inline int pvio_kunit_keys_read(void *ctx, const char *dir,
				       const char *node, unsigned int *val)
{
	const struct pvio_kunit_keys *fs = ctx;
	unsigned int i;

	if (strncmp(dir, "fe", 2))
		return -ENOENT;
	dir += 2;
	if (*dir == '/')
		dir++;
	for (i = 0; i < fs->n; i++) {
		if (!strcmp(fs->keys[i].dir, dir) &&
		    !strcmp(fs->keys[i].node, node)) {
			*val = fs->keys[i].val;
			return 0;
		}
	}
	return -ENOENT;
}

#endif /* _PVIO_KUNIT_KEYS_H */
