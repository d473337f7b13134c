// SPDX-License-Identifier: GPL-2.0
/*
 * pvio store core: xenstored's node tree, permissions, transactions,
 * watches, quotas and the xs_wire request layer, following Xen's C
 * xenstored (tools/xenstore/xenstored_{core,transaction,watch,domain}.c).
 *
 * Nodes live in one hash table keyed by their absolute path; a node keeps
 * its ACL, its value and the NUL-separated names of its children, like
 * xenstored's node records. Each modification stamps the node with a new
 * generation. A transaction keeps a private copy of every node it touches
 * (first access records the node's generation); committing checks that no
 * touched node changed since the transaction started or since it was first
 * read (EAGAIN otherwise) and then installs the copies.
 */

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stringhash.h>
#include <linux/hash.h>
#include <linux/err.h>
#include "store.h"

#define XS_PERM_NONE	0x0
#define XS_PERM_READ	0x1
#define XS_PERM_WRITE	0x2
#define XS_PERM_OWNER	0x4	/* internal: not in a perm string */

#define NO_GEN		U64_MAX

struct xs_perm {
	u16 id;
	u8 perms;
};

struct xs_node {
	struct hlist_node hnode;
	u64 gen;
	char *name;
	struct xs_perm *perms;
	unsigned int nperms;
	char *data;
	unsigned int datalen;
	char *children;			/* "a\0b\0" */
	unsigned int childlen;
};

struct xs_perms {
	const struct xs_perm *p;
	unsigned int num;
};

struct xs_watch {
	struct list_head list;
	char *path;			/* canonical, or "@..." */
	char *token;
	bool relative;
};

struct xs_event {
	struct list_head list;
	unsigned int len;		/* header + payload */
	u8 msg[];
};

/* A node a transaction touched. */
struct xs_tx_rec {
	struct hlist_node hnode;
	struct list_head list;
	char *name;
	u64 gen;			/* at first access, NO_GEN if absent */
	struct xs_node *node;		/* private view, NULL if absent */
	struct xs_perm *old_perms;	/* ACL at first access */
	unsigned int old_nperms;
	bool modified;
	bool fire;
	bool exact;
};

struct xs_tx {
	struct list_head list;		/* conn->txs */
	u32 id;
	u64 start_gen;
	struct hlist_head recs[1 << PVIO_XS_TX_HASH_BITS];
	struct list_head order;
	unsigned int nr_recs;
	int delta;			/* nodes owned by the conn's domain */
	bool created;
	bool fail;
};

/* The context one request runs in. */
struct xs_op {
	struct pvio_store *s;
	struct pvio_store_conn *conn;	/* NULL: the store itself (dom0) */
	struct xs_tx *tx;
	domid_t domid;
	bool priv;
};

static const struct pvio_store_quota xs_default_quota = {
	.nodes = 1000,
	.watches = 128,
	.events = 1024,
	.transactions = 10,
	.node_size = 4096,
	.perms = 5,
	.tx_nodes = 1024,
	.path_len = XENSTORE_REL_PATH_MAX,
};

/* ---- names ------------------------------------------------------------ */

static bool xs_valid_chars(const char *s)
{
	for (; *s; s++) {
		char c = *s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '/' ||
		    c == '_' || c == '@')
			continue;
		return false;
	}
	return true;
}

static unsigned int xs_hash(const char *name, unsigned int bits)
{
	return hash_32(full_name_hash(NULL, name, strlen(name)), bits);
}

/* Is @child @parent or below it? ("/" is everything's parent.) */
static bool xs_is_child(const char *child, const char *parent)
{
	size_t len = strlen(parent);

	if (!strcmp(parent, "/"))
		return true;
	return !strncmp(child, parent, len) &&
	       (child[len] == '/' || child[len] == '\0');
}

/* Parent of a canonical non-root name, as a new string. */
static char *xs_parent(const char *name)
{
	const char *slash = strrchr(name + 1, '/');

	if (!slash)
		return kstrdup("/", GFP_KERNEL);
	return kstrndup(name, slash - name, GFP_KERNEL);
}

static const char *xs_basename(const char *name)
{
	return strrchr(name, '/') + 1;
}

static char *xs_child_name(const char *parent, const char *child)
{
	if (!strcmp(parent, "/"))
		return kasprintf(GFP_KERNEL, "/%s", child);
	return kasprintf(GFP_KERNEL, "%s/%s", parent, child);
}

/*
 * xenstored's canonicalize(): valid characters, '@' only for special
 * names, relative names under /local/domain/<id>/, no trailing or double
 * slash, bounded length. Returns a new string or an ERR_PTR.
 */
static char *xs_canonicalize(struct xs_op *op, const char *node,
			     bool allow_special)
{
	unsigned int id, off = 0;
	char *name;
	size_t len;
	int n = 0;

	if (!node || !xs_valid_chars(node) || (node[0] == '@' && !allow_special))
		return ERR_PTR(-EINVAL);
	if (node[0] != '/' && node[0] != '@')
		name = kasprintf(GFP_KERNEL, "/local/domain/%u/%s", op->domid,
				 node);
	else
		name = kstrdup(node, GFP_KERNEL);
	if (!name)
		return ERR_PTR(-ENOMEM);

	len = strlen(name);
	if (sscanf(name, "/local/domain/%5u/%n", &id, &n) == 1 && n > 0)
		off = n;
	if ((len > 1 && name[len - 1] == '/') || strstr(name, "//") ||
	    len > XENSTORE_ABS_PATH_MAX ||
	    (!op->priv && len - off > op->s->quota.path_len)) {
		kfree(name);
		return ERR_PTR(-EINVAL);
	}
	return name;
}

/* ---- nodes ------------------------------------------------------------ */

static void xs_node_free(struct xs_node *n)
{
	if (!n)
		return;
	kfree(n->name);
	kfree(n->perms);
	kfree(n->data);
	kfree(n->children);
	kfree(n);
}

static struct xs_node *xs_node_alloc(const char *name)
{
	struct xs_node *n = kzalloc(sizeof(*n), GFP_KERNEL);

	if (!n)
		return NULL;
	n->name = kstrdup(name, GFP_KERNEL);
	if (!n->name) {
		kfree(n);
		return NULL;
	}
	return n;
}

static int xs_node_set_perms(struct xs_node *n, const struct xs_perm *p,
			     unsigned int num)
{
	struct xs_perm *np = kmemdup(p, num * sizeof(*p), GFP_KERNEL);

	if (!np)
		return -ENOMEM;
	kfree(n->perms);
	n->perms = np;
	n->nperms = num;
	return 0;
}

static int xs_node_set_data(struct xs_node *n, const void *data,
			    unsigned int len)
{
	char *nd = NULL;

	if (len) {
		nd = kmemdup(data, len, GFP_KERNEL);
		if (!nd)
			return -ENOMEM;
	}
	kfree(n->data);
	n->data = nd;
	n->datalen = len;
	return 0;
}

static struct xs_node *xs_node_dup(const struct xs_node *o)
{
	struct xs_node *n = xs_node_alloc(o->name);

	if (!n)
		return NULL;
	n->gen = o->gen;
	if (xs_node_set_perms(n, o->perms, o->nperms) ||
	    xs_node_set_data(n, o->data, o->datalen))
		goto fail;
	if (o->childlen) {
		n->children = kmemdup(o->children, o->childlen, GFP_KERNEL);
		if (!n->children)
			goto fail;
		n->childlen = o->childlen;
	}
	return n;
fail:
	xs_node_free(n);
	return NULL;
}

