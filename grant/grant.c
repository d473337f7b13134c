// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-grant.ko: the guest-side grant table driver of every domain.
 *
 * Registered as a guest component, it gives each domain (at attach) its
 * grant table mapping (GNTTABOP_query_size + setup_table, the frames
 * turned into pages with pvio_gfn_to_page()), a free list of grant
 * references skipping the reserved refs 0..7, and a list of grants whose
 * end-of-access failed because the peer still had them mapped (retried
 * from a delayed work; the page is held until the grant is ended).
 *
 * The entry protocol is Linux's v1: the granter writes domid and frame,
 * wmb(), then the flags; ending access sync_cmpxchg()es the flags to 0
 * only while neither GTF_reading nor GTF_writing is set (XSA-396): locked
 * even in a uniprocessor guest (UML), whose cmpxchg() is not.
 */

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/rcupdate.h>
#include <linux/nospec.h>
#include <pvio/guest.h>
#include <pvio/hypervisor.h>
#include <pvio/grant.h>

#define PVIO_GRANT_PER_FRAME	(4096 / sizeof(struct grant_entry_v1))
#define PVIO_GRANT_MAX_FRAMES	64
#define PVIO_GRANT_RETRY_DELAY	(HZ / 10)
#define PVIO_GRANT_WARN_DELAY	(10 * HZ)

struct pvio_grant_deferred {
	struct list_head list;
	grant_ref_t ref;
	struct page *page;
	unsigned long since;		/* jiffies */
	bool warned;
};

struct pvio_grant_dom {
	struct pvio_domain *d;
	struct mutex setup_lock;	/* growth */
	spinlock_t lock;		/* the rest; any context */
	unsigned int nr_frames;
	unsigned int max_frames;
	unsigned int nr_refs;		/* nr_frames * PER_FRAME */
	struct grant_entry_v1 *frames[PVIO_GRANT_MAX_FRAMES];
	grant_ref_t *next;		/* free and private chains */
	grant_ref_t free_head;
	unsigned int free_count;
	struct list_head deferred;
	unsigned int nr_deferred;
	struct delayed_work deferred_work;
	bool dying;
};

static struct pvio_grant_dom *pvio_grant_dom(struct pvio_domain *d)
{
	return pvio_guest_priv(d, PVIO_SLOT_GRANT);
}

static struct grant_entry_v1 *pvio_grant_entry(struct pvio_grant_dom *g,
					       grant_ref_t ref)
{
	return &g->frames[ref / PVIO_GRANT_PER_FRAME]
			 [ref % PVIO_GRANT_PER_FRAME];
}

/* A ref that the allocator hands out (never a reserved entry). */
static bool pvio_grant_ref_ok(struct pvio_grant_dom *g, grant_ref_t ref)
{
	return ref >= GNTTAB_NR_RESERVED_ENTRIES && ref < READ_ONCE(g->nr_refs);
}

/*
 * An entry the domain may fill or revoke: an allocated ref, or one of the
 * reserved entries, which belong to the domain (and its builder) alone,
 * as GNTTAB_RESERVED_XENSTORE does.
 */
static bool pvio_grant_entry_ok(struct pvio_grant_dom *g, grant_ref_t ref)
{
	return ref < READ_ONCE(g->nr_refs);
}

/* ---- table mapping and growth ----------------------------------------- */

/* Map frames up to @nr (setup_table), extending the free list. */
static int pvio_grant_grow(struct pvio_grant_dom *g, unsigned int nr)
{
	struct gnttab_setup_table setup = {};
	grant_ref_t *next = NULL, *old;
	xen_pfn_t *gfns;
	unsigned long flags;
	unsigned int i, first, last;
	int rc;

	might_sleep();
	if (nr > g->max_frames)
		return -ENOSPC;
	mutex_lock(&g->setup_lock);
	if (nr <= g->nr_frames) {
		mutex_unlock(&g->setup_lock);
		return 0;
	}
	gfns = kcalloc(nr, sizeof(*gfns), GFP_KERNEL);
	next = kcalloc(nr * PVIO_GRANT_PER_FRAME, sizeof(*next), GFP_KERNEL);
	if (!gfns || !next) {
		rc = -ENOMEM;
		goto out;
	}
	setup.dom = DOMID_SELF;
	setup.nr_frames = nr;
	set_xen_guest_handle(setup.frame_list, gfns);
	rc = pvio_grant_table_op(g->d, GNTTABOP_setup_table, &setup, 1);
	if (rc || setup.status != GNTST_okay) {
		pr_warn("pvio-grant: d%u setup_table(%u) failed: %d/%d\n",
			pvio_domain_id(g->d), nr, rc, setup.status);
		rc = rc ? rc : -ENOSPC;
		goto out;
	}
	for (i = g->nr_frames; i < nr; i++) {
		struct page *page = pvio_gfn_to_page(g->d, gfns[i]);

		if (!page) {
			rc = -EFAULT;
			goto out;
		}
		g->frames[i] = page_address(page);
	}

	spin_lock_irqsave(&g->lock, flags);
	old = g->next;
	if (old)
		memcpy(next, old, g->nr_refs * sizeof(*next));
	first = max_t(unsigned int, g->nr_refs, GNTTAB_NR_RESERVED_ENTRIES);
	last = nr * PVIO_GRANT_PER_FRAME - 1;
	for (i = first; i < last; i++)
		next[i] = i + 1;
	next[last] = g->free_head;
	g->free_head = first;
	g->free_count += last - first + 1;
	g->next = next;
	g->nr_frames = nr;
	WRITE_ONCE(g->nr_refs, nr * PVIO_GRANT_PER_FRAME);
	spin_unlock_irqrestore(&g->lock, flags);
	next = old;
	rc = 0;
out:
	mutex_unlock(&g->setup_lock);
	kfree(next);
	kfree(gfns);
	return rc;
}

