// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the pvio store core and its xs_wire layer: every request
 * goes through pvio_store_process() as a domain's ring would send it.
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/random.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <pvio/store.h>
#include "store.h"

struct st {
	struct pvio_store *s;
	struct pvio_store_conn *d0, *d1, *d2;
	u8 req[PVIO_XS_MSG_MAX + 64];
	u8 rsp[PVIO_XS_MSG_MAX];
	char val[PVIO_XS_MSG_MAX + 2];
	unsigned int notified;
};

static void st_notify(struct pvio_store_conn *conn, void *data)
{
	struct st *t = data;

	t->notified++;
}

static struct xsd_sockmsg *rhdr(struct st *t)
{
	return (struct xsd_sockmsg *)t->rsp;
}

static char *rpay(struct st *t)
{
	return (char *)t->rsp + sizeof(struct xsd_sockmsg);
}

/* Send a raw request; returns the reply type. */
static u32 raw(struct kunit *test, struct pvio_store_conn *c, u32 type,
	       u32 tx, const void *payload, u32 len)
{
	struct st *t = test->priv;
	struct xsd_sockmsg h = { .type = type, .req_id = 0x1234, .tx_id = tx,
				 .len = len };
	int ret;

	memcpy(t->req, &h, sizeof(h));
	if (len)
		memcpy(t->req + sizeof(h), payload, len);
	memset(t->rsp, 0xaa, sizeof(t->rsp));
	ret = pvio_store_process(c, t->req, sizeof(h) + len, t->rsp,
				 sizeof(t->rsp));
	KUNIT_ASSERT_GE(test, ret, (int)sizeof(h));
	KUNIT_ASSERT_EQ(test, ret, (int)(sizeof(h) + rhdr(t)->len));
	KUNIT_EXPECT_EQ(test, rhdr(t)->req_id, 0x1234u);
	KUNIT_EXPECT_EQ(test, rhdr(t)->tx_id, tx);
	return rhdr(t)->type;
}

/*
 * A request whose payload is @args with '|' turned into NUL, plus a final
 * NUL ("path|value" for WRITE gets no final NUL). Returns the reply
 * payload as a string: "OK", the value, strings joined with ',' (DIRECTORY,
 * GET_PERMS), or "!ERRNAME" for XS_ERROR.
 */
static const char *req(struct kunit *test, struct pvio_store_conn *c,
		       u32 type, u32 tx, const char *args)
{
	struct st *t = test->priv;
	char buf[512];
	unsigned int len = strlen(args), i;
	u32 rt;

	KUNIT_ASSERT_LT(test, len, sizeof(buf) - 1);
	memcpy(buf, args, len + 1);
	for (i = 0; i < len; i++)
		if (buf[i] == '|')
			buf[i] = 0;
	if (type != XS_WRITE)
		len++;
	rt = raw(test, c, type, tx, buf, len);
	len = rhdr(t)->len;
	if (rt == XS_ERROR) {
		t->val[0] = '!';
		KUNIT_EXPECT_EQ(test, rpay(t)[len - 1], 0);
		memcpy(t->val + 1, rpay(t), len);
		return t->val;
	}
	KUNIT_EXPECT_EQ(test, rt, type);
	memcpy(t->val, rpay(t), len);
	t->val[len] = 0;
	if (type == XS_DIRECTORY || type == XS_GET_PERMS) {
		for (i = 0; len && i < len - 1; i++)
			if (!t->val[i])
				t->val[i] = ',';
		if (len)
			t->val[len - 1] = 0;
	}
	return t->val;
}

#define W(c, tx, a)	req(test, c, XS_WRITE, tx, a)
#define R(c, tx, a)	req(test, c, XS_READ, tx, a)
#define D(c, tx, a)	req(test, c, XS_DIRECTORY, tx, a)
#define MK(c, tx, a)	req(test, c, XS_MKDIR, tx, a)
#define RM(c, tx, a)	req(test, c, XS_RM, tx, a)
#define GP(c, tx, a)	req(test, c, XS_GET_PERMS, tx, a)
#define SP(c, tx, a)	req(test, c, XS_SET_PERMS, tx, a)
#define WATCH(c, a)	req(test, c, XS_WATCH, 0, a)
#define UNWATCH(c, a)	req(test, c, XS_UNWATCH, 0, a)

static u32 tx_start(struct kunit *test, struct pvio_store_conn *c)
{
	const char *r = req(test, c, XS_TRANSACTION_START, 0, "");
	unsigned int id = 0;

	if (r[0] == '!' || kstrtouint(r, 10, &id))
		return 0;
	return id;
}

static const char *tx_end(struct kunit *test, struct pvio_store_conn *c,
			  u32 tx, bool commit)
{
	return req(test, c, XS_TRANSACTION_END, tx, commit ? "T" : "F");
}

/* The next pending event as "path|token", "" if none. */
static const char *ev(struct kunit *test, struct pvio_store_conn *c)
{
	struct st *t = test->priv;
	struct xsd_sockmsg *h = (struct xsd_sockmsg *)t->rsp;
	char *p = rpay(t);
	int n = pvio_store_pop_event(c, t->rsp, sizeof(t->rsp));

	if (n <= 0)
		return "";
	KUNIT_EXPECT_EQ(test, h->type, (u32)XS_WATCH_EVENT);
	KUNIT_EXPECT_EQ(test, n, (int)(sizeof(*h) + h->len));
	KUNIT_EXPECT_EQ(test, p[h->len - 1], 0);
	snprintf(t->val, sizeof(t->val), "%s|%s", p, p + strlen(p) + 1);
	return t->val;
}

static void drain(struct kunit *test, struct pvio_store_conn *c)
{
	while (ev(test, c)[0])
		;
}

static int st_init(struct kunit *test)
{
	struct st *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;
	t->s = pvio_store_create();
	KUNIT_ASSERT_NOT_NULL(test, t->s);
	t->d0 = pvio_store_conn_open(t->s, 0, st_notify, t);
	t->d1 = pvio_store_conn_open(t->s, 1, st_notify, t);
	t->d2 = pvio_store_conn_open(t->s, 2, st_notify, t);
	KUNIT_ASSERT_NOT_NULL(test, t->d0);
	KUNIT_ASSERT_NOT_NULL(test, t->d1);
	KUNIT_ASSERT_NOT_NULL(test, t->d2);
	KUNIT_ASSERT_EQ(test, pvio_store_domain_setup(t->s, 1), 0);
	KUNIT_ASSERT_EQ(test, pvio_store_domain_setup(t->s, 2), 0);
	return 0;
}

static void st_exit(struct kunit *test)
{
	struct st *t = test->priv;

	pvio_store_conn_close(t->d0);
	pvio_store_conn_close(t->d1);
	pvio_store_conn_close(t->d2);
	pvio_store_destroy(t->s);
}

/* ---- pvio_store ------------------------------------------------------- */