static int xs_node_add_child(struct xs_node *n, const char *base)
{
	size_t blen = strlen(base) + 1;
	char *c = krealloc(n->children, n->childlen + blen, GFP_KERNEL);

	if (!c)
		return -ENOMEM;
	memcpy(c + n->childlen, base, blen);
	n->children = c;
	n->childlen += blen;
	return 0;
}

static void xs_node_del_child(struct xs_node *n, const char *base)
{
	unsigned int off, len;

	for (off = 0; off < n->childlen; off += len) {
		len = strlen(n->children + off) + 1;
		if (!strcmp(n->children + off, base)) {
			memmove(n->children + off, n->children + off + len,
				n->childlen - off - len);
			n->childlen -= len;
			return;
		}
	}
}

static unsigned int xs_node_size(const struct xs_node *n)
{
	return n->nperms * sizeof(struct xs_perm) + n->datalen + n->childlen;
}

static domid_t xs_owner(const struct xs_node *n)
{
	return n->perms[0].id;
}

/* ---- the global table ------------------------------------------------- */

static struct xs_node *xs_find(struct pvio_store *s, const char *name)
{
	struct xs_node *n;

	hlist_for_each_entry(n, &s->nodes[xs_hash(name, PVIO_XS_HASH_BITS)],
			     hnode)
		if (!strcmp(n->name, name))
			return n;
	return NULL;
}

static void xs_account(struct pvio_store *s, domid_t owner, int delta)
{
	if (owner <= PVIO_MAX_DOMID)
		s->entries[owner] += delta;
}

/* Replace (or insert, or with @new NULL delete) @name. Cannot fail. */
static void xs_global_put(struct pvio_store *s, const char *name,
			  struct xs_node *new)
{
	struct xs_node *old = xs_find(s, name);

	if (old) {
		xs_account(s, xs_owner(old), -1);
		hlist_del(&old->hnode);
		xs_node_free(old);
		s->nr_nodes--;
	}
	if (new) {
		new->gen = ++s->gen;
		xs_account(s, xs_owner(new), 1);
		hlist_add_head(&new->hnode,
			       &s->nodes[xs_hash(new->name,
						 PVIO_XS_HASH_BITS)]);
		s->nr_nodes++;
	}
}

/* ---- permissions ------------------------------------------------------ */

/* xenstored's perm_for_conn(). */
static unsigned int xs_perm_for(const struct xs_op *op,
				const struct xs_perm *p, unsigned int num)
{
	unsigned int i;

	if (op->priv || p[0].id == op->domid)
		return XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;
	for (i = 1; i < num; i++)
		if (p[i].id == op->domid)
			return p[i].perms & (XS_PERM_READ | XS_PERM_WRITE);
	return p[0].perms & (XS_PERM_READ | XS_PERM_WRITE);
}

static int xs_parse_perm(const char *str, struct xs_perm *p)
{
	unsigned int id;

	switch (str[0]) {
	case 'n':
		p->perms = XS_PERM_NONE;
		break;
	case 'r':
		p->perms = XS_PERM_READ;
		break;
	case 'w':
		p->perms = XS_PERM_WRITE;
		break;
	case 'b':
		p->perms = XS_PERM_READ | XS_PERM_WRITE;
		break;
	default:
		return -EINVAL;
	}
	if (kstrtouint(str + 1, 10, &id) || id > U16_MAX)
		return -EINVAL;
	p->id = id;
	return 0;
}

static int xs_format_perm(const struct xs_perm *p, char *buf, size_t size)
{
	static const char letter[] = { 'n', 'r', 'w', 'b' };

	return snprintf(buf, size, "%c%u", letter[p->perms & 3], p->id);
}

/* ---- transactions: the private view ----------------------------------- */

static struct xs_tx_rec *xs_tx_find(struct xs_tx *tx, const char *name)
{
	struct xs_tx_rec *r;

	hlist_for_each_entry(r, &tx->recs[xs_hash(name, PVIO_XS_TX_HASH_BITS)],
			     hnode)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

static void xs_tx_rec_free(struct xs_tx_rec *r)
{
	xs_node_free(r->node);
	kfree(r->old_perms);
	kfree(r->name);
	kfree(r);
}

/* Find or make the transaction's record of @name (first access). */
static int xs_tx_rec(struct xs_op *op, const char *name,
		     struct xs_tx_rec **out)
{
	struct xs_tx *tx = op->tx;
	struct xs_node *g;
	struct xs_tx_rec *r = xs_tx_find(tx, name);