/* ---- the free list ---------------------------------------------------- */

static int pvio_grant_get_free(struct pvio_grant_dom *g, unsigned int count,
			       grant_ref_t *head)
{
	unsigned long flags;
	grant_ref_t ref, last;
	unsigned int i;

	for (;;) {
		spin_lock_irqsave(&g->lock, flags);
		if (g->free_count >= count)
			break;
		spin_unlock_irqrestore(&g->lock, flags);
		/*
		 * Growth needs to sleep (setup_table, the mutex): not in
		 * atomic context, nor in a preemptible RCU read-side section
		 * (blk-mq's ->queue_rq), where preemptible() is true.
		 */
		if (!preemptible() || rcu_preempt_depth() ||
		    g->nr_frames >= g->max_frames ||
		    pvio_grant_grow(g, g->nr_frames + 1))
			return -ENOSPC;
	}
	ref = g->free_head;
	last = ref;
	for (i = 1; i < count; i++)
		last = g->next[last];
	g->free_head = g->next[last];
	g->next[last] = PVIO_GNTTAB_LIST_END;
	g->free_count -= count;
	spin_unlock_irqrestore(&g->lock, flags);
	*head = ref;
	return 0;
}

static void pvio_grant_put_free_locked(struct pvio_grant_dom *g,
				       grant_ref_t ref)
{
	lockdep_assert_held(&g->lock);
	g->next[ref] = g->free_head;
	g->free_head = ref;
	g->free_count++;
}

static void pvio_grant_put_free(struct pvio_grant_dom *g, grant_ref_t ref)
{
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	pvio_grant_put_free_locked(g, ref);
	spin_unlock_irqrestore(&g->lock, flags);
}

/**
 * pvio_gnttab_alloc_grant_references() - reserve references for later
 * @d: the caller's own domain
 * @count: how many (>= 1)
 * @head: set to a private chain of @count refs
 *
 * As Linux's gnttab_alloc_grant_references(): the chain is consumed with
 * pvio_gnttab_claim_grant_reference() and returned with
 * pvio_gnttab_free_grant_references().
 *
 * Context: any; the table grows (one more frame) only where the caller may
 * sleep (process context, outside an RCU read-side section).
 * Return: 0; -ENOSPC if not enough free refs; -EINVAL for @count 0;
 * -ENODEV if @d has no grant state.
 */
int pvio_gnttab_alloc_grant_references(struct pvio_domain *d, u16 count,
				       grant_ref_t *head)
{
	struct pvio_grant_dom *g = pvio_grant_dom(d);

	if (!g)
		return -ENODEV;
	if (!count)
		return -EINVAL;
	return pvio_grant_get_free(g, count, head);
}
EXPORT_SYMBOL_GPL(pvio_gnttab_alloc_grant_references);

/**
 * pvio_gnttab_claim_grant_reference() - take one ref off a private chain
 * @d: the caller's own domain
 * @head: the chain from pvio_gnttab_alloc_grant_references()
 *
 * Context: any. The chain is the caller's: it serialises its use.
 * Return: the ref; -ENOSPC if the chain is empty; -EINVAL (and a WARN) if
 * @head holds an invalid ref; -ENODEV if @d has no grant state.
 */
int pvio_gnttab_claim_grant_reference(struct pvio_domain *d, grant_ref_t *head)
{
	struct pvio_grant_dom *g = pvio_grant_dom(d);
	grant_ref_t ref = *head;
	unsigned long flags;

	if (!g)
		return -ENODEV;
	if (ref == PVIO_GNTTAB_LIST_END)
		return -ENOSPC;
	if (WARN_ON_ONCE(!pvio_grant_ref_ok(g, ref)))
		return -EINVAL;
	spin_lock_irqsave(&g->lock, flags);
	*head = g->next[ref];
	spin_unlock_irqrestore(&g->lock, flags);
	return ref;
}
EXPORT_SYMBOL_GPL(pvio_gnttab_claim_grant_reference);

/**
 * pvio_gnttab_release_grant_reference() - put a claimed ref back on a chain
 * @d: the caller's own domain
 * @head: the private chain
 * @ref: a ref claimed from it (its access ended or never granted)
 *
 * Context: any.
 */