static void store_basic(struct kunit *test)
{
	struct st *t = test->priv;

	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/a/b/c|hello"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d0, 0, "/a/b/c"), "hello");
	KUNIT_EXPECT_STREQ(test, R(t->d0, 0, "/a/b"), "");
	KUNIT_EXPECT_STREQ(test, D(t->d0, 0, "/a"), "b");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/a/x|"), "OK");
	KUNIT_EXPECT_STREQ(test, D(t->d0, 0, "/a"), "b,x");
	KUNIT_EXPECT_STREQ(test, D(t->d0, 0, "/a/b/c"), "");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/a/b/c|bye"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d0, 0, "/a/b/c"), "bye");
	KUNIT_EXPECT_STREQ(test, MK(t->d0, 0, "/a/b"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d0, 0, "/a/b/c"), "bye");
	KUNIT_EXPECT_STREQ(test, MK(t->d0, 0, "/m/n"), "OK");
	KUNIT_EXPECT_STREQ(test, D(t->d0, 0, "/m"), "n");
	KUNIT_EXPECT_STREQ(test, R(t->d0, 0, "/nope"), "!ENOENT");

	KUNIT_EXPECT_STREQ(test, RM(t->d0, 0, "/a/b"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d0, 0, "/a/b/c"), "!ENOENT");
	KUNIT_EXPECT_STREQ(test, R(t->d0, 0, "/a/b"), "!ENOENT");
	KUNIT_EXPECT_STREQ(test, D(t->d0, 0, "/a"), "x");
	/* Removing what is gone is fine if the parent exists (xenstored). */
	KUNIT_EXPECT_STREQ(test, RM(t->d0, 0, "/a/b"), "OK");
	KUNIT_EXPECT_STREQ(test, RM(t->d0, 0, "/a/b/c"), "!ENOENT");
	KUNIT_EXPECT_STREQ(test, RM(t->d0, 0, "/"), "!EINVAL");
	KUNIT_EXPECT_STREQ(test, RM(t->d0, 0, "/a"), "OK");
	KUNIT_EXPECT_STREQ(test, RM(t->d0, 0, "/m"), "OK");
	KUNIT_EXPECT_STREQ(test, D(t->d0, 0, "/"), "tool,local");
	/* Binary values are kept as given. */
	KUNIT_EXPECT_EQ(test, raw(test, t->d0, XS_WRITE, 0, "/bin\0\x01\0\xff", 8),
			(u32)XS_WRITE);
	KUNIT_EXPECT_EQ(test, raw(test, t->d0, XS_READ, 0, "/bin", 5),
			(u32)XS_READ);
	KUNIT_EXPECT_EQ(test, rhdr(t)->len, 3u);
	KUNIT_EXPECT_EQ(test, memcmp(rpay(t), "\x01\0\xff", 3), 0);
}

static void store_paths(struct kunit *test)
{
	struct st *t = test->priv;
	char *big;

	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/a//b|x"), "!EINVAL");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/a/|x"), "!EINVAL");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/a b|x"), "!EINVAL");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/a$|x"), "!EINVAL");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "@foo|x"), "!EINVAL");
	KUNIT_EXPECT_STREQ(test, R(t->d0, 0, "@introduceDomain"), "!EINVAL");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/ok-_@Z9|x"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d0, 0, "/"), "");

	/* Relative names live under /local/domain/<caller>/. */
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "name|guest1"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d0, 0, "/local/domain/1/name"), "guest1");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "name"), "guest1");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "rel|0"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d0, 0, "/local/domain/0/rel"), "0");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, ""), "!EINVAL");
	KUNIT_EXPECT_STREQ(test,
			   req(test, t->d1, XS_GET_DOMAIN_PATH, 0, "7"),
			   "/local/domain/7");

	/* Path length: absolute 3072, 2048 below a domU's home. */
	big = kunit_kzalloc(test, 3200, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	big[0] = '/';
	memset(big + 1, 'a', 3072);
	KUNIT_EXPECT_EQ(test, raw(test, t->d0, XS_READ, 0, big, 3074),
			(u32)XS_ERROR);
	KUNIT_EXPECT_STREQ(test, rpay(t), "EINVAL");
	big[3072] = 0;
	KUNIT_EXPECT_EQ(test, raw(test, t->d0, XS_READ, 0, big, 3073),
			(u32)XS_ERROR);
	KUNIT_EXPECT_STREQ(test, rpay(t), "ENOENT");
	memset(big, 'b', 2049);
	big[2049] = 0;
	KUNIT_EXPECT_EQ(test, raw(test, t->d1, XS_READ, 0, big, 2050),
			(u32)XS_ERROR);
	KUNIT_EXPECT_STREQ(test, rpay(t), "EINVAL");
	big[2048] = 0;
	KUNIT_EXPECT_EQ(test, raw(test, t->d1, XS_READ, 0, big, 2049),
			(u32)XS_ERROR);
	KUNIT_EXPECT_STREQ(test, rpay(t), "ENOENT");
}

static void store_perms(struct kunit *test)
{
	struct st *t = test->priv;

	KUNIT_EXPECT_STREQ(test, GP(t->d0, 0, "/local/domain/1"), "n1");
	KUNIT_EXPECT_STREQ(test, GP(t->d0, 0, "/"), "n0");

	/* A domU owns its home... */
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "/local/domain/1/data/x|1"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "data/x"), "1");
	KUNIT_EXPECT_STREQ(test, GP(t->d1, 0, "data/x"), "n1");
	KUNIT_EXPECT_STREQ(test, RM(t->d1, 0, "data"), "OK");

	/* ...and nothing else. */
	KUNIT_EXPECT_STREQ(test, W(t->d2, 0, "secret|s2"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "/local/domain/2/secret"),
			   "!EACCES");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "/local/domain/2/secret|x"),
			   "!EACCES");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "/local/domain/2/new|x"),
			   "!EACCES");
	KUNIT_EXPECT_STREQ(test, RM(t->d1, 0, "/local/domain/2/secret"),
			   "!EACCES");
	KUNIT_EXPECT_STREQ(test, D(t->d1, 0, "/local/domain/2"), "!EACCES");
	KUNIT_EXPECT_STREQ(test, GP(t->d1, 0, "/local/domain/2"), "!EACCES");
	/* Existence does not leak: absent nodes there are EACCES too. */
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "/local/domain/2/nothing"),
			   "!EACCES");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "nothing"), "!ENOENT");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "/tool/x|1"), "!EACCES");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "/x|1"), "!EACCES");
	KUNIT_EXPECT_STREQ(test, MK(t->d1, 0, "/local/x"), "!EACCES");
	KUNIT_EXPECT_STREQ(test, R(t->d2, 0, "secret"), "s2");

	/* dom0 reads and writes anything. */
	KUNIT_EXPECT_STREQ(test, R(t->d0, 0, "/local/domain/2/secret"), "s2");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/local/domain/2/secret|0"), "OK");

	/* The toolstack grants domain 1 read access to a node of domain 2. */
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/local/domain/2/shared|v"), "OK");
	KUNIT_EXPECT_STREQ(test, GP(t->d0, 0, "/local/domain/2/shared"), "n2");
	KUNIT_EXPECT_STREQ(test,
			   SP(t->d0, 0, "/local/domain/2/shared|n2|r1"), "OK");
	KUNIT_EXPECT_STREQ(test, GP(t->d1, 0, "/local/domain/2/shared"),
			   "n2,r1");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "/local/domain/2/shared"), "v");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "/local/domain/2/shared|w"),
			   "!EACCES");
	/* Read access does not give write access below it either. */
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "/local/domain/2/shared/k|w"),
			   "!EACCES");
	/* ...then both; what domain 1 creates there it owns. */
	KUNIT_EXPECT_STREQ(test,
			   SP(t->d0, 0, "/local/domain/2/shared|n2|b1"), "OK");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "/local/domain/2/shared|w"), "OK");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "/local/domain/2/shared/k|1"),
			   "OK");
	KUNIT_EXPECT_STREQ(test, GP(t->d0, 0, "/local/domain/2/shared/k"),
			   "n1,b1");
	/* The owner (2) still has full access; others per the ACL. */
	KUNIT_EXPECT_STREQ(test, R(t->d2, 0, "shared/k"), "!EACCES");
	KUNIT_EXPECT_STREQ(test, R(t->d2, 0, "shared"), "w");
	/* A default permission applies to everyone not listed. */
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/pub|p"), "OK");
	KUNIT_EXPECT_STREQ(test, SP(t->d0, 0, "/pub|r0"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "/pub"), "p");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "/pub|q"), "!EACCES");
	KUNIT_EXPECT_STREQ(test, SP(t->d0, 0, "/pub|r0|n1"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "/pub"), "!EACCES");
	KUNIT_EXPECT_STREQ(test, R(t->d2, 0, "/pub"), "p");

	/* Only the owner sets perms, and a domU cannot give a node away. */
	KUNIT_EXPECT_STREQ(test, SP(t->d1, 0, "/pub|r0"), "!EACCES");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "mine|1"), "OK");
	KUNIT_EXPECT_STREQ(test, SP(t->d1, 0, "mine|n1|r2"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d2, 0, "/local/domain/1/mine"), "1");
	KUNIT_EXPECT_STREQ(test, SP(t->d1, 0, "mine|n2"), "!EPERM");
	KUNIT_EXPECT_STREQ(test, SP(t->d1, 0, "/local/domain/2/shared|n2"),
			   "!EACCES");
	KUNIT_EXPECT_STREQ(test, SP(t->d1, 0, "mine|x1"), "!EINVAL");
	KUNIT_EXPECT_STREQ(test, SP(t->d1, 0, "mine|r"), "!EINVAL");
	KUNIT_EXPECT_STREQ(test, SP(t->d1, 0, "mine|r99999"), "!EINVAL");
	KUNIT_EXPECT_STREQ(test, SP(t->d1, 0, "mine"), "!EINVAL");
	KUNIT_EXPECT_STREQ(test, SP(t->d1, 0, "nothing|n1"), "!ENOENT");
	/* Special nodes have perms too (dom0 only by default). */
	KUNIT_EXPECT_STREQ(test, GP(t->d0, 0, "@releaseDomain"), "n0");
	KUNIT_EXPECT_STREQ(test, GP(t->d1, 0, "@releaseDomain"), "!EACCES");
	KUNIT_EXPECT_STREQ(test, GP(t->d0, 0, "@nothing"), "!ENOENT");
}