	if (r) {
		*out = r;
		return 0;
	}
	if (!op->priv && tx->nr_recs >= op->s->quota.tx_nodes) {
		tx->fail = true;
		return -ENOSPC;
	}
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		goto nomem;
	r->name = kstrdup(name, GFP_KERNEL);
	if (!r->name)
		goto nomem;
	g = xs_find(op->s, name);
	r->gen = NO_GEN;
	if (g) {
		r->gen = g->gen;
		r->node = xs_node_dup(g);
		r->old_perms = kmemdup(g->perms, g->nperms * sizeof(*g->perms),
				       GFP_KERNEL);
		if (!r->node || !r->old_perms)
			goto nomem;
		r->old_nperms = g->nperms;
	}
	hlist_add_head(&r->hnode,
		       &tx->recs[xs_hash(name, PVIO_XS_TX_HASH_BITS)]);
	list_add_tail(&r->list, &tx->order);
	tx->nr_recs++;
	*out = r;
	return 0;
nomem:
	if (r)
		xs_tx_rec_free(r);
	tx->fail = true;
	return -ENOMEM;
}

/* The node @name as the request sees it; *@out NULL if it does not exist. */
static int xs_get(struct xs_op *op, const char *name, struct xs_node **out)
{
	struct xs_tx_rec *r;
	int err;

	if (!op->tx) {
		*out = xs_find(op->s, name);
		return 0;
	}
	err = xs_tx_rec(op, name, &r);
	if (err)
		return err;
	*out = r->node;
	return 0;
}

/*
 * Install @new as @name (NULL deletes). Outside a transaction this cannot
 * fail; inside one the record exists already (xs_get() came first), so it
 * fails only if it did not, marking the transaction failed.
 */
static int xs_put(struct xs_op *op, const char *name, struct xs_node *new)
{
	struct xs_tx_rec *r;
	int err;

	if (!op->tx) {
		xs_global_put(op->s, name, new);
		return 0;
	}
	err = xs_tx_rec(op, name, &r);
	if (err) {
		xs_node_free(new);
		return err;
	}
	if (r->node && xs_owner(r->node) == op->domid)
		op->tx->delta--;
	if (new && xs_owner(new) == op->domid)
		op->tx->delta++;
	if (new && !r->node)
		op->tx->created = true;
	xs_node_free(r->node);
	r->node = new;
	r->modified = true;
	return 0;
}

/* ---- watches and events ----------------------------------------------- */

static bool xs_read_ok(struct pvio_store_conn *c, const struct xs_perm *p,
		       unsigned int num)
{
	struct xs_op op = { .domid = c->domid, .priv = c->privileged };

	return p && num && (xs_perm_for(&op, p, num) & XS_PERM_READ);
}

/*
 * xenstored's watch_permitted(): the watcher may see an event for @name
 * if it can read the node (before or after the change) or its parent.
 */
static bool xs_watch_permitted(struct pvio_store *s, struct pvio_store_conn *c,
			       const char *name, const struct xs_perms *old)
{
	struct xs_node *n;
	char *parent;
	bool ok;

	if (old && xs_read_ok(c, old->p, old->num))
		return true;
	n = xs_find(s, name);
	if (n && xs_read_ok(c, n->perms, n->nperms))
		return true;
	if (name[0] == '@' || !strcmp(name, "/"))
		return false;
	parent = xs_parent(name);
	if (!parent)
		return false;
	n = xs_find(s, parent);
	ok = n && xs_read_ok(c, n->perms, n->nperms);
	kfree(parent);
	return ok;
}

static void xs_queue_event(struct pvio_store_conn *c, struct xs_watch *w,
			   const char *name)
{
	struct pvio_store *s = c->store;
	struct xsd_sockmsg hdr = { .type = XS_WATCH_EVENT };
	size_t plen, tlen = strlen(w->token) + 1;
	struct xs_event *e;

	if (w->relative && !strncmp(name, c->implicit, strlen(c->implicit)) &&
	    name[strlen(c->implicit)] == '/')
		name += strlen(c->implicit) + 1;
	plen = strlen(name) + 1;
	if (plen + tlen > XENSTORE_PAYLOAD_MAX)
		return;

	/* XSA-349: bound what a domain can make dom0 hold for it. */
	if (!c->privileged && c->nr_events >= s->quota.events) {
		c->events_dropped++;
		return;
	}
	hdr.len = plen + tlen;
	/* Drop duplicates of an event already pending (xenstored). */
	if (name[0] != '@') {
		list_for_each_entry(e, &c->events, list)
			if (e->len == sizeof(hdr) + hdr.len &&
			    !memcmp(e->msg + sizeof(hdr), name, plen) &&
			    !memcmp(e->msg + sizeof(hdr) + plen, w->token,
				    tlen))
				return;
	}
	e = kmalloc(struct_size(e, msg, sizeof(hdr) + hdr.len), GFP_KERNEL);
	if (!e) {
		c->events_dropped++;
		return;
	}
	e->len = sizeof(hdr) + hdr.len;
	memcpy(e->msg, &hdr, sizeof(hdr));
	memcpy(e->msg + sizeof(hdr), name, plen);
	memcpy(e->msg + sizeof(hdr) + plen, w->token, tlen);
	list_add_tail(&e->list, &c->events);
	c->nr_events++;
	if (c->notify)
		c->notify(c, c->notify_data);
}

/*
 * xenstored's fire_watches(): an event for every watch on @name or (unless
 * @exact) on one of its parents, to connections allowed to see it.
 */
static void xs_fire_now(struct pvio_store *s, const char *name, bool exact,
			const struct xs_perms *old)
{
	bool special = name[0] == '@';
	struct pvio_store_conn *c;
	struct xs_watch *w;

	list_for_each_entry(c, &s->conns, list) {
		int allowed = -1;

		list_for_each_entry(w, &c->watches, list) {
			bool match;

			if (exact || special || w->path[0] == '@')
				match = !strcmp(name, w->path);
			else
				match = xs_is_child(name, w->path);
			if (!match)
				continue;
			if (allowed < 0)
				allowed = xs_watch_permitted(s, c, name, old);
			if (allowed)
				xs_queue_event(c, w, name);
		}
	}
}

/* Fire, or inside a transaction remember to fire at commit. */
static void xs_fire(struct xs_op *op, const char *name, bool exact,
		    const struct xs_perms *old)
{
	struct xs_tx_rec *r;

	if (!op->tx) {
		xs_fire_now(op->s, name, exact, old);
		return;
	}
	r = xs_tx_find(op->tx, name);
	if (!r) {
		op->tx->fail = true;
		return;
	}
	if (!r->fire) {
		r->fire = true;
		r->exact = exact;
	} else if (!exact) {
		r->exact = false;
	}
}

static void xs_watch_free(struct xs_watch *w)
{
	kfree(w->path);
	kfree(w->token);
	kfree(w);
}

/* ---- node lookups with permission checks ------------------------------ */

/*
 * xenstored's get_node(): the node if the caller has @perm on it. A node
 * that does not exist is ENOENT only if the nearest existing ancestor
 * grants @perm, otherwise EACCES, so existence does not leak.
 */
static int xs_get_chk(struct xs_op *op, const char *name, unsigned int perm,
		      struct xs_node **out)
{
	struct xs_node *n, *a = NULL;
	char *cur, *next;
	int err;

	err = xs_get(op, name, &n);
	if (err)
		return err;
	if (n && (xs_perm_for(op, n->perms, n->nperms) & perm) == perm) {
		*out = n;
		return 0;
	}
	err = n ? -EACCES : -ENOENT;
	if (name[0] == '@' || !strcmp(name, "/"))
		return err;