void pvio_gnttab_release_grant_reference(struct pvio_domain *d,
					 grant_ref_t *head, grant_ref_t ref)
{
	struct pvio_grant_dom *g = pvio_grant_dom(d);
	unsigned long flags;

	if (!g || WARN_ON_ONCE(!pvio_grant_ref_ok(g, ref)))
		return;
	spin_lock_irqsave(&g->lock, flags);
	g->next[ref] = *head;
	*head = ref;
	spin_unlock_irqrestore(&g->lock, flags);
}
EXPORT_SYMBOL_GPL(pvio_gnttab_release_grant_reference);

/**
 * pvio_gnttab_free_grant_reference() - return one ref to the free list
 * @d: the caller's own domain
 * @ref: a ref whose access has ended (or was never granted)
 *
 * Context: any.
 */
void pvio_gnttab_free_grant_reference(struct pvio_domain *d, grant_ref_t ref)
{
	struct pvio_grant_dom *g = pvio_grant_dom(d);

	if (!g || WARN_ON_ONCE(!pvio_grant_ref_ok(g, ref)))
		return;
	pvio_grant_put_free(g, ref);
}
EXPORT_SYMBOL_GPL(pvio_gnttab_free_grant_reference);

/**
 * pvio_gnttab_free_grant_references() - return a private chain
 * @d: the caller's own domain
 * @head: the chain (PVIO_GNTTAB_LIST_END: nothing to do)
 *
 * Context: any.
 */
void pvio_gnttab_free_grant_references(struct pvio_domain *d,
				       grant_ref_t head)
{
	struct pvio_grant_dom *g = pvio_grant_dom(d);
	unsigned long flags;
	grant_ref_t ref, last;
	unsigned int n = 1;

	if (!g || head == PVIO_GNTTAB_LIST_END)
		return;
	if (WARN_ON_ONCE(!pvio_grant_ref_ok(g, head)))
		return;
	spin_lock_irqsave(&g->lock, flags);
	last = head;
	while ((ref = g->next[last]) != PVIO_GNTTAB_LIST_END &&
	       n < g->nr_refs) {
		last = ref;
		n++;
	}
	g->next[last] = g->free_head;
	g->free_head = head;
	g->free_count += n;
	spin_unlock_irqrestore(&g->lock, flags);
}
EXPORT_SYMBOL_GPL(pvio_gnttab_free_grant_references);

/**
 * pvio_gnttab_free_count() - free references (for tests and statistics)
 * @d: the domain
 *
 * Context: any.
 * Return: refs on the free list (0 if @d has no grant state).
 */
unsigned int pvio_gnttab_free_count(struct pvio_domain *d)
{
	struct pvio_grant_dom *g = pvio_grant_dom(d);

	return g ? READ_ONCE(g->free_count) : 0;
}
EXPORT_SYMBOL_GPL(pvio_gnttab_free_count);

/* ---- granting --------------------------------------------------------- */

/**
 * pvio_gnttab_grant_foreign_access_ref() - fill a grant entry
 * @d: the caller's own domain
 * @ref: a ref the caller owns (claimed or allocated), or a reserved entry
 *	(below GNTTAB_NR_RESERVED_ENTRIES: GNTTAB_RESERVED_XENSTORE)
 * @domid: the domain allowed access
 * @gfn: the caller's frame (pvio_page_to_gfn())
 * @readonly: grant read-only access
 *
 * As Linux's gnttab_grant_foreign_access_ref() (v1): domid and frame are
 * written, then wmb(), then the flags, so the hypervisor never sees a
 * valid entry with stale contents.
 *
 * Context: any.
 */
void pvio_gnttab_grant_foreign_access_ref(struct pvio_domain *d,
					  grant_ref_t ref, domid_t domid,
					  xen_pfn_t gfn, bool readonly)
{
	struct pvio_grant_dom *g = pvio_grant_dom(d);
	struct grant_entry_v1 *e;

	if (!g || WARN_ON_ONCE(!pvio_grant_entry_ok(g, ref)))
		return;
	e = pvio_grant_entry(g, ref);
	WRITE_ONCE(e->domid, domid);
	WRITE_ONCE(e->frame, gfn);
	/* The hypervisor must see domid and frame before the flags. */
	wmb();
	WRITE_ONCE(e->flags, GTF_permit_access |
		   (readonly ? GTF_readonly : 0));
}
EXPORT_SYMBOL_GPL(pvio_gnttab_grant_foreign_access_ref);

/**
 * pvio_gnttab_grant_foreign_access() - grant a peer access to a page
 * @d: the caller's own domain
 * @domid: the domain allowed access
 * @gfn: the caller's frame (pvio_page_to_gfn())
 * @readonly: grant read-only access
 *
 * Context: any; the table grows only where the caller may sleep (process
 * context, outside an RCU read-side section).
 * Return: the grant ref (>= 8), -ENOSPC if none is free, -ENODEV if @d
 * has no grant state.
 */
int pvio_gnttab_grant_foreign_access(struct pvio_domain *d, domid_t domid,
				     xen_pfn_t gfn, bool readonly)
{
	struct pvio_grant_dom *g = pvio_grant_dom(d);
	grant_ref_t ref;
	int rc;

	if (!g)
		return -ENODEV;
	rc = pvio_grant_get_free(g, 1, &ref);
	if (rc)
		return rc;
	pvio_gnttab_grant_foreign_access_ref(d, ref, domid, gfn, readonly);
	return ref;
}
EXPORT_SYMBOL_GPL(pvio_gnttab_grant_foreign_access);