static void store_tx(struct kunit *test)
{
	struct st *t = test->priv;
	u32 tx, tx2;
	int tries;

	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "a|1"), "OK");

	/* A private view: writes show only inside until commit. */
	tx = tx_start(test, t->d1);
	KUNIT_ASSERT_NE(test, tx, 0u);
	KUNIT_EXPECT_STREQ(test, W(t->d1, tx, "a|2"), "OK");
	KUNIT_EXPECT_STREQ(test, W(t->d1, tx, "dev/vbd/1/state|1"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d1, tx, "a"), "2");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "a"), "1");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "dev/vbd/1/state"), "!ENOENT");
	KUNIT_EXPECT_STREQ(test, D(t->d1, tx, "dev/vbd"), "1");
	KUNIT_EXPECT_STREQ(test, tx_end(test, t->d1, tx, true), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "a"), "2");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "dev/vbd/1/state"), "1");
	KUNIT_EXPECT_STREQ(test, D(t->d1, 0, "/local/domain/1"), "a,dev");
	KUNIT_EXPECT_EQ(test, pvio_store_domain_entries(t->s, 1), 6u);

	/* Abort discards. */
	tx = tx_start(test, t->d1);
	KUNIT_EXPECT_STREQ(test, W(t->d1, tx, "a|3"), "OK");
	KUNIT_EXPECT_STREQ(test, RM(t->d1, tx, "dev"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d1, tx, "dev/vbd"), "!ENOENT");
	KUNIT_EXPECT_STREQ(test, tx_end(test, t->d1, tx, false), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "a"), "2");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "dev/vbd/1/state"), "1");
	KUNIT_EXPECT_STREQ(test, R(t->d1, tx, "a"), "!ENOENT");

	/* Conflict: what the transaction read changed under it. */
	tx = tx_start(test, t->d1);
	KUNIT_EXPECT_STREQ(test, R(t->d1, tx, "a"), "2");
	KUNIT_EXPECT_STREQ(test, W(t->d1, tx, "b|x"), "OK");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/local/domain/1/a|9"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d1, tx, "a"), "2");
	KUNIT_EXPECT_STREQ(test, tx_end(test, t->d1, tx, true), "!EAGAIN");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "b"), "!ENOENT");
	KUNIT_EXPECT_STREQ(test, tx_end(test, t->d1, tx, true), "!ENOENT");

	/* The usual loop: retry until it commits. */
	for (tries = 0; tries < 3; tries++) {
		tx = tx_start(test, t->d1);
		KUNIT_EXPECT_STREQ(test, R(t->d1, tx, "a"), "9");
		KUNIT_EXPECT_STREQ(test, W(t->d1, tx, "a|10"), "OK");
		if (!tries) {
			/* Someone else changes it mid-way, once. */
			KUNIT_EXPECT_STREQ(test, W(t->d0, 0,
						   "/local/domain/1/a|9"),
					   "OK");
		}
		if (!strcmp(tx_end(test, t->d1, tx, true), "OK"))
			break;
		KUNIT_EXPECT_STREQ(test, t->val, "!EAGAIN");
	}
	KUNIT_EXPECT_EQ(test, tries, 1);
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "a"), "10");

	/* A change after the start counts even if not yet read. */
	tx = tx_start(test, t->d1);
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/local/domain/1/a|11"), "OK");
	KUNIT_EXPECT_STREQ(test, W(t->d1, tx, "a|12"), "OK");
	KUNIT_EXPECT_STREQ(test, tx_end(test, t->d1, tx, true), "!EAGAIN");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "a"), "11");

	/* Nodes created on both sides conflict through the parent. */
	tx = tx_start(test, t->d1);
	tx2 = tx_start(test, t->d1);
	KUNIT_EXPECT_STREQ(test, W(t->d1, tx, "n/x|1"), "OK");
	KUNIT_EXPECT_STREQ(test, W(t->d1, tx2, "n/y|1"), "OK");
	KUNIT_EXPECT_STREQ(test, tx_end(test, t->d1, tx, true), "OK");
	KUNIT_EXPECT_STREQ(test, tx_end(test, t->d1, tx2, true), "!EAGAIN");
	KUNIT_EXPECT_STREQ(test, D(t->d1, 0, "n"), "x");

	/* Removing in a transaction. */
	tx = tx_start(test, t->d1);
	KUNIT_EXPECT_STREQ(test, RM(t->d1, tx, "n"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "n/x"), "1");
	KUNIT_EXPECT_STREQ(test, tx_end(test, t->d1, tx, true), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "n/x"), "!ENOENT");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "n"), "!ENOENT");

	/* Errors. */
	KUNIT_EXPECT_STREQ(test, R(t->d1, 77, "a"), "!ENOENT");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 77, "a|1"), "!ENOENT");
	KUNIT_EXPECT_STREQ(test, tx_end(test, t->d1, 0, true), "!ENOENT");
	tx = tx_start(test, t->d1);
	KUNIT_EXPECT_STREQ(test, req(test, t->d1, XS_TRANSACTION_START, tx, ""),
			   "!EBUSY");
	KUNIT_EXPECT_STREQ(test, req(test, t->d1, XS_TRANSACTION_END, tx, "X"),
			   "!EINVAL");
	/* Transactions are per connection. */
	KUNIT_EXPECT_STREQ(test, R(t->d2, tx, "a"), "!ENOENT");
	KUNIT_EXPECT_STREQ(test, tx_end(test, t->d1, tx, false), "OK");
}