	cur = xs_parent(name);
	while (cur) {
		int e2 = xs_get(op, cur, &a);

		if (e2) {
			kfree(cur);
			return e2;
		}
		if (a || !strcmp(cur, "/"))
			break;
		next = xs_parent(cur);
		kfree(cur);
		cur = next;
	}
	if (!cur)
		return -ENOMEM;
	kfree(cur);
	if (!a || !(xs_perm_for(op, a->perms, a->nperms) & perm))
		return -EACCES;
	return err;
}

static int xs_size_ok(struct xs_op *op, const struct xs_node *n)
{
	if (!op->priv && xs_node_size(n) > op->s->quota.node_size)
		return -ENOSPC;
	return 0;
}

static unsigned int xs_entries(struct xs_op *op)
{
	unsigned int e = op->domid <= PVIO_MAX_DOMID ?
			 op->s->entries[op->domid] : 0;

	return op->tx ? e + op->tx->delta : e;
}

/*
 * xenstored's create_node(): make @name and any missing parents; new nodes
 * inherit their parent's ACL, and an unprivileged creator owns them. Built
 * completely before anything is installed.
 */
static int xs_create(struct xs_op *op, const char *name, const void *data,
		     unsigned int datalen)
{
	struct xs_node *parent = NULL, *np, **newn;
	char **names;
	unsigned int levels = 0, i, max = 1;
	const char *p;
	int err;

	for (p = name + 1; *p; p++)
		max += *p == '/';
	names = kcalloc(max + 1, sizeof(*names), GFP_KERNEL);
	newn = kcalloc(max + 1, sizeof(*newn), GFP_KERNEL);
	err = -ENOMEM;
	if (!names || !newn)
		goto out;

	/* names[0] is @name, names[levels] its nearest existing ancestor. */
	names[0] = kstrdup(name, GFP_KERNEL);
	if (!names[0])
		goto out;
	while (!parent) {
		names[levels + 1] = xs_parent(names[levels]);
		if (!names[levels + 1])
			goto out;
		levels++;
		err = xs_get(op, names[levels], &parent);
		if (err)
			goto out;
		err = -EIO;
		if (!parent && !strcmp(names[levels], "/"))
			goto out;
	}

	err = -ENOSPC;
	if (!op->priv && xs_entries(op) + levels > op->s->quota.nodes)
		goto out;

	err = -ENOMEM;
	np = xs_node_dup(parent);
	if (!np)
		goto out;
	newn[levels] = np;
	if (xs_node_add_child(np, xs_basename(names[levels - 1])))
		goto out;
	err = xs_size_ok(op, np);
	if (err)
		goto out;
	for (i = levels; i-- > 0; ) {
		struct xs_node *n;

		err = -ENOMEM;
		n = xs_node_alloc(names[i]);
		if (!n)
			goto out;
		newn[i] = n;
		if (xs_node_set_perms(n, newn[i + 1]->perms,
				      newn[i + 1]->nperms))
			goto out;
		if (!op->priv)
			n->perms[0].id = op->domid;
		if (i > 0 && xs_node_add_child(n, xs_basename(names[i - 1])))
			goto out;
		if (i == 0 && xs_node_set_data(n, data, datalen))
			goto out;
		err = xs_size_ok(op, n);
		if (err)
			goto out;
	}

	/* Install: in a transaction every record exists already. */
	err = 0;
	for (i = 0; i <= levels; i++) {
		int e2 = xs_put(op, names[i], newn[i]);

		newn[i] = NULL;
		if (e2 && !err)
			err = e2;
	}
out:
	for (i = 0; names && i <= max; i++) {
		if (newn)
			xs_node_free(newn[i]);
		kfree(names[i]);
	}
	kfree(names);
	kfree(newn);
	return err;
}

/* ---- request helpers -------------------------------------------------- */

struct xs_req {
	const char *buf;
	unsigned int len;
	char *out;			/* XENSTORE_PAYLOAD_MAX bytes */
};

/* The payload is exactly one string (its only NUL at its end). */
static const char *xs_onearg(const struct xs_req *rq)
{
	if (!rq->len || memchr(rq->buf, 0, rq->len) != rq->buf + rq->len - 1)
		return NULL;
	return rq->buf;
}

/* Number of NUL-terminated strings; fills up to @num starts into @vec. */
static unsigned int xs_strings(const struct xs_req *rq, const char **vec,
			       unsigned int num)
{
	unsigned int off = 0, i = 0;
	const char *nul;

	while (off < rq->len) {
		nul = memchr(rq->buf + off, 0, rq->len - off);
		if (!nul)
			break;
		if (i < num)
			vec[i] = rq->buf + off;
		i++;
		off = nul - rq->buf + 1;
	}
	return i;
}

static int xs_ack(struct xs_req *rq)
{
	memcpy(rq->out, "OK", 3);
	return 3;
}

static int xs_reply(struct xs_req *rq, const void *data, unsigned int len)
{
	if (len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	if (len)
		memcpy(rq->out, data, len);
	return len;
}

static int xs_parse_domid(const char *str, unsigned int max,
			  unsigned int *domid)
{
	if (!str || kstrtouint(str, 10, domid) || *domid > max)
		return -EINVAL;
	return 0;
}

/* ---- operations ------------------------------------------------------- */

static int do_read_like(struct xs_op *op, struct xs_req *rq, int type)
{
	struct xs_node *n;
	char *name;
	int err;

	name = xs_canonicalize(op, xs_onearg(rq), type == XS_GET_PERMS);
	if (IS_ERR(name))
		return PTR_ERR(name);
	err = xs_get_chk(op, name, XS_PERM_READ, &n);
	kfree(name);
	if (err)
		return err;

	if (type == XS_READ)
		return xs_reply(rq, n->data, n->datalen);
	if (type == XS_DIRECTORY)
		return xs_reply(rq, n->children, n->childlen);

	/* XS_GET_PERMS: "r1\0n0\0..." */
	{
		unsigned int i, len = 0;
		char tmp[16];

		for (i = 0; i < n->nperms; i++) {
			int l = xs_format_perm(&n->perms[i], tmp, sizeof(tmp));

			if (len + l + 1 > XENSTORE_PAYLOAD_MAX)
				return -E2BIG;
			memcpy(rq->out + len, tmp, l + 1);
			len += l + 1;
		}
		return len;
	}
}

static int do_write(struct xs_op *op, struct xs_req *rq)
{
	const char *vec[1];
	unsigned int off, datalen;
	struct xs_node *n, *nn;
	char *name;
	int err;

	if (xs_strings(rq, vec, 1) < 1)
		return -EINVAL;
	off = strlen(vec[0]) + 1;
	datalen = rq->len - off;

	name = xs_canonicalize(op, vec[0], false);
	if (IS_ERR(name))
		return PTR_ERR(name);
	err = xs_get_chk(op, name, XS_PERM_WRITE, &n);
	if (err == -ENOENT) {
		err = xs_create(op, name, rq->buf + off, datalen);
	} else if (!err) {
		nn = xs_node_dup(n);
		err = -ENOMEM;
		if (nn && !xs_node_set_data(nn, rq->buf + off, datalen)) {
			err = xs_size_ok(op, nn);
			if (!err) {
				err = xs_put(op, name, nn);
				nn = NULL;
			}
		}
		xs_node_free(nn);
	}
	if (!err)
		xs_fire(op, name, false, NULL);
	kfree(name);
	return err ?: xs_ack(rq);
}

static int do_mkdir(struct xs_op *op, struct xs_req *rq)
{
	struct xs_node *n;
	char *name;
	int err;

	name = xs_canonicalize(op, xs_onearg(rq), false);
	if (IS_ERR(name))
		return PTR_ERR(name);
	err = xs_get_chk(op, name, XS_PERM_WRITE, &n);
	if (err == -ENOENT) {
		err = xs_create(op, name, NULL, 0);
		if (!err)
			xs_fire(op, name, false, NULL);
	}
	kfree(name);
	return err ?: xs_ack(rq);
}

/* Collect @name's subtree (children after their parent) into @list. */
struct xs_rm_ent {
	struct list_head list;
	char *name;
};

static int xs_collect(struct xs_op *op, const char *name,
		      struct list_head *list)
{
	struct xs_rm_ent *e, *cur;
	struct xs_node *n;
	unsigned int off, len;
	int err;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->name = kstrdup(name, GFP_KERNEL);
	list_add_tail(&e->list, list);
	if (!e->name)
		return -ENOMEM;

	/* Breadth first: the list is the work queue. */
	list_for_each_entry(cur, list, list) {
		err = xs_get(op, cur->name, &n);
		if (err)
			return err;
		if (!n)
			continue;
		for (off = 0; off < n->childlen; off += len) {
			len = strlen(n->children + off) + 1;
			e = kzalloc(sizeof(*e), GFP_KERNEL);
			if (!e)
				return -ENOMEM;
			e->name = xs_child_name(cur->name, n->children + off);
			list_add_tail(&e->list, list);
			if (!e->name)
				return -ENOMEM;
		}
	}
	return 0;
}

static int do_rm(struct xs_op *op, struct xs_req *rq)
{
	struct xs_node *n, *parent, *np;
	struct xs_rm_ent *e, *tmp;
	LIST_HEAD(sub);
	char *name, *pname = NULL;
	int err;

	name = xs_canonicalize(op, xs_onearg(rq), false);
	if (IS_ERR(name))
		return PTR_ERR(name);
	err = xs_get_chk(op, name, XS_PERM_WRITE, &n);
	if (err == -ENOENT) {
		/* Already gone: fine if the parent exists. */
		pname = xs_parent(name);
		err = -ENOMEM;
		if (pname) {
			err = xs_get(op, pname, &parent);
			if (!err)
				err = parent ? 0 : -ENOENT;
		}
		goto out;
	}
	if (err)
		goto out;
	err = -EINVAL;
	if (!strcmp(name, "/"))
		goto out;

	err = -ENOMEM;
	pname = xs_parent(name);
	if (!pname)
		goto out;
	err = xs_get(op, pname, &parent);
	if (err)
		goto out;
	err = -EIO;
	if (!parent)
		goto out;
	err = xs_collect(op, name, &sub);
	if (err)
		goto out;
	err = -ENOMEM;
	np = xs_node_dup(parent);
	if (!np)
		goto out;
	xs_node_del_child(np, xs_basename(name));

	/*
	 * Fire while the nodes' ACLs are still visible (in a transaction this
	 * only marks the records): exact events for the removed descendants,
	 * the node itself for watches on it and on its parents.
	 */
	list_for_each_entry(e, &sub, list) {
		struct xs_perms old;

		if (xs_get(op, e->name, &n) || !n)
			continue;
		old.p = n->perms;
		old.num = n->nperms;
		xs_fire(op, e->name, strcmp(e->name, name) != 0, &old);
	}
	err = 0;
	list_for_each_entry_reverse(e, &sub, list) {
		int e2 = 0;

		if (!xs_get(op, e->name, &n) && n)
			e2 = xs_put(op, e->name, NULL);
		if (e2 && !err)
			err = e2;
	}
	{
		int e2 = xs_put(op, pname, np);

		if (e2 && !err)
			err = e2;
	}
out:
	list_for_each_entry_safe(e, tmp, &sub, list) {
		kfree(e->name);
		kfree(e);
	}
	kfree(pname);
	kfree(name);
	return err ?: xs_ack(rq);
}

static int do_set_perms(struct xs_op *op, struct xs_req *rq)
{
	unsigned int num, i, off;
	struct xs_perm *perms;
	struct xs_node *n, *nn;
	struct xs_perms old;
	char *name = NULL;
	int err;

	num = xs_strings(rq, NULL, 0);
	if (num < 2)
		return -EINVAL;
	num--;
	if (!op->priv && num > op->s->quota.perms)
		return -ENOSPC;
	perms = kcalloc(num, sizeof(*perms), GFP_KERNEL);
	if (!perms)
		return -ENOMEM;
	off = strlen(rq->buf) + 1;
	for (i = 0; i < num; i++) {
		err = xs_parse_perm(rq->buf + off, &perms[i]);
		if (err)
			goto out;
		off += strlen(rq->buf + off) + 1;
	}

	name = xs_canonicalize(op, rq->buf, true);
	if (IS_ERR(name)) {
		err = PTR_ERR(name);
		name = NULL;
		goto out;
	}
	err = xs_get_chk(op, name, XS_PERM_WRITE | XS_PERM_OWNER, &n);
	if (err)
		goto out;
	err = -EPERM;
	if (!op->priv && perms[0].id != xs_owner(n))
		goto out;

	err = -ENOMEM;
	nn = xs_node_dup(n);
	if (!nn)
		goto out;
	if (xs_node_set_perms(nn, perms, num)) {
		xs_node_free(nn);
		goto out;
	}
	err = xs_size_ok(op, nn);
	if (err) {
		xs_node_free(nn);
		goto out;
	}
	/* Fire after the change, with the old ACL too (xenstored). */
	old.num = n->nperms;
	old.p = kmemdup(n->perms, n->nperms * sizeof(*n->perms), GFP_KERNEL);
	if (!old.p) {
		xs_node_free(nn);
		goto out;
	}
	err = xs_put(op, name, nn);
	if (!err)
		xs_fire(op, name, false, &old);
	kfree(old.p);
out:
	kfree(name);
	kfree(perms);
	return err ?: xs_ack(rq);
}

static int do_watch(struct xs_op *op, struct xs_req *rq, bool add)
{
	struct pvio_store_conn *c = op->conn;
	const char *vec[2];
	struct xs_watch *w;
	bool relative;
	char *path;

	if (!c || xs_strings(rq, vec, 2) != 2)
		return -EINVAL;
	if (vec[0][0] == '@') {
		if (strlen(vec[0]) > XENSTORE_REL_PATH_MAX)
			return -EINVAL;
		relative = false;
		path = kstrdup(vec[0], GFP_KERNEL);
		if (!path)
			return -ENOMEM;
	} else {
		relative = vec[0][0] != '/';
		path = xs_canonicalize(op, vec[0], false);
		if (IS_ERR(path))
			return PTR_ERR(path);
	}

	list_for_each_entry(w, &c->watches, list) {
		if (strcmp(w->path, path) || strcmp(w->token, vec[1]))
			continue;
		kfree(path);
		if (add)
			return -EEXIST;
		list_del(&w->list);
		c->nr_watches--;
		xs_watch_free(w);
		return xs_ack(rq);
	}
	if (!add) {
		kfree(path);
		return -ENOENT;
	}
	if (!c->privileged && c->nr_watches >= op->s->quota.watches) {
		kfree(path);
		return -E2BIG;
	}
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w) {
		kfree(path);
		return -ENOMEM;
	}
	w->path = path;
	w->relative = relative;
	w->token = kstrdup(vec[1], GFP_KERNEL);
	if (!w->token) {
		xs_watch_free(w);
		return -ENOMEM;
	}
	list_add_tail(&w->list, &c->watches);
	c->nr_watches++;
	/* Fire once up front (xenstored), queued behind the ack. */
	xs_queue_event(c, w, w->path);
	return xs_ack(rq);
}

static void xs_tx_free(struct xs_tx *tx)
{
	struct xs_tx_rec *r, *tmp;

	list_for_each_entry_safe(r, tmp, &tx->order, list)
		xs_tx_rec_free(r);
	kfree(tx);
}

static struct xs_tx *xs_tx_lookup(struct pvio_store_conn *c, u32 id)
{
	struct xs_tx *tx;