/**
 * pvio_gnttab_query_foreign_access() - is a grant in use by the peer?
 * @d: the caller's own domain
 * @ref: the grant
 *
 * Context: any.
 * Return: true while GTF_reading or GTF_writing is set (mapped or being
 * copied).
 */
bool pvio_gnttab_query_foreign_access(struct pvio_domain *d, grant_ref_t ref)
{
	struct pvio_grant_dom *g = pvio_grant_dom(d);

	if (!g || !pvio_grant_entry_ok(g, ref))
		return false;
	return READ_ONCE(pvio_grant_entry(g, ref)->flags) &
	       (GTF_reading | GTF_writing);
}
EXPORT_SYMBOL_GPL(pvio_gnttab_query_foreign_access);

/*
 * Revoke @ref unless it is in use; *@gfn: the frame whose reference goes
 * with it (0 if the grant was not an access grant). Return: as
 * pvio_gnttab_end_foreign_access_ref().
 */
static bool pvio_grant_end_ref(struct pvio_grant_dom *g, grant_ref_t ref,
			       xen_pfn_t *gfn)
{
	struct grant_entry_v1 *e;
	u16 *pflags, flags, old;

	*gfn = 0;
	if (!g || WARN_ON_ONCE(!pvio_grant_entry_ok(g, ref)))
		return false;
	e = pvio_grant_entry(g, ref);
	pflags = &e->flags;
	flags = READ_ONCE(*pflags);
	/* sync_: locked even in a uniprocessor (UML) guest, as Linux's. */
	for (;;) {
		if (flags & (GTF_reading | GTF_writing))
			return false;
		old = sync_cmpxchg(pflags, flags, 0);
		if (old == flags)
			break;
		flags = old;
	}
	/* The frame's reference taken when it was granted goes with it. */
	if (flags & GTF_permit_access)
		*gfn = READ_ONCE(e->frame);
	return true;
}

/**
 * pvio_gnttab_end_foreign_access_ref() - revoke a grant if it is not in use
 * @d: the caller's own domain
 * @ref: the grant
 *
 * As Linux's gnttab_end_foreign_access_ref_v1(): sync_cmpxchg()es the
 * flags to 0 unless GTF_reading or GTF_writing is set. Only after
 * success may the page be reused or freed, and the ref freed (XSA-396). A peer can map
 * the grant again until this succeeds. Ending a grant drops the frame's
 * reference that pvio_page_to_gfn() took for it (pvio_gfn_release()).
 *
 * Context: any.
 * Return: true if access ended; false if the peer still maps or copies
 * it (or @ref is invalid).
 */
bool pvio_gnttab_end_foreign_access_ref(struct pvio_domain *d,
					grant_ref_t ref)
{
	xen_pfn_t gfn;

	if (!pvio_grant_end_ref(pvio_grant_dom(d), ref, &gfn))
		return false;
	if (gfn)
		pvio_gfn_release(d, gfn);
	return true;
}
EXPORT_SYMBOL_GPL(pvio_gnttab_end_foreign_access_ref);

/* Frames released per hold of the domain's p2m lock. */
#define PVIO_GRANT_END_BATCH	64

/**
 * pvio_gnttab_end_foreign_access_refs() - revoke grants not in use, at once
 * @d: the caller's own domain
 * @refs: @n grants
 * @n: how many
 * @ended: out, one per grant: true if access ended
 *
 * pvio_gnttab_end_foreign_access_ref() of each grant, with the frame
 * references of the ended ones dropped in batches of 64 per hold of the
 * domain's p2m lock (pvio_gfn_release_batch()) instead of one hold per
 * grant: a 1 MiB zero-copy request ends 256 grants. Each grant is revoked
 * as Linux's gnttab_end_foreign_access_ref_v1() (XSA-396): one still
 * mapped or copied by the peer is left alone (@ended false), and the
 * caller must not reuse its page or free its ref (it may defer it with
 * pvio_gnttab_end_foreign_access()).
 *
 * Context: any.
 * Return: how many grants ended.
 */
unsigned int pvio_gnttab_end_foreign_access_refs(struct pvio_domain *d,
						 const grant_ref_t *refs,
						 unsigned int n, bool *ended)
{
	struct pvio_grant_dom *g = pvio_grant_dom(d);
	xen_pfn_t gfns[PVIO_GRANT_END_BATCH], gfn;
	unsigned int i, k = 0, done = 0;

	for (i = 0; i < n; i++) {
		ended[i] = pvio_grant_end_ref(g, refs[i], &gfn);
		if (!ended[i])
			continue;
		done++;
		if (!gfn)
			continue;
		gfns[k++] = gfn;
		if (k == PVIO_GRANT_END_BATCH) {
			pvio_gfn_release_batch(d, gfns, k);
			k = 0;
		}
	}
	pvio_gfn_release_batch(d, gfns, k);
	return done;
}
EXPORT_SYMBOL_GPL(pvio_gnttab_end_foreign_access_refs);