static void store_watch(struct kunit *test)
{
	struct st *t = test->priv;
	u32 tx;

	KUNIT_EXPECT_STREQ(test, WATCH(t->d1, "/local/domain/1/dev|tokA"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "/local/domain/1/dev|tokA");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");
	KUNIT_EXPECT_STREQ(test, WATCH(t->d1, "/local/domain/1/dev|tokA"),
			   "!EEXIST");
	KUNIT_EXPECT_STREQ(test, WATCH(t->d1, "dev/vif|rel"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "dev/vif|rel");

	/* The node and its children; not its siblings. */
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "devx|1"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "dev/vbd/5/state|1"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1),
			   "/local/domain/1/dev/vbd/5/state|tokA");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/local/domain/1/dev/vif/0|x"),
			   "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1),
			   "/local/domain/1/dev/vif/0|tokA");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "dev/vif/0|rel");
	KUNIT_EXPECT_GT(test, t->notified, 0u);

	/* Removal: the watched node under a removed parent fires too. */
	KUNIT_EXPECT_STREQ(test, RM(t->d1, 0, "dev"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "/local/domain/1/dev|tokA");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "dev/vif|rel");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");

	/* Transactions fire at commit only, not on abort. */
	tx = tx_start(test, t->d1);
	KUNIT_EXPECT_STREQ(test, W(t->d1, tx, "dev/vif/1|y"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");
	KUNIT_EXPECT_STREQ(test, tx_end(test, t->d1, tx, true), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1),
			   "/local/domain/1/dev/vif/1|tokA");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "dev/vif/1|rel");
	tx = tx_start(test, t->d1);
	KUNIT_EXPECT_STREQ(test, W(t->d1, tx, "dev/vif/1|z"), "OK");
	KUNIT_EXPECT_STREQ(test, tx_end(test, t->d1, tx, false), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");

	/* Unwatch. */
	KUNIT_EXPECT_STREQ(test, UNWATCH(t->d1, "dev/vif|rel"), "OK");
	KUNIT_EXPECT_STREQ(test, UNWATCH(t->d1, "dev/vif|rel"), "!ENOENT");
	KUNIT_EXPECT_STREQ(test, UNWATCH(t->d1, "/local/domain/1/dev|other"),
			   "!ENOENT");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "dev/vif/1|w"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1),
			   "/local/domain/1/dev/vif/1|tokA");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");
	KUNIT_EXPECT_STREQ(test, UNWATCH(t->d1, "/local/domain/1/dev|tokA"),
			   "OK");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "dev/vif/1|v"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");

	/* A second identical pending event is coalesced (xenstored). */
	KUNIT_EXPECT_STREQ(test, WATCH(t->d0, "/w|t"), "OK");
	drain(test, t->d0);
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/w|1"), "OK");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/w|2"), "OK");
	KUNIT_EXPECT_EQ(test, pvio_store_pending_events(t->d0), 1u);
	drain(test, t->d0);

	/* Special watches: introduce and release, for dom0. */
	KUNIT_EXPECT_STREQ(test, WATCH(t->d0, "@introduceDomain|intro"), "OK");
	KUNIT_EXPECT_STREQ(test, WATCH(t->d0, "@releaseDomain|rel"), "OK");
	KUNIT_EXPECT_STREQ(test, WATCH(t->d1, "@releaseDomain|rel1"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d0), "@introduceDomain|intro");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d0), "@releaseDomain|rel");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "@releaseDomain|rel1");
	KUNIT_EXPECT_STREQ(test, req(test, t->d0, XS_INTRODUCE, 0, "3|1234|5"),
			   "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d0), "@introduceDomain|intro");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d0), "");
	KUNIT_EXPECT_STREQ(test,
			   req(test, t->d0, XS_IS_DOMAIN_INTRODUCED, 0, "3"),
			   "T");
	KUNIT_EXPECT_STREQ(test, req(test, t->d0, XS_RELEASE, 0, "3"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d0), "@releaseDomain|rel");
	/* Domain 1 may not see @releaseDomain ("n0"), until granted. */
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");
	KUNIT_EXPECT_STREQ(test, req(test, t->d0, XS_RELEASE, 0, "3"),
			   "!ENOENT");
	KUNIT_EXPECT_STREQ(test, SP(t->d0, 0, "@releaseDomain|n0|r1"), "OK");
	/* (Changing its perms is itself an event, as in xenstored.) */
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "@releaseDomain|rel1");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");
	KUNIT_EXPECT_STREQ(test, req(test, t->d0, XS_INTRODUCE, 0, "3|1|5"),
			   "OK");
	pvio_store_release_domain(t->s, 3);
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "@releaseDomain|rel1");
	KUNIT_EXPECT_STREQ(test,
			   req(test, t->d0, XS_IS_DOMAIN_INTRODUCED, 0, "3"),
			   "F");
}

static void store_watch_perms(struct kunit *test)
{
	struct st *t = test->priv;

	KUNIT_EXPECT_STREQ(test, WATCH(t->d1, "/|all"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "/|all");
	KUNIT_EXPECT_STREQ(test, WATCH(t->d1, "/local/domain/2|d2"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "/local/domain/2|d2");

	/* Changes domain 1 cannot read are not reported to it. */
	KUNIT_EXPECT_STREQ(test, W(t->d2, 0, "secret|s"), "OK");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/local/domain/2/secret|t"), "OK");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/tool/xenstored/x|t"), "OK");
	KUNIT_EXPECT_STREQ(test, RM(t->d2, 0, "secret"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");

	/* Its own are. */
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "mine|1"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "/local/domain/1/mine|all");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");

	/* Granted ones are, including the removal of one it could read. */
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/local/domain/2/shared|v"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");
	KUNIT_EXPECT_STREQ(test,
			   SP(t->d0, 0, "/local/domain/2/shared|n2|r1"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1),
			   "/local/domain/2/shared|all");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1),
			   "/local/domain/2/shared|d2");
	KUNIT_EXPECT_STREQ(test, W(t->d2, 0, "shared|w"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1),
			   "/local/domain/2/shared|all");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1),
			   "/local/domain/2/shared|d2");
	KUNIT_EXPECT_STREQ(test, RM(t->d2, 0, "shared"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1),
			   "/local/domain/2/shared|all");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1),
			   "/local/domain/2/shared|d2");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "");

	/* dom0 sees everything. */
	KUNIT_EXPECT_STREQ(test, WATCH(t->d0, "/local|l"), "OK");
	drain(test, t->d0);
	KUNIT_EXPECT_STREQ(test, W(t->d2, 0, "secret|s"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d0), "/local/domain/2/secret|l");
}