	list_for_each_entry(tx, &c->txs, list)
		if (tx->id == id)
			return tx;
	return NULL;
}

static int do_transaction_start(struct xs_op *op, struct xs_req *rq)
{
	struct pvio_store_conn *c = op->conn;
	struct xs_tx *tx;
	unsigned int i;

	if (!c)
		return -EINVAL;
	if (op->tx)
		return -EBUSY;
	if (!c->privileged && c->nr_txs >= op->s->quota.transactions)
		return -ENOSPC;
	tx = kzalloc(sizeof(*tx), GFP_KERNEL);
	if (!tx)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(tx->recs); i++)
		INIT_HLIST_HEAD(&tx->recs[i]);
	INIT_LIST_HEAD(&tx->order);
	tx->start_gen = op->s->gen;
	do {
		tx->id = c->next_tx_id++;
	} while (!tx->id || xs_tx_lookup(c, tx->id));
	list_add_tail(&tx->list, &c->txs);
	c->nr_txs++;
	return snprintf(rq->out, XENSTORE_PAYLOAD_MAX, "%u", tx->id) + 1;
}

static int xs_tx_commit(struct xs_op *op, struct xs_tx *tx)
{
	struct pvio_store *s = op->s;
	struct xs_tx_rec *r;

	if (tx->fail)
		return -ENOMEM;
	list_for_each_entry(r, &tx->order, list) {
		struct xs_node *g = xs_find(s, r->name);
		u64 gen = g ? g->gen : NO_GEN;

		if (gen != r->gen || (gen != NO_GEN && gen > tx->start_gen))
			return -EAGAIN;
	}
	if (!op->priv && tx->created && tx->delta > 0 &&
	    xs_entries(op) > s->quota.nodes)
		return -ENOSPC;

	list_for_each_entry(r, &tx->order, list) {
		if (!r->modified)
			continue;
		if (r->node || r->gen != NO_GEN)
			xs_global_put(s, r->name, r->node);
		r->node = NULL;
	}
	list_for_each_entry(r, &tx->order, list) {
		struct xs_perms old = { r->old_perms, r->old_nperms };

		if (r->fire)
			xs_fire_now(s, r->name, r->exact,
				    r->old_perms ? &old : NULL);
	}
	return 0;
}