static void pvio_grant_deferred_work(struct work_struct *work)
{
	struct pvio_grant_dom *g = container_of(to_delayed_work(work),
						struct pvio_grant_dom,
						deferred_work);
	struct pvio_grant_deferred *e, *tmp;
	unsigned long flags;
	LIST_HEAD(done);
	bool again;

	spin_lock_irqsave(&g->lock, flags);
	list_for_each_entry_safe(e, tmp, &g->deferred, list) {
		if (pvio_gnttab_end_foreign_access_ref(g->d, e->ref)) {
			/*
			 * Back on the free list in the same critical section
			 * as it leaves the deferred count, so a reader of
			 * both counts never sees the ref in neither.
			 */
			list_move(&e->list, &done);
			pvio_grant_put_free_locked(g, e->ref);
			g->nr_deferred--;
		} else if (!e->warned &&
			   time_after(jiffies, e->since + PVIO_GRANT_WARN_DELAY)) {
			e->warned = true;
			pr_info("pvio-grant: d%u grant %u still in use by the peer\n",
				pvio_domain_id(g->d), e->ref);
		}
	}
	again = !list_empty(&g->deferred) && !g->dying;
	spin_unlock_irqrestore(&g->lock, flags);

	list_for_each_entry_safe(e, tmp, &done, list) {
		if (e->page)
			put_page(e->page);
		kfree(e);
	}
	if (again)
		schedule_delayed_work(&g->deferred_work,
				      PVIO_GRANT_RETRY_DELAY);
}

/**
 * pvio_gnttab_end_foreign_access() - revoke a grant and free its page
 * @d: the caller's own domain
 * @ref: the grant (freed to the free list once access ended)
 * @page: the granted page to release with put_page() once access ended,
 *	  or NULL
 *
 * As Linux's gnttab_end_foreign_access(): if the peer still has the grant
 * mapped, the ref and page go to a deferred list retried every 100 ms;
 * neither is reused or freed before the grant is really ended. Should the
 * deferral itself fail (no memory), the ref and page are leaked, never
 * reused.
 *
 * Context: any.
 */
void pvio_gnttab_end_foreign_access(struct pvio_domain *d, grant_ref_t ref,
				    struct page *page)
{
	struct pvio_grant_dom *g = pvio_grant_dom(d);
	struct pvio_grant_deferred *e;
	unsigned long flags;

	if (!g || WARN_ON_ONCE(!pvio_grant_ref_ok(g, ref)))
		return;
	if (pvio_gnttab_end_foreign_access_ref(d, ref)) {
		pvio_grant_put_free(g, ref);
		if (page)
			put_page(page);
		return;
	}
	if (READ_ONCE(g->dying)) {
		/* Teardown: the hypervisor's page reference outlives ours. */
		if (page)
			put_page(page);
		return;
	}
	e = kzalloc(sizeof(*e), GFP_ATOMIC);
	if (e) {
		e->ref = ref;
		e->page = page;
		e->since = jiffies;
		spin_lock_irqsave(&g->lock, flags);
		list_add_tail(&e->list, &g->deferred);
		g->nr_deferred++;
		if (!g->dying)
			schedule_delayed_work(&g->deferred_work,
					      PVIO_GRANT_RETRY_DELAY);
		spin_unlock_irqrestore(&g->lock, flags);
		return;
	}
	/* Never reuse what the peer may still write: leak both (as Linux). */
	pr_warn_ratelimited("pvio-grant: d%u leaking grant %u and its page\n",
			    pvio_domain_id(d), ref);
}
EXPORT_SYMBOL_GPL(pvio_gnttab_end_foreign_access);

/**
 * pvio_gnttab_deferred_count() - grants waiting for their end of access
 * @d: the domain
 *
 * Context: any.
 * Return: the number of grants on the deferred list.
 */
unsigned int pvio_gnttab_deferred_count(struct pvio_domain *d)
{
	struct pvio_grant_dom *g = pvio_grant_dom(d);

	return g ? READ_ONCE(g->nr_deferred) : 0;
}
EXPORT_SYMBOL_GPL(pvio_gnttab_deferred_count);

/* ---- mapping and copying ---------------------------------------------- */

/**
 * pvio_gnttab_map_op_page() - the page a map op yielded
 * @d: the mapping (caller's own) domain
 * @op: a map op after the hypercall
 *
 * Context: any.
 * Return: the granted page (valid until unmapped; no vmap, no copy), or
 * NULL if the op failed.
 */
struct page *pvio_gnttab_map_op_page(struct pvio_domain *d,
				     const struct gnttab_map_grant_ref *op)
{
	if (op->status != GNTST_okay)
		return NULL;
	return pvio_machine_addr_to_page(d, op->dev_bus_addr);
}
EXPORT_SYMBOL_GPL(pvio_gnttab_map_op_page);