static void store_quota(struct kunit *test)
{
	struct st *t = test->priv;
	unsigned int i, ok = 0;
	char buf[64];
	const char *r;
	char *big;

	/* Nodes owned: 1000 per domU, counting its home. */
	KUNIT_EXPECT_EQ(test, pvio_store_domain_entries(t->s, 1), 1u);
	for (i = 0; i < 1100; i++) {
		snprintf(buf, sizeof(buf), "d%u/k%u|v", i / 40, i % 40);
		r = W(t->d1, 0, buf);
		if (strcmp(r, "OK"))
			break;
		ok++;
	}
	KUNIT_EXPECT_STREQ(test, t->val, "!ENOSPC");
	KUNIT_EXPECT_EQ(test, pvio_store_domain_entries(t->s, 1), 1000u);
	/* ...in a transaction as well... */
	i = tx_start(test, t->d1);
	KUNIT_EXPECT_STREQ(test, W(t->d1, i, "more|1"), "!ENOSPC");
	KUNIT_EXPECT_STREQ(test, tx_end(test, t->d1, i, false), "OK");
	/* ...dom0 is not limited... */
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/local/domain/1/by0|1"), "OK");
	/* ...and removing frees entries. */
	KUNIT_EXPECT_STREQ(test, RM(t->d1, 0, "d0"), "OK");
	/* (by0 inherited owner 1 from its parent, as in xenstored.) */
	KUNIT_EXPECT_EQ(test, pvio_store_domain_entries(t->s, 1), 960u);
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "again|1"), "OK");
	KUNIT_EXPECT_EQ(test, pvio_store_domain_entries(t->s, 2), 1u);

	/* Watches: 128 per domU. */
	for (i = 0; i < 130; i++) {
		snprintf(buf, sizeof(buf), "w%u|tok", i);
		r = WATCH(t->d2, buf);
		if (strcmp(r, "OK"))
			break;
	}
	KUNIT_EXPECT_EQ(test, i, 128u);
	KUNIT_EXPECT_STREQ(test, t->val, "!E2BIG");
	drain(test, t->d2);

	/* Pending events: bounded, the excess dropped (XSA-349). */
	KUNIT_EXPECT_STREQ(test, WATCH(t->d1, "flood|f"), "OK");
	for (i = 0; i < 1100; i++) {
		snprintf(buf, sizeof(buf), "/local/domain/1/flood/%u|x", i);
		KUNIT_EXPECT_STREQ(test, W(t->d0, 0, buf), "OK");
	}
	KUNIT_EXPECT_EQ(test, pvio_store_pending_events(t->d1), 1024u);
	KUNIT_EXPECT_EQ(test, pvio_store_dropped_events(t->d1), 77u);
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "flood|f");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "flood/0|f");
	drain(test, t->d1);
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/local/domain/1/flood|y"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d1), "flood|f");

	/* Transactions: 10 per domU. */
	for (i = 0; i < 11; i++)
		if (!tx_start(test, t->d2))
			break;
	KUNIT_EXPECT_EQ(test, i, 10u);
	KUNIT_EXPECT_STREQ(test, t->val, "!ENOSPC");
	for (i = 0; i < 12; i++)
		KUNIT_EXPECT_NE(test, tx_start(test, t->d0), 0u);

	/* Node size: 4096 bytes of ACL + value + children for a domU. */
	big = kunit_kzalloc(test, XENSTORE_PAYLOAD_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	memcpy(big, "big", 4);
	memset(big + 4, 'v', XENSTORE_PAYLOAD_MAX - 4);
	KUNIT_EXPECT_EQ(test, raw(test, t->d2, XS_WRITE, 0, big,
				  XENSTORE_PAYLOAD_MAX), (u32)XS_WRITE);
	KUNIT_EXPECT_EQ(test, raw(test, t->d2, XS_READ, 0, "big", 4),
			(u32)XS_READ);
	KUNIT_EXPECT_EQ(test, rhdr(t)->len, XENSTORE_PAYLOAD_MAX - 4);
	KUNIT_EXPECT_STREQ(test, SP(t->d2, 0, "big|n2|r1"), "!ENOSPC");

	/* ACL entries: 5 per node for a domU. */
	KUNIT_EXPECT_STREQ(test, SP(t->d2, 0, "/local/domain/2|n2|r1|r3|r4|r5"),
			   "OK");
	KUNIT_EXPECT_STREQ(test,
			   SP(t->d2, 0, "/local/domain/2|n2|r1|r3|r4|r5|r6"),
			   "!ENOSPC");
}

static struct kunit_case store_cases[] = {
	KUNIT_CASE(store_basic),
	KUNIT_CASE(store_paths),
	KUNIT_CASE(store_perms),
	KUNIT_CASE(store_tx),
	KUNIT_CASE(store_watch),
	KUNIT_CASE(store_watch_perms),
	KUNIT_CASE(store_quota),
	{}
};

static struct kunit_suite store_suite = {
	.name = "pvio_store",
	.init = st_init,
	.exit = st_exit,
	.test_cases = store_cases,
};

/* ---- pvio_store_wire -------------------------------------------------- */

static void expect_err(struct kunit *test, u32 rt, const char *err)
{
	struct st *t = test->priv;

	KUNIT_EXPECT_EQ(test, rt, (u32)XS_ERROR);
	KUNIT_EXPECT_EQ(test, rhdr(t)->len, (u32)strlen(err) + 1);
	KUNIT_EXPECT_STREQ(test, rpay(t), err);
}

static void wire_replies(struct kunit *test)
{
	struct st *t = test->priv;

	/* Acks are "OK\0", errors the errno name, ids echoed. */
	KUNIT_EXPECT_EQ(test, raw(test, t->d1, XS_WRITE, 0, "k\0v", 3),
			(u32)XS_WRITE);
	KUNIT_EXPECT_EQ(test, rhdr(t)->len, 3u);
	KUNIT_EXPECT_EQ(test, memcmp(rpay(t), "OK", 3), 0);
	expect_err(test, raw(test, t->d1, XS_READ, 0, "zz", 3), "ENOENT");
	/* A read reply is the value without a NUL. */
	KUNIT_EXPECT_EQ(test, raw(test, t->d1, XS_READ, 0, "k", 2),
			(u32)XS_READ);
	KUNIT_EXPECT_EQ(test, rhdr(t)->len, 1u);
	KUNIT_EXPECT_EQ(test, rpay(t)[0], 'v');
	/* Directory: NUL-terminated names; empty is zero length. */
	KUNIT_EXPECT_EQ(test, raw(test, t->d1, XS_DIRECTORY, 0, "k", 2),
			(u32)XS_DIRECTORY);
	KUNIT_EXPECT_EQ(test, rhdr(t)->len, 0u);
	KUNIT_EXPECT_EQ(test, raw(test, t->d0, XS_GET_DOMAIN_PATH, 0, "12", 3),
			(u32)XS_GET_DOMAIN_PATH);
	KUNIT_EXPECT_EQ(test, rhdr(t)->len, (u32)sizeof("/local/domain/12"));
	KUNIT_EXPECT_STREQ(test, rpay(t), "/local/domain/12");
	KUNIT_EXPECT_EQ(test, raw(test, t->d1, XS_TRANSACTION_START, 0, "", 1),
			(u32)XS_TRANSACTION_START);
	KUNIT_EXPECT_STREQ(test, rpay(t), "1");
	KUNIT_EXPECT_EQ(test, rhdr(t)->len, 2u);
	KUNIT_EXPECT_EQ(test, raw(test, t->d1, XS_READ, 1, "k", 2),
			(u32)XS_READ);
	KUNIT_EXPECT_EQ(test, rhdr(t)->tx_id, 1u);
}