static int do_transaction_end(struct xs_op *op, struct xs_req *rq)
{
	const char *arg = xs_onearg(rq);
	struct xs_tx *tx = op->tx;
	int err = 0;

	if (!arg || (strcmp(arg, "T") && strcmp(arg, "F")))
		return -EINVAL;
	if (!tx)
		return -ENOENT;
	list_del(&tx->list);
	op->conn->nr_txs--;
	if (!strcmp(arg, "T"))
		err = xs_tx_commit(op, tx);
	op->tx = NULL;
	xs_tx_free(tx);
	return err ?: xs_ack(rq);
}

static void xs_conn_reset(struct pvio_store_conn *c)
{
	struct xs_watch *w, *wt;
	struct xs_event *e, *et;
	struct xs_tx *tx, *tt;

	list_for_each_entry_safe(w, wt, &c->watches, list)
		xs_watch_free(w);
	INIT_LIST_HEAD(&c->watches);
	c->nr_watches = 0;
	list_for_each_entry_safe(e, et, &c->events, list)
		kfree(e);
	INIT_LIST_HEAD(&c->events);
	c->nr_events = 0;
	list_for_each_entry_safe(tx, tt, &c->txs, list)
		xs_tx_free(tx);
	INIT_LIST_HEAD(&c->txs);
	c->nr_txs = 0;
}

static void xs_release(struct pvio_store *s, domid_t domid)
{
	struct pvio_store_conn *c;

	clear_bit(domid, s->introduced);
	list_for_each_entry(c, &s->conns, list)
		if (c->domid == domid)
			xs_conn_reset(c);
	if (s->ops && s->ops->release)
		s->ops->release(s->ops_priv, domid);
	xs_fire_now(s, "@releaseDomain", false, NULL);
}

static int do_introduce(struct xs_op *op, struct xs_req *rq)
{
	struct pvio_store *s = op->s;
	const char *vec[3];
	unsigned int domid, port;
	u64 gfn;
	int err;

	if (xs_strings(rq, vec, 3) < 3)
		return -EINVAL;
	if (xs_parse_domid(vec[0], PVIO_MAX_DOMID, &domid) || !domid ||
	    kstrtou64(vec[1], 10, &gfn) || kstrtouint(vec[2], 10, &port))
		return -EINVAL;
	if (test_bit(domid, s->introduced))
		return xs_ack(rq);
	if (s->ops && s->ops->introduce) {
		err = s->ops->introduce(s->ops_priv, domid, gfn, port);
		if (err)
			return err;
	}
	set_bit(domid, s->introduced);
	xs_fire_now(s, "@introduceDomain", false, NULL);
	return xs_ack(rq);
}

static int do_release(struct xs_op *op, struct xs_req *rq)
{
	unsigned int domid;

	if (xs_parse_domid(xs_onearg(rq), U16_MAX, &domid) || !domid)
		return -EINVAL;
	if (domid > PVIO_MAX_DOMID || !test_bit(domid, op->s->introduced))
		return -ENOENT;
	xs_release(op->s, domid);
	return xs_ack(rq);
}

static int do_is_introduced(struct xs_op *op, struct xs_req *rq)
{
	unsigned int domid;
	bool in;

	if (xs_parse_domid(xs_onearg(rq), U16_MAX, &domid))
		return -EINVAL;
	in = !domid || (domid <= PVIO_MAX_DOMID &&
			test_bit(domid, op->s->introduced));
	return xs_reply(rq, in ? "T" : "F", 2);
}

static int do_get_domain_path(struct xs_op *op, struct xs_req *rq)
{
	unsigned int domid;

	if (xs_parse_domid(xs_onearg(rq), U16_MAX, &domid))
		return -EINVAL;
	return snprintf(rq->out, XENSTORE_PAYLOAD_MAX, "/local/domain/%u",
			domid) + 1;
}

static int do_reset_watches(struct xs_op *op, struct xs_req *rq)
{
	struct pvio_store_conn *c = op->conn;
	struct xs_watch *w, *tmp;

	if (!c)
		return -EINVAL;
	list_for_each_entry_safe(w, tmp, &c->watches, list)
		xs_watch_free(w);
	INIT_LIST_HEAD(&c->watches);
	c->nr_watches = 0;
	return xs_ack(rq);
}

#define XS_NOTID	BIT(0)		/* ignores the transaction id */
#define XS_PRIV		BIT(1)		/* dom0 only */

static const struct {
	unsigned int flags;
	bool valid;
} xs_types[XS_TYPE_COUNT] = {
	[XS_DIRECTORY]		= { 0, true },
	[XS_READ]		= { 0, true },
	[XS_GET_PERMS]		= { 0, true },
	[XS_WATCH]		= { XS_NOTID, true },
	[XS_UNWATCH]		= { XS_NOTID, true },
	[XS_TRANSACTION_START]	= { 0, true },
	[XS_TRANSACTION_END]	= { 0, true },
	[XS_INTRODUCE]		= { XS_NOTID | XS_PRIV, true },
	[XS_RELEASE]		= { XS_NOTID | XS_PRIV, true },
	[XS_GET_DOMAIN_PATH]	= { XS_NOTID, true },
	[XS_WRITE]		= { 0, true },
	[XS_MKDIR]		= { 0, true },
	[XS_RM]			= { 0, true },
	[XS_SET_PERMS]		= { 0, true },
	[XS_IS_DOMAIN_INTRODUCED] = { XS_NOTID | XS_PRIV, true },
	[XS_RESET_WATCHES]	= { XS_NOTID, true },
};

static int xs_dispatch(struct xs_op *op, u32 type, struct xs_req *rq)
{
	switch (type) {
	case XS_DIRECTORY:
	case XS_READ:
	case XS_GET_PERMS:
		return do_read_like(op, rq, type);
	case XS_WATCH:
		return do_watch(op, rq, true);
	case XS_UNWATCH:
		return do_watch(op, rq, false);
	case XS_TRANSACTION_START:
		return do_transaction_start(op, rq);
	case XS_TRANSACTION_END:
		return do_transaction_end(op, rq);
	case XS_INTRODUCE:
		return do_introduce(op, rq);
	case XS_RELEASE:
		return do_release(op, rq);
	case XS_GET_DOMAIN_PATH:
		return do_get_domain_path(op, rq);
	case XS_WRITE:
		return do_write(op, rq);
	case XS_MKDIR:
		return do_mkdir(op, rq);
	case XS_RM:
		return do_rm(op, rq);
	case XS_SET_PERMS:
		return do_set_perms(op, rq);
	case XS_IS_DOMAIN_INTRODUCED:
		return do_is_introduced(op, rq);
	case XS_RESET_WATCHES:
		return do_reset_watches(op, rq);
	}
	return -EINVAL;
}