/**
 * pvio_gnttab_map_refs() - map a batch of grants with one hypercall
 * @d: the mapping (caller's own) domain
 * @ops: @count map ops (pvio_gnttab_set_map_op())
 * @pages: if not NULL, set to each op's page, NULL for a failed op
 * @count: ops
 *
 * Each op has its own status: a partial failure is normal (XSA-361) and
 * never fatal. A failed op gets handle PVIO_GRANT_INVALID_HANDLE, so
 * unmapping it is refused (GNTST_bad_handle) rather than hitting another
 * mapping. If the hypercall itself fails part-way (it could not read or
 * write back the ops), the ops it ran before the fault keep their
 * statuses, so a GNTST_okay one stays mapped with its handle and page, to
 * be unmapped as any other; the ops it never ran keep the
 * GNTST_general_error pvio_gnttab_set_map_op() gave them. Xen's
 * GNTTABOP_map_grant_ref leaves the ops done before a fault done too.
 *
 * Context: any (GNTTABOP_map_grant_ref never sleeps).
 * Return: 0 if every op succeeded; -EIO if the hypercall ran but at least
 * one op failed (check the statuses); the hypercall's error otherwise
 * (-EFAULT; the statuses still tell which ops are mapped).
 */
int pvio_gnttab_map_refs(struct pvio_domain *d,
			 struct gnttab_map_grant_ref *ops,
			 struct page **pages, unsigned int count)
{
	unsigned int i;
	int rc, failed = 0;

	rc = pvio_grant_table_op(d, GNTTABOP_map_grant_ref, ops, count);
	for (i = 0; i < count; i++) {
		if (ops[i].status != GNTST_okay) {
			failed++;
			ops[i].handle = PVIO_GRANT_INVALID_HANDLE;
			if (pages)
				pages[i] = NULL;
			continue;
		}
		if (pages)
			pages[i] = pvio_gnttab_map_op_page(d, &ops[i]);
	}
	if (rc)
		return rc;
	return failed ? -EIO : 0;
}
EXPORT_SYMBOL_GPL(pvio_gnttab_map_refs);

/**
 * pvio_gnttab_unmap_refs() - unmap a batch of mappings with one hypercall
 * @d: the mapping (caller's own) domain
 * @ops: @count unmap ops (pvio_gnttab_set_unmap_op())
 * @pages: if not NULL, the pages of successfully unmapped ops are set to
 *	   NULL (they must not be touched any more)
 * @count: ops
 *
 * Context: any (GNTTABOP_unmap_grant_ref never sleeps).
 * Return: 0 if every op succeeded; -EIO if at least one failed (check the
 * statuses); the hypercall's error otherwise.
 */
int pvio_gnttab_unmap_refs(struct pvio_domain *d,
			   struct gnttab_unmap_grant_ref *ops,
			   struct page **pages, unsigned int count)
{
	unsigned int i;
	int rc, failed = 0;

	rc = pvio_grant_table_op(d, GNTTABOP_unmap_grant_ref, ops, count);
	if (rc)
		return rc;
	for (i = 0; i < count; i++) {
		if (ops[i].status != GNTST_okay)
			failed++;
		else if (pages)
			pages[i] = NULL;
	}
	return failed ? -EIO : 0;
}
EXPORT_SYMBOL_GPL(pvio_gnttab_unmap_refs);

/**
 * pvio_gnttab_map_ring_refs() - map every page of a ring, or none
 * @d: the mapping (caller's own, the backend's) domain
 * @otherend: the granting domain (the frontend's domid)
 * @refs: the ring's @n grant refs as the frontend published them
 *	(hostile: any value)
 * @n: the ring's pages of 4 KiB, 1 to %PVIO_GNTTAB_MAX_RING_REFS
 * @pages: out: the @n mapped pages (all NULL when a map failed)
 * @handles: out: their handles, for pvio_gnttab_unmap_ring_refs() (left
 *	alone on failure)
 * @bad: out, when a ref is refused: the index in @refs of the first one
 * @status: out, likewise: that op's GNTST_* status
 *
 * All @n refs go to the hypervisor in one GNTTABOP_map_grant_ref batch,
 * read-write, each checked by the granting domain's frame-space rules
 * (a ref it never granted to @d, a read-only grant or another domain's
 * ref is refused). If any op fails, those that succeeded are unmapped
 * again in one batch before the return, so a ring-ref that does not map
 * leaves no map of the frontend's pages behind, as Linux's
 * xenbus_map_ring_valloc() unmaps a partial ring itself.
 *
 * Context: any (neither hypercall sleeps); the @n map ops and the unmap
 * ops of a failure are on the stack (at most 16 of each, 896 bytes: a
 * UML domU's 1 KiB frame limit allows no more).
 * Return: 0 with @pages and @handles set; -EINVAL if @n is out of range
 * (@pages, @bad and @status untouched) or a ref was refused (@bad and
 * @status name it, nothing stays mapped); the hypercall's own error
 * otherwise (-EFAULT: it could not read or write back the ops, which
 * are on this function's stack, so not expected; @bad is @n).
 */