static void wire_malformed(struct kunit *test)
{
	struct st *t = test->priv;
	static const u32 bad_types[] = {
		XS_CONTROL, XS_WATCH_EVENT, XS_ERROR, XS_RESUME, XS_SET_TARGET,
		XS_DIRECTORY_PART, XS_TYPE_COUNT, 99, XS_INVALID, U32_MAX,
	};
	struct xsd_sockmsg h = { .type = XS_READ, .req_id = 7, .len = 4097 };
	unsigned int i;
	int ret;

	/* Payload longer than XENSTORE_PAYLOAD_MAX. */
	memcpy(t->req, &h, sizeof(h));
	memset(t->req + sizeof(h), 'a', 4097);
	ret = pvio_store_process(t->d1, t->req, sizeof(h) + 4097, t->rsp,
				 sizeof(t->rsp));
	KUNIT_EXPECT_EQ(test, ret, (int)sizeof(h) + 6);
	expect_err(test, rhdr(t)->type, "E2BIG");
	KUNIT_EXPECT_EQ(test, rhdr(t)->req_id, 7u);
	h.len = U32_MAX;
	memcpy(t->req, &h, sizeof(h));
	ret = pvio_store_process(t->d1, t->req, sizeof(h), t->rsp,
				 sizeof(t->rsp));
	expect_err(test, rhdr(t)->type, "E2BIG");
	/* Length not matching what was received. */
	h.len = 10;
	memcpy(t->req, &h, sizeof(h));
	ret = pvio_store_process(t->d1, t->req, sizeof(h) + 4, t->rsp,
				 sizeof(t->rsp));
	expect_err(test, rhdr(t)->type, "EINVAL");
	/* Shorter than a header, or no room for a reply: no reply at all. */
	KUNIT_EXPECT_EQ(test, pvio_store_process(t->d1, t->req, 3, t->rsp,
						 sizeof(t->rsp)), -EINVAL);
	KUNIT_EXPECT_EQ(test, pvio_store_process(t->d1, t->req, sizeof(h),
						 t->rsp, 100), -EINVAL);

	/* Unknown or reply-only types. */
	for (i = 0; i < ARRAY_SIZE(bad_types); i++)
		expect_err(test, raw(test, t->d1, bad_types[i], 0, "a", 2),
			   "EINVAL");

	/* Missing NUL where a string is required. */
	expect_err(test, raw(test, t->d1, XS_READ, 0, "abc", 3), "EINVAL");
	expect_err(test, raw(test, t->d1, XS_READ, 0, NULL, 0), "EINVAL");
	expect_err(test, raw(test, t->d1, XS_DIRECTORY, 0, "a", 1), "EINVAL");
	expect_err(test, raw(test, t->d1, XS_GET_PERMS, 0, "a", 1), "EINVAL");
	expect_err(test, raw(test, t->d1, XS_MKDIR, 0, "a", 1), "EINVAL");
	expect_err(test, raw(test, t->d1, XS_RM, 0, "a", 1), "EINVAL");
	expect_err(test, raw(test, t->d1, XS_WRITE, 0, "abc", 3), "EINVAL");
	expect_err(test, raw(test, t->d1, XS_WRITE, 0, NULL, 0), "EINVAL");
	expect_err(test, raw(test, t->d1, XS_SET_PERMS, 0, "a\0n1", 4),
		   "EINVAL");
	expect_err(test, raw(test, t->d1, XS_WATCH, 0, "a\0tok", 5), "EINVAL");
	expect_err(test, raw(test, t->d1, XS_WATCH, 0, "a", 2), "EINVAL");
	expect_err(test, raw(test, t->d1, XS_UNWATCH, 0, "a\0t", 3), "EINVAL");
	expect_err(test, raw(test, t->d1, XS_GET_DOMAIN_PATH, 0, "1", 1),
		   "EINVAL");
	expect_err(test, raw(test, t->d1, XS_TRANSACTION_END, 0, "T", 1),
		   "EINVAL");
	/* Extra strings where one is expected. */
	expect_err(test, raw(test, t->d1, XS_READ, 0, "a\0b", 4), "EINVAL");
	expect_err(test, raw(test, t->d1, XS_MKDIR, 0, "a\0\0", 3), "EINVAL");
	expect_err(test, raw(test, t->d1, XS_WATCH, 0, "a\0b\0c", 6),
		   "EINVAL");
	/* Bad numbers. */
	expect_err(test, raw(test, t->d1, XS_GET_DOMAIN_PATH, 0, "x1", 3),
		   "EINVAL");
	expect_err(test, raw(test, t->d1, XS_GET_DOMAIN_PATH, 0, "", 1),
		   "EINVAL");
	KUNIT_EXPECT_STREQ(test, req(test, t->d0, XS_INTRODUCE, 0, "1|x|2"),
			   "!EINVAL");
	KUNIT_EXPECT_STREQ(test, req(test, t->d0, XS_INTRODUCE, 0, "1|2"),
			   "!EINVAL");
	KUNIT_EXPECT_STREQ(test, req(test, t->d0, XS_INTRODUCE, 0, "0|2|3"),
			   "!EINVAL");
	expect_err(test, raw(test, t->d0, XS_RELEASE, 0, "0", 2), "EINVAL");

	/* dom0-only requests from a domU. */
	KUNIT_EXPECT_STREQ(test, req(test, t->d1, XS_INTRODUCE, 0, "5|1|2"),
			   "!EACCES");
	expect_err(test, raw(test, t->d1, XS_RELEASE, 0, "2", 2), "EACCES");
	expect_err(test, raw(test, t->d1, XS_IS_DOMAIN_INTRODUCED, 0, "2", 2),
		   "EACCES");

	/* A transaction id that does not exist (watches ignore it). */
	expect_err(test, raw(test, t->d1, XS_READ, 5, "a", 2), "ENOENT");
	expect_err(test, raw(test, t->d1, XS_WRITE, U32_MAX, "a\0b", 3),
		   "ENOENT");
	expect_err(test, raw(test, t->d1, XS_TRANSACTION_END, 9, "T", 2),
		   "ENOENT");
	KUNIT_EXPECT_EQ(test, raw(test, t->d1, XS_WATCH, 5, "w\0t", 4),
			(u32)XS_WATCH);
}

/* A domU sending garbage gets errors; everyone, itself included, is served. */
static void wire_keeps_serving(struct kunit *test)
{
	struct st *t = test->priv;
	struct xsd_sockmsg h;
	unsigned int i, len;
	int ret;

	KUNIT_EXPECT_STREQ(test, W(t->d2, 0, "before|1"), "OK");
	KUNIT_EXPECT_STREQ(test, WATCH(t->d2, "before|t"), "OK");
	drain(test, t->d2);

	for (i = 0; i < 2000; i++) {
		get_random_bytes(&h, sizeof(h));
		len = get_random_u32() % (XENSTORE_PAYLOAD_MAX + 1);
		h.type %= XS_TYPE_COUNT + 2;
		if (i & 1)
			h.tx_id = 0;
		if (i & 2)
			h.len = len;
		memcpy(t->req, &h, sizeof(h));
		get_random_bytes(t->req + sizeof(h), len);
		if (i & 4)	/* mostly printable names, maybe NULs */
			memset(t->req + sizeof(h), 'a' + i % 26, len / 2);
		ret = pvio_store_process(t->d1, t->req, sizeof(h) + len,
					 t->rsp, sizeof(t->rsp));
		KUNIT_ASSERT_GE(test, ret, (int)sizeof(h));
		KUNIT_ASSERT_LE(test, ret, (int)PVIO_XS_MSG_MAX);
		KUNIT_ASSERT_EQ(test, ret, (int)(sizeof(h) + rhdr(t)->len));
	}
	drain(test, t->d1);

	KUNIT_EXPECT_STREQ(test, R(t->d2, 0, "before"), "1");
	KUNIT_EXPECT_STREQ(test, W(t->d2, 0, "before|2"), "OK");
	KUNIT_EXPECT_STREQ(test, ev(test, t->d2), "before|t");
	KUNIT_EXPECT_STREQ(test, W(t->d0, 0, "/after|1"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d0, 0, "/after"), "1");
	KUNIT_EXPECT_STREQ(test, W(t->d1, 0, "after|1"), "OK");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "after"), "1");
	KUNIT_EXPECT_STREQ(test, R(t->d1, 0, "/local/domain/2/before"),
			   "!EACCES");
}