/* The xsd_errors[] name of @err; untranslatable ones are EINVAL. */
static const char *xs_errstr(int err)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xsd_errors); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	if (err == EPERM)	/* in Xen's newer xsd_errors[] */
		return "EPERM";
	return "EINVAL";
}

/**
 * pvio_store_process() - handle one xs_wire request and build the reply
 * @conn: the connection the request came in on (its domid is the caller)
 * @req: the request, a struct xsd_sockmsg header followed by hdr.len bytes
 *	of payload, in memory private to the caller (already copied out of
 *	any shared ring: it is read more than once)
 * @req_len: bytes at @req
 * @rsp: buffer for the reply message (header and payload)
 * @rsp_size: size of @rsp, at least PVIO_XS_MSG_MAX bytes
 *
 * Follows xenstored's process_message(): the reply echoes req_id and
 * tx_id; errors are an XS_ERROR reply carrying the xsd_errors[] name
 * ("EINVAL", "EACCES", "ENOENT", "EAGAIN", "E2BIG", "EEXIST", "ENOSPC",
 * ...). A payload longer than XENSTORE_PAYLOAD_MAX is answered with E2BIG
 * (a ring transport must then stop reading that ring, as xenstored does),
 * a length that does not match @req_len, an unknown type or a missing NUL
 * with EINVAL, an unknown tx_id with ENOENT, a dom0-only request from a
 * domU with EACCES. Watch events the request causes are queued on the
 * watching connections (see pvio_store_pop_event()), the conn's
 * notify callback being called for each.
 *
 * Context: process context, may sleep; takes the store mutex.
 * Return: the length of the reply written to @rsp, or -EINVAL if @req is
 * shorter than a header or @rsp too small (no reply is possible).
 */
int pvio_store_process(struct pvio_store_conn *conn, const void *req,
		       size_t req_len, void *rsp, size_t rsp_size)
{
	struct pvio_store *s = conn->store;
	struct xsd_sockmsg hdr, *out = rsp;
	struct xs_op op = {
		.s = s, .conn = conn, .domid = conn->domid,
		.priv = conn->privileged,
	};
	struct xs_req rq;
	int ret;

	if (req_len < sizeof(hdr) || rsp_size < PVIO_XS_MSG_MAX)
		return -EINVAL;
	memcpy(&hdr, req, sizeof(hdr));
	rq.buf = (const char *)req + sizeof(hdr);
	rq.len = hdr.len;
	rq.out = (char *)rsp + sizeof(hdr);

	mutex_lock(&s->lock);
	if (hdr.len > XENSTORE_PAYLOAD_MAX) {
		ret = -E2BIG;
	} else if (hdr.len != req_len - sizeof(hdr) ||
		   hdr.type >= XS_TYPE_COUNT || !xs_types[hdr.type].valid) {
		ret = -EINVAL;
	} else if ((xs_types[hdr.type].flags & XS_PRIV) && !op.priv) {
		ret = -EACCES;
	} else {
		ret = 0;
		if (!(xs_types[hdr.type].flags & XS_NOTID) && hdr.tx_id) {
			op.tx = xs_tx_lookup(conn, hdr.tx_id);
			if (!op.tx)
				ret = -ENOENT;
		}
		if (!ret)
			ret = xs_dispatch(&op, hdr.type, &rq);
	}
	mutex_unlock(&s->lock);

	out->req_id = hdr.req_id;
	out->tx_id = hdr.tx_id;
	if (ret >= 0) {
		out->type = hdr.type;
		out->len = ret;
	} else {
		const char *e = xs_errstr(-ret);

		out->type = XS_ERROR;
		out->len = strlen(e) + 1;
		memcpy(rq.out, e, out->len);
	}
	return sizeof(*out) + out->len;
}
EXPORT_SYMBOL_GPL(pvio_store_process);

/**
 * pvio_store_pop_event() - take the oldest pending watch event
 * @conn: the connection
 * @buf: where to copy the XS_WATCH_EVENT message (header + "path\0token\0")
 * @size: size of @buf in bytes; PVIO_XS_MSG_MAX always suffices
 *
 * Context: process context; takes the store mutex.
 * Return: the message length, 0 if no event is pending, -ENOSPC if @buf is
 * too small (the event stays queued).
 */