int pvio_gnttab_map_ring_refs(struct pvio_domain *d, domid_t otherend,
			      const grant_ref_t *refs, unsigned int n,
			      struct page **pages, grant_handle_t *handles,
			      unsigned int *bad, s16 *status)
{
	struct gnttab_map_grant_ref map[PVIO_GNTTAB_MAX_RING_REFS];
	struct gnttab_unmap_grant_ref unmap[PVIO_GNTTAB_MAX_RING_REFS];
	unsigned int i, nu = 0;
	int err;

	if (!n || n > PVIO_GNTTAB_MAX_RING_REFS)
		return -EINVAL;
	for (i = 0; i < n; i++)
		pvio_gnttab_set_map_op(&map[i], 0, refs[i], otherend);
	err = pvio_gnttab_map_refs(d, map, pages, n);
	if (!err) {
		for (i = 0; i < n; i++)
			handles[i] = map[i].handle;
		return 0;
	}
	*bad = n;
	for (i = 0; i < n; i++) {
		pages[i] = NULL;
		if (map[i].status == GNTST_okay) {
			pvio_gnttab_set_unmap_op(&unmap[nu++], map[i].handle);
		} else if (*bad == n) {
			*bad = i;
			*status = map[i].status;
		}
	}
	if (nu)
		pvio_gnttab_unmap_refs(d, unmap, NULL, nu);
	return err == -EIO ? -EINVAL : err;
}
EXPORT_SYMBOL_GPL(pvio_gnttab_map_ring_refs);

/**
 * pvio_gnttab_unmap_ring_refs() - unmap a ring mapped by
 *	pvio_gnttab_map_ring_refs(), in one batch
 * @d: the mapping domain
 * @handles: the ring's @n handles
 * @pages: if not NULL, the @n pages; each one unmapped is set to NULL
 * @n: the ring's pages of 4 KiB, 1 to %PVIO_GNTTAB_MAX_RING_REFS
 *
 * One GNTTABOP_unmap_grant_ref batch (Linux's xenbus_unmap_ring_vfree()
 * does the same). A handle the hypervisor refuses leaves the others
 * unmapped all the same.
 *
 * Context: any (GNTTABOP_unmap_grant_ref never sleeps).
 * Return: 0; -EINVAL if @n is out of range (nothing unmapped); -EIO if
 * at least one handle was refused; the hypercall's own error otherwise.
 */
int pvio_gnttab_unmap_ring_refs(struct pvio_domain *d,
				const grant_handle_t *handles,
				struct page **pages, unsigned int n)
{
	struct gnttab_unmap_grant_ref unmap[PVIO_GNTTAB_MAX_RING_REFS];
	unsigned int i;

	if (!n || n > PVIO_GNTTAB_MAX_RING_REFS)
		return -EINVAL;
	for (i = 0; i < n; i++)
		pvio_gnttab_set_unmap_op(&unmap[i], handles[i]);
	return pvio_gnttab_unmap_refs(d, unmap, pages, n);
}
EXPORT_SYMBOL_GPL(pvio_gnttab_unmap_ring_refs);

/**
 * pvio_gnttab_batch_copy() - a batch of grant copies in one hypercall
 * @d: the caller's own domain
 * @ops: @count copy ops
 * @count: ops
 *
 * As Linux's gnttab_batch_copy() without the GNTST_eagain retry (pvio
 * never pages grants out).
 *
 * Context: any (GNTTABOP_copy never sleeps).
 * Return: 0 if every op succeeded; -EIO if at least one failed (check the
 * statuses); the hypercall's error otherwise.
 */
int pvio_gnttab_batch_copy(struct pvio_domain *d, struct gnttab_copy *ops,
			   unsigned int count)
{
	unsigned int i;
	int rc, failed = 0;

	rc = pvio_grant_table_op(d, GNTTABOP_copy, ops, count);
	if (rc)
		return rc;
	for (i = 0; i < count; i++)
		if (ops[i].status != GNTST_okay)
			failed++;
	return failed ? -EIO : 0;
}
EXPORT_SYMBOL_GPL(pvio_gnttab_batch_copy);

/**
 * pvio_gnttab_batch_mixed() - maps, copies and unmaps in one multicall
 * @d: the caller's own domain
 * @map: map ops (may be NULL if @nr_map is 0)
 * @nr_map: map ops
 * @copy: copy ops, run after the maps
 * @nr_copy: copy ops
 * @unmap: unmap ops, run last
 * @nr_unmap: unmap ops
 *
 * One __HYPERVISOR_multicall of up to three grant_table_op entries (the
 * empty ones left out). Failed map ops get PVIO_GRANT_INVALID_HANDLE.
 *
 * Context: any (only non-sleeping ops).
 * Return: 0 if every op succeeded; -EIO if at least one op failed (check
 * the statuses); a negative entry result or the multicall's error
 * otherwise.
 */