static struct kunit_case wire_cases[] = {
	KUNIT_CASE(wire_replies),
	KUNIT_CASE(wire_malformed),
	KUNIT_CASE(wire_keeps_serving),
	{}
};

static struct kunit_suite wire_suite = {
	.name = "pvio_store_wire",
	.init = st_init,
	.exit = st_exit,
	.test_cases = wire_cases,
};

/* ---- pvio_store_ring: client <-> ring page <-> server thread ---------- */

struct lb {
	struct pvio_store_ring *r;
	struct pvio_xs *xs;
	struct xenstore_domain_interface *intf;
};

struct rt {
	struct pvio_store *s;
	struct pvio_store_conn *d0;
	struct lb l[3];
	struct completion fired;
	char last[128];
	unsigned int nfired;
};

static void lb_to_server(void *data)
{
	struct lb *l = data;
	struct pvio_store_ring *r = READ_ONCE(l->r);

	if (r)
		pvio_store_ring_kick(r);
}

static void lb_to_client(void *data)
{
	struct lb *l = data;
	struct pvio_xs *xs = READ_ONCE(l->xs);

	if (xs)
		pvio_xs_kick(xs);
}

static int rt_init(struct kunit *test)
{
	struct rt *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;
	init_completion(&t->fired);
	t->s = pvio_store_create();
	KUNIT_ASSERT_NOT_NULL(test, t->s);
	t->d0 = pvio_store_conn_open(t->s, 0, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, t->d0);
	for (i = 1; i < 3; i++) {
		struct lb *l = &t->l[i];

		KUNIT_ASSERT_EQ(test, pvio_store_domain_setup(t->s, i), 0);
		l->intf = (void *)get_zeroed_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, l->intf);
		l->xs = pvio_xs_create(l->intf, lb_to_server, l);
		KUNIT_ASSERT_NOT_NULL(test, l->xs);
		l->r = pvio_store_ring_attach(t->s, i, l->intf, lb_to_client,
					      l);
		KUNIT_ASSERT_FALSE(test, IS_ERR(l->r));
	}
	return 0;
}

static void rt_exit(struct kunit *test)
{
	struct rt *t = test->priv;
	unsigned int i;

	for (i = 1; i < 3; i++) {
		struct lb *l = &t->l[i];
		struct pvio_store_ring *r = l->r;

		WRITE_ONCE(l->r, NULL);
		pvio_store_ring_detach(r);
		pvio_xs_destroy(l->xs);
		free_page((unsigned long)l->intf);
	}
	pvio_store_conn_close(t->d0);
	pvio_store_destroy(t->s);
}

static void ring_api(struct kunit *test)
{
	struct rt *t = test->priv;
	struct pvio_xs *xs = t->l[1].xs;
	static const char * const perms[] = { "n1", "r2" };
	unsigned int len, n, a = 0;
	char **dir, *str = NULL;
	char *v;

	KUNIT_EXPECT_EQ(test, pvio_xs_write(xs, PVIO_XBT_NIL, "device/vbd/51712",
					    "state", "1"), 0);
	v = pvio_xs_read(xs, PVIO_XBT_NIL, "device/vbd/51712", "state", &len);
	KUNIT_ASSERT_FALSE(test, IS_ERR(v));
	KUNIT_EXPECT_STREQ(test, v, "1");
	KUNIT_EXPECT_EQ(test, len, 1u);
	kfree(v);
	KUNIT_EXPECT_EQ(test, pvio_xs_printf(xs, PVIO_XBT_NIL, "device/vbd/51712",
					     "ring-ref", "%u", 8u), 0);
	KUNIT_EXPECT_EQ(test, pvio_xs_mkdir(xs, PVIO_XBT_NIL, "device/vbd",
					    "51728"), 0);
	dir = pvio_xs_directory(xs, PVIO_XBT_NIL, "device", "vbd", &n);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dir));
	KUNIT_EXPECT_EQ(test, n, 2u);
	KUNIT_EXPECT_STREQ(test, dir[0], "51712");
	KUNIT_EXPECT_STREQ(test, dir[1], "51728");
	kfree(dir);
	KUNIT_EXPECT_EQ(test, pvio_xs_scanf(xs, PVIO_XBT_NIL,
					    "/local/domain/1/device/vbd/51712",
					    "ring-ref", "%u", &a), 1);
	KUNIT_EXPECT_EQ(test, a, 8u);
	KUNIT_EXPECT_EQ(test, pvio_xs_gather(xs, PVIO_XBT_NIL,
					     "device/vbd/51712",
					     "ring-ref", "%u", &a,
					     "state", NULL, &str, NULL), 0);
	KUNIT_EXPECT_STREQ(test, str, "1");
	kfree(str);
	KUNIT_EXPECT_EQ(test, pvio_xs_read_unsigned(xs, "device/vbd/51712",
						    "nothing", 42), 42u);
	KUNIT_EXPECT_EQ(test, pvio_xs_scanf(xs, PVIO_XBT_NIL, "device/vbd",
					    "51728", "%u", &a), -ERANGE);
	KUNIT_EXPECT_TRUE(test, pvio_xs_exists(xs, PVIO_XBT_NIL, "device", ""));
	KUNIT_EXPECT_EQ(test, pvio_xs_rm(xs, PVIO_XBT_NIL, "device", "vbd"), 0);
	KUNIT_EXPECT_FALSE(test, pvio_xs_exists(xs, PVIO_XBT_NIL, "device",
						"vbd"));
	v = pvio_xs_read(xs, PVIO_XBT_NIL, "/local/domain/2", "", NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(v), -EACCES);
	v = pvio_xs_read(xs, PVIO_XBT_NIL, "nothing", "", NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(v), -ENOENT);
	v = pvio_xs_read(xs, PVIO_XBT_NIL, "bad//path", "", NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(v), -EINVAL);

	/* Granting domain 2 read access. */
	KUNIT_EXPECT_EQ(test, pvio_xs_write(xs, PVIO_XBT_NIL, "pub", "", "x"),
			0);
	KUNIT_EXPECT_EQ(test, pvio_xs_set_perms(xs, PVIO_XBT_NIL, "pub", "",
						perms, 2), 0);
	v = pvio_xs_read(t->l[2].xs, PVIO_XBT_NIL, "/local/domain/1/pub", "",
			 NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(v));
	KUNIT_EXPECT_STREQ(test, v, "x");
	kfree(v);
	KUNIT_EXPECT_EQ(test, pvio_xs_write(t->l[2].xs, PVIO_XBT_NIL,
					    "/local/domain/1/pub", "", "y"),
			-EACCES);
}