int pvio_store_pop_event(struct pvio_store_conn *conn, void *buf, size_t size)
{
	struct pvio_store *s = conn->store;
	struct xs_event *e;
	int ret = 0;

	mutex_lock(&s->lock);
	e = list_first_entry_or_null(&conn->events, struct xs_event, list);
	if (e && e->len > size) {
		ret = -ENOSPC;
	} else if (e) {
		memcpy(buf, e->msg, e->len);
		ret = e->len;
		list_del(&e->list);
		conn->nr_events--;
		kfree(e);
	}
	mutex_unlock(&s->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(pvio_store_pop_event);

/**
 * pvio_store_pending_events() - number of watch events queued on @conn
 * @conn: the connection
 *
 * Context: process context; takes the store mutex.
 * Return: the count (at most the events quota for an unprivileged domain).
 */
unsigned int pvio_store_pending_events(struct pvio_store_conn *conn)
{
	unsigned int n;

	mutex_lock(&conn->store->lock);
	n = conn->nr_events;
	mutex_unlock(&conn->store->lock);
	return n;
}
EXPORT_SYMBOL_GPL(pvio_store_pending_events);

/**
 * pvio_store_dropped_events() - watch events dropped for @conn
 * @conn: the connection
 *
 * Events beyond the pending-events quota (XSA-349) or that could not be
 * allocated are dropped and counted.
 *
 * Context: process context; takes the store mutex.
 * Return: the number dropped since the connection was opened.
 */
u64 pvio_store_dropped_events(struct pvio_store_conn *conn)
{
	u64 n;

	mutex_lock(&conn->store->lock);
	n = conn->events_dropped;
	mutex_unlock(&conn->store->lock);
	return n;
}
EXPORT_SYMBOL_GPL(pvio_store_dropped_events);

/**
 * pvio_store_domain_entries() - nodes owned by a domain
 * @s: the store
 * @domid: the owner (0..PVIO_MAX_DOMID)
 *
 * Context: process context; takes the store mutex.
 * Return: the count the node quota is checked against; 0 for a domid
 * beyond PVIO_MAX_DOMID (not accounted).
 */
unsigned int pvio_store_domain_entries(struct pvio_store *s, domid_t domid)
{
	unsigned int n = 0;

	mutex_lock(&s->lock);
	if (domid <= PVIO_MAX_DOMID)
		n = s->entries[domid];
	mutex_unlock(&s->lock);
	return n;
}
EXPORT_SYMBOL_GPL(pvio_store_domain_entries);

/* ---- store and connection lifetime ------------------------------------ */

static int xs_manual_node(struct pvio_store *s, const char *name)
{
	static const struct xs_perm n0 = { .id = 0, .perms = XS_PERM_NONE };
	struct xs_node *n = xs_node_alloc(name);

	if (!n || xs_node_set_perms(n, &n0, 1)) {
		xs_node_free(n);
		return -ENOMEM;
	}
	xs_global_put(s, name, n);
	return 0;
}

/**
 * pvio_store_create() - make an empty store
 *
 * Description: the store starts as xenstored's does: "/", "/tool",
 * "/tool/xenstored" and the special nodes "@introduceDomain" and
 * "@releaseDomain", all owned by dom0 with no access for others ("n0"),
 * and the default quotas (1000 nodes, 128 watches, 1024 pending events,
 * 10 transactions, 4096-byte nodes, 5 ACL entries per unprivileged
 * domain).
 *
 * Context: process context, may sleep.
 * Return: the store, or NULL if out of memory.
 */
struct pvio_store *pvio_store_create(void)
{
	static const char * const initial[] = {
		"/", "/tool", "/tool/xenstored", "@introduceDomain",
		"@releaseDomain",
	};
	struct pvio_store *s = kzalloc(sizeof(*s), GFP_KERNEL);
	struct xs_node *n;
	unsigned int i;

	if (!s)
		return NULL;
	mutex_init(&s->lock);
	for (i = 0; i < ARRAY_SIZE(s->nodes); i++)
		INIT_HLIST_HEAD(&s->nodes[i]);
	INIT_LIST_HEAD(&s->conns);
	s->quota = xs_default_quota;
	for (i = 0; i < ARRAY_SIZE(initial); i++)
		if (xs_manual_node(s, initial[i]))
			goto fail;
	n = xs_find(s, "/");
	if (xs_node_add_child(n, "tool"))
		goto fail;
	n = xs_find(s, "/tool");
	if (xs_node_add_child(n, "xenstored"))
		goto fail;
	return s;
fail:
	pvio_store_destroy(s);
	return NULL;
}
EXPORT_SYMBOL_GPL(pvio_store_create);

/**
 * pvio_store_destroy() - free a store and every node in it
 * @s: the store (NULL is a no-op); every connection must be closed
 *
 * Context: process context.
 */
void pvio_store_destroy(struct pvio_store *s)
{
	struct hlist_node *tmp;
	struct xs_node *n;
	unsigned int i;

	if (!s)
		return;
	WARN_ON(!list_empty(&s->conns));
	for (i = 0; i < ARRAY_SIZE(s->nodes); i++)
		hlist_for_each_entry_safe(n, tmp, &s->nodes[i], hnode) {
			hlist_del(&n->hnode);
			xs_node_free(n);
		}
	mutex_destroy(&s->lock);
	kfree(s);
}
EXPORT_SYMBOL_GPL(pvio_store_destroy);

/**
 * pvio_store_set_ops() - attach the transport's introduce/release hooks
 * @s: the store
 * @ops: the hooks (may be NULL), called with the store mutex held
 * @priv: passed to the hooks
 *
 * Context: process context; takes the store mutex.
 */
void pvio_store_set_ops(struct pvio_store *s, const struct pvio_store_ops *ops,
			void *priv)
{
	mutex_lock(&s->lock);
	s->ops = ops;
	s->ops_priv = priv;
	mutex_unlock(&s->lock);
}
EXPORT_SYMBOL_GPL(pvio_store_set_ops);

/**
 * pvio_store_conn_open() - open a client connection
 * @s: the store
 * @domid: the client's domain; 0 is privileged (dom0 / the toolstack)
 * @notify: called, with the store mutex held and from whatever request
 *	caused it, each time a watch event is queued for this connection;
 *	must not sleep on or call into the store (wake a thread instead).
 *	May be NULL.
 * @data: passed to @notify
 *
 * Context: process context; takes the store mutex.
 * Return: the connection, or NULL if out of memory.
 */
struct pvio_store_conn *pvio_store_conn_open(struct pvio_store *s,
					     domid_t domid,
					     pvio_store_notify_fn notify,
					     void *data)
{
	struct pvio_store_conn *c = kzalloc(sizeof(*c), GFP_KERNEL);

	if (!c)
		return NULL;
	c->store = s;
	c->domid = domid;
	c->privileged = domid == 0;
	snprintf(c->implicit, sizeof(c->implicit), "/local/domain/%u", domid);
	INIT_LIST_HEAD(&c->watches);
	INIT_LIST_HEAD(&c->txs);
	INIT_LIST_HEAD(&c->events);
	c->next_tx_id = 1;
	c->notify = notify;
	c->notify_data = data;
	mutex_lock(&s->lock);
	list_add_tail(&c->list, &s->conns);
	mutex_unlock(&s->lock);
	return c;
}
EXPORT_SYMBOL_GPL(pvio_store_conn_open);

/**
 * pvio_store_conn_close() - close a connection
 * @conn: the connection (NULL is a no-op)
 *
 * Drops its watches, pending events and open transactions (aborted).
 * Context: process context; takes the store mutex.
 */
void pvio_store_conn_close(struct pvio_store_conn *conn)
{
	struct pvio_store *s;

	if (!conn)
		return;
	s = conn->store;
	mutex_lock(&s->lock);
	list_del(&conn->list);
	xs_conn_reset(conn);
	mutex_unlock(&s->lock);
	kfree(conn);
}
EXPORT_SYMBOL_GPL(pvio_store_conn_close);

/**
 * pvio_store_domain_setup() - the toolstack's part of creating a domain
 * @s: the store
 * @domid: the new domain (1..PVIO_MAX_DOMID)
 *
 * Creates /local/domain/<domid> owned by the domain with no access for
 * others ("n<domid>"), as a toolstack does before the guest starts, so the
 * guest can read and write below it and nothing else unless granted.
 * Watches fire as for a dom0 write.
 *
 * Context: process context; takes the store mutex.
 * Return: 0, -EINVAL for a bad domid, -ENOMEM.
 */
int pvio_store_domain_setup(struct pvio_store *s, domid_t domid)
{
	struct xs_op op = { .s = s, .domid = 0, .priv = true };
	struct xs_perm p = { .id = domid, .perms = XS_PERM_NONE };
	struct xs_node *n, *nn;
	char name[24];
	int err;

	if (!domid || domid > PVIO_MAX_DOMID)
		return -EINVAL;
	snprintf(name, sizeof(name), "/local/domain/%u", domid);
	mutex_lock(&s->lock);
	n = xs_find(s, name);
	err = n ? 0 : xs_create(&op, name, NULL, 0);
	n = xs_find(s, name);
	if (!err && n) {
		nn = xs_node_dup(n);
		err = -ENOMEM;
		if (nn && !xs_node_set_perms(nn, &p, 1)) {
			xs_global_put(s, name, nn);
			nn = NULL;
			err = 0;
		}
		xs_node_free(nn);
	}
	if (!err)
		xs_fire_now(s, name, false, NULL);
	mutex_unlock(&s->lock);
	return err;
}
EXPORT_SYMBOL_GPL(pvio_store_domain_setup);

/**
 * pvio_store_release_domain() - a domain is gone
 * @s: the store
 * @domid: the domain
 *
 * As XS_RELEASE: forgets that the domain was introduced, drops the watches,
 * events and transactions of its connections, calls the release hook and
 * fires "@releaseDomain". Its nodes stay until the toolstack removes them.
 *
 * Context: process context; takes the store mutex.
 */
void pvio_store_release_domain(struct pvio_store *s, domid_t domid)
{
	if (!domid || domid > PVIO_MAX_DOMID)
		return;
	mutex_lock(&s->lock);
	xs_release(s, domid);
	mutex_unlock(&s->lock);
}
EXPORT_SYMBOL_GPL(pvio_store_release_domain);