int pvio_gnttab_batch_mixed(struct pvio_domain *d,
			    struct gnttab_map_grant_ref *map,
			    unsigned int nr_map,
			    struct gnttab_copy *copy, unsigned int nr_copy,
			    struct gnttab_unmap_grant_ref *unmap,
			    unsigned int nr_unmap)
{
	struct multicall_entry mc[3] = {};
	unsigned int n = 0, i;
	int rc, failed = 0;

	if (nr_map) {
		mc[n].op = __HYPERVISOR_grant_table_op;
		mc[n].args[0] = GNTTABOP_map_grant_ref;
		mc[n].args[1] = (unsigned long)map;
		mc[n++].args[2] = nr_map;
	}
	if (nr_copy) {
		mc[n].op = __HYPERVISOR_grant_table_op;
		mc[n].args[0] = GNTTABOP_copy;
		mc[n].args[1] = (unsigned long)copy;
		mc[n++].args[2] = nr_copy;
	}
	if (nr_unmap) {
		mc[n].op = __HYPERVISOR_grant_table_op;
		mc[n].args[0] = GNTTABOP_unmap_grant_ref;
		mc[n].args[1] = (unsigned long)unmap;
		mc[n++].args[2] = nr_unmap;
	}
	if (!n)
		return 0;
	rc = pvio_multicall(d, mc, n);
	for (i = 0; !rc && i < n; i++)
		if (mc[i].result < 0)
			rc = mc[i].result;
	for (i = 0; i < nr_map; i++) {
		if (rc || map[i].status != GNTST_okay) {
			map[i].handle = PVIO_GRANT_INVALID_HANDLE;
			failed++;
		}
	}
	if (rc)
		return rc;
	for (i = 0; i < nr_copy; i++)
		failed += copy[i].status != GNTST_okay;
	for (i = 0; i < nr_unmap; i++)
		failed += unmap[i].status != GNTST_okay;
	return failed ? -EIO : 0;
}
EXPORT_SYMBOL_GPL(pvio_gnttab_batch_mixed);

/* ---- guest component -------------------------------------------------- */

static int pvio_grant_attach(struct pvio_domain *d)
{
	struct gnttab_query_size qs = { .dom = DOMID_SELF };
	struct pvio_grant_dom *g;
	int rc;

	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	g->d = d;
	mutex_init(&g->setup_lock);
	spin_lock_init(&g->lock);
	INIT_LIST_HEAD(&g->deferred);
	INIT_DELAYED_WORK(&g->deferred_work, pvio_grant_deferred_work);
	g->free_head = PVIO_GNTTAB_LIST_END;

	rc = pvio_grant_table_op(d, GNTTABOP_query_size, &qs, 1);
	if (rc || qs.status != GNTST_okay || !qs.nr_frames) {
		rc = rc ? rc : -ENODEV;
		goto err;
	}
	g->max_frames = min_t(u32, qs.max_nr_frames, PVIO_GRANT_MAX_FRAMES);
	/*
	 * Growth on demand needs to know that it may sleep (preemptible()).
	 * A kernel without a preempt count (UML: ARCH_NO_PREEMPT) never can
	 * tell, so its table would stay at the initial frames (2040 free
	 * refs, too few for a disk's persistent grants): it takes every
	 * frame now, in process context.
	 */
	rc = pvio_grant_grow(g, IS_ENABLED(CONFIG_PREEMPT_COUNT) ?
			     min(qs.nr_frames, g->max_frames) : g->max_frames);
	if (rc)
		goto err;
	pvio_guest_set_priv(d, PVIO_SLOT_GRANT, g);
	return 0;
err:
	kfree(g->next);
	kfree(g);
	return rc;
}

static void pvio_grant_detach(struct pvio_domain *d)
{
	struct pvio_grant_dom *g = pvio_grant_dom(d);
	struct pvio_grant_deferred *e, *tmp;
	unsigned long flags;
	unsigned int used;

	if (!g)
		return;
	spin_lock_irqsave(&g->lock, flags);
	g->dying = true;
	spin_unlock_irqrestore(&g->lock, flags);
	cancel_delayed_work_sync(&g->deferred_work);
	pvio_grant_deferred_work(&g->deferred_work.work);

	/*
	 * Grants still mapped by a peer: the hypervisor holds its own
	 * reference on each page until the peer unmaps, so dropping ours
	 * cannot free a page the peer still sees.
	 */
	list_for_each_entry_safe(e, tmp, &g->deferred, list) {
		pr_info("pvio-grant: d%u grant %u still mapped at teardown\n",
			pvio_domain_id(d), e->ref);
		if (e->page)
			put_page(e->page);
		list_del(&e->list);
		kfree(e);
	}
	used = g->nr_refs - GNTTAB_NR_RESERVED_ENTRIES - g->free_count;
	if (used)
		pr_debug("pvio-grant: d%u %u grant refs not freed\n",
			 pvio_domain_id(d), used);
	pvio_guest_set_priv(d, PVIO_SLOT_GRANT, NULL);
	kfree(g->next);
	kfree(g);
}

static struct pvio_guest_ops pvio_grant_ops = {
	.name = "grant",
	.attach = pvio_grant_attach,
	.detach = pvio_grant_detach,
};

static int __init pvio_grant_init(void)
{
	return pvio_guest_register(&pvio_grant_ops);
}

static void __exit pvio_grant_exit(void)
{
	pvio_guest_unregister(&pvio_grant_ops);
}

module_init(pvio_grant_init);
module_exit(pvio_grant_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvio guest-side grant tables");