static void ring_large(struct kunit *test)
{
	struct rt *t = test->priv;
	struct pvio_xs *xs = t->l[1].xs;
	unsigned int i, len;
	char *big, *v;

	big = kunit_kzalloc(test, 4100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	for (i = 0; i < 20; i++) {
		memset(big, 'a' + i, 3000 + i);
		big[3000 + i] = 0;
		KUNIT_ASSERT_EQ(test, pvio_xs_write(xs, PVIO_XBT_NIL, "big", "",
						    big), 0);
		v = pvio_xs_read(xs, PVIO_XBT_NIL, "big", "", &len);
		KUNIT_ASSERT_FALSE(test, IS_ERR(v));
		KUNIT_EXPECT_EQ(test, len, 3000 + i);
		KUNIT_EXPECT_EQ(test, memcmp(v, big, len), 0);
		kfree(v);
	}
	memset(big, 'z', 4093);
	big[4093] = 0;
	KUNIT_EXPECT_EQ(test, pvio_xs_write(xs, PVIO_XBT_NIL, "big", "", big),
			-E2BIG);
	big[4092] = 0;
	KUNIT_EXPECT_EQ(test, pvio_xs_write(xs, PVIO_XBT_NIL, "big", "", big),
			0);
	big[3999] = 0;
	KUNIT_EXPECT_EQ(test, pvio_xs_write(xs, PVIO_XBT_NIL, big, "", "1"),
			-EINVAL);
}

static void ring_tx(struct kunit *test)
{
	struct rt *t = test->priv;
	struct pvio_xs *xs = t->l[1].xs;
	unsigned int tries = 0;
	u32 xbt;
	int err;

	KUNIT_EXPECT_EQ(test, pvio_xs_write(xs, PVIO_XBT_NIL, "cnt", "", "0"), 0);
	do {
		unsigned int c = 0;

		KUNIT_ASSERT_EQ(test, pvio_xs_transaction_start(xs, &xbt), 0);
		KUNIT_EXPECT_EQ(test, pvio_xs_scanf(xs, xbt, "cnt", "", "%u",
						    &c), 1);
		if (!tries)	/* the toolstack interferes once */
			pvio_store_domain_setup(t->s, 1);
		KUNIT_EXPECT_EQ(test, pvio_xs_printf(xs, xbt, "cnt", "", "%u",
						     c + 1), 0);
		KUNIT_EXPECT_EQ(test, pvio_xs_write(xs, xbt, "state", "", "3"),
				0);
		err = pvio_xs_transaction_end(xs, xbt, false);
		tries++;
	} while (err == -EAGAIN && tries < 5);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, tries, 2u);
	KUNIT_EXPECT_EQ(test, pvio_xs_read_unsigned(xs, "cnt", "", 0), 1u);
	KUNIT_EXPECT_EQ(test, pvio_xs_transaction_end(xs, 99, false), -ENOENT);
}

struct rt_watch {
	struct pvio_xs_watch w;
	struct rt *t;
};

static void rt_watch_cb(struct pvio_xs_watch *w, const char *path,
			const char *token)
{
	struct rt *t = container_of(w, struct rt_watch, w)->t;

	strscpy(t->last, path, sizeof(t->last));
	t->nfired++;
	complete(&t->fired);
}

static void ring_watch(struct kunit *test)
{
	struct rt *t = test->priv;
	struct pvio_xs *xs = t->l[1].xs;
	struct rt_watch rw = { .w = { .node = "device", .callback = rt_watch_cb },
			       .t = t };

	KUNIT_ASSERT_EQ(test, pvio_xs_watch(xs, &rw.w), 0);
	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&t->fired, 5 * HZ),
			0ul);
	KUNIT_EXPECT_STREQ(test, t->last, "device");
	KUNIT_EXPECT_EQ(test, pvio_xs_write(xs, PVIO_XBT_NIL, "device/vif/0",
					    "state", "4"), 0);
	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&t->fired, 5 * HZ),
			0ul);
	KUNIT_EXPECT_STREQ(test, t->last, "device/vif/0/state");
	/* Other domains' changes elsewhere are not reported. */
	KUNIT_EXPECT_EQ(test, pvio_xs_write(t->l[2].xs, PVIO_XBT_NIL, "device",
					    "", "1"), 0);
	KUNIT_EXPECT_EQ(test, pvio_xs_write(xs, PVIO_XBT_NIL, "device", "",
					    "d"), 0);
	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&t->fired, 5 * HZ),
			0ul);
	KUNIT_EXPECT_STREQ(test, t->last, "device");
	pvio_xs_unwatch(xs, &rw.w);
	t->nfired = 0;
	KUNIT_EXPECT_EQ(test, pvio_xs_write(xs, PVIO_XBT_NIL, "device", "",
					    "e"), 0);
	msleep(50);
	KUNIT_EXPECT_EQ(test, t->nfired, 0u);
}

/* A hostile guest breaks only its own ring. */
static void ring_hostile(struct kunit *test)
{
	struct rt *t = test->priv;
	struct lb *bad = &t->l[2];
	struct xsd_sockmsg h = { .type = XS_READ, .len = 5000 };
	unsigned int i;
	char *v;

	/* An over-long header. */
	memcpy(bad->intf->req + MASK_XENSTORE_IDX(bad->intf->req_prod), &h,
	       sizeof(h));
	smp_wmb();	/* bytes before the index, as a guest does */
	WRITE_ONCE(bad->intf->req_prod, bad->intf->req_prod + sizeof(h));
	pvio_store_ring_kick(bad->r);
	for (i = 0; i < 100 && !pvio_store_ring_broken(bad->r); i++)
		msleep(20);
	KUNIT_EXPECT_TRUE(test, pvio_store_ring_broken(bad->r));
	KUNIT_EXPECT_EQ(test, READ_ONCE(bad->intf->error),
			(u32)XENSTORE_ERROR_PROTO);

	/* Domain 1 is still served. */
	KUNIT_EXPECT_EQ(test, pvio_xs_write(t->l[1].xs, PVIO_XBT_NIL, "ok", "",
					    "1"), 0);
	v = pvio_xs_read(t->l[1].xs, PVIO_XBT_NIL, "ok", "", NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(v));
	KUNIT_EXPECT_STREQ(test, v, "1");
	kfree(v);

	/* An index jump on domain 1's ring breaks it, and only it. */
	WRITE_ONCE(t->l[1].intf->req_prod, t->l[1].intf->req_prod + 2000);
	pvio_store_ring_kick(t->l[1].r);
	for (i = 0; i < 100 && !pvio_store_ring_broken(t->l[1].r); i++)
		msleep(20);
	KUNIT_EXPECT_TRUE(test, pvio_store_ring_broken(t->l[1].r));
	KUNIT_EXPECT_EQ(test, READ_ONCE(t->l[1].intf->error),
			(u32)XENSTORE_ERROR_RINGIDX);
	KUNIT_EXPECT_EQ(test, pvio_store_domain_setup(t->s, 3), 0);
}

static struct kunit_case ring_cases[] = {
	KUNIT_CASE(ring_api),
	KUNIT_CASE(ring_large),
	KUNIT_CASE(ring_tx),
	KUNIT_CASE(ring_watch),
	KUNIT_CASE(ring_hostile),
	{}
};

static struct kunit_suite ring_suite = {
	.name = "pvio_store_ring",
	.init = rt_init,
	.exit = rt_exit,
	.test_cases = ring_cases,
};

kunit_test_suites(&store_suite, &wire_suite, &ring_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvio store KUnit tests");
