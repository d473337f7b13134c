// SPDX-License-Identifier: GPL-2.0
/*
 * pvio hypervisor: grant tables, version 1, after Xen's common/grant_table.c.
 *
 * Each domain has a table of struct grant_entry_v1 in 4 KiB frames that it
 * writes directly (GNTTABOP_setup_table hands it the frames' gfns) and a
 * hypervisor-private array of active entries (pins per ref, the frame
 * pinned at the first pin). A domain that maps grants has a maptrack: the
 * handles of its mappings, each holding a reference on the granting
 * table, so that a table outlives its domain until the last mapping of one
 * of its grants is unmapped. The granted page itself is held with
 * get_page() while any pin exists.
 *
 * Map, unmap and copy never sleep (spinlocks with IRQs off, GFP_ATOMIC
 * maptrack growth when not preemptible) and run in any context; table
 * growth (setup_table) needs process context.
 *
 * Fair mapping resources: a maptrack grows on demand, one chunk of
 * handles at a time, up to PVIO_MAPTRACK_MAX_CHUNKS chunks (524288 handles,
 * Xen's default of 1024 maptrack frames of 512 entries); and the live
 * maps of one granting domain's grants are counted in its table
 * (pvio_hv_grant_table.maps) and capped by the module parameter
 * max_maps_per_domain, so that one domain whose grants a backend keeps
 * mapping (persistent grants, many vbds) is refused its excess
 * (GNTST_no_space, as Xen when the maptrack is full) while every other
 * domain's grants still map. Grant copies pin but do not count.
 *
 * Locks: a table's lock (struct pvio_hv_grant_table.lock) and a maptrack's
 * lock are never held together.
 */

#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/kref.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/atomic.h>
#include <linux/moduleparam.h>
#include "internal.h"

#define PVIO_GNTTAB_INITIAL_FRAMES	4
#define PVIO_GNTTAB_MAX_FRAMES		64
#define PVIO_GNTTAB_PER_FRAME	(PVIO_PAGE_SIZE / sizeof(struct grant_entry_v1))

/* Xen's _set_status_v1(): give up on an entry the guest keeps changing. */
#define PVIO_GNTTAB_SET_STATUS_RETRIES	4
/* Pins per entry before GNTST_general_error (Xen: 8-bit counters). */
#define PVIO_GNTTAB_MAX_PINS		0x7fffffffU

/*
 * Status of a map/copy whose shared entry is not a GTF_permit_access
 * grant to the mapping domain, or is GTF_readonly and mapped for writing:
 * Xen's _set_status_v1() gives GNTST_general_error for all of them.
 */
#define PVIO_GNTST_BAD_ENTRY		GNTST_general_error

#define PVIO_MAPTRACK_PER_CHUNK	\
	(PVIO_PAGE_SIZE / sizeof(struct pvio_hv_maptrack_entry))
#define PVIO_MAPTRACK_MAX_CHUNKS	4096
#define PVIO_MAPTRACK_NONE		U32_MAX

/* setup_table's frame of a process domain's table not placed yet */
#define PVIO_HV_GFN_NONE		((xen_pfn_t)~0UL)

/*
 * Live maps of one granting domain's grants (by all mapping domains
 * together; in pvio only dom0 and driver domains map). 32768: three vbds
 * under full load (each: the ring, 1056 persistent grants, 32 requests x
 * 256 segments mapped per request, 8 indirect pages: 9257) and a vif (two
 * rings, 256 pending TX slots) are 28029 maps, plus the store ring; 16
 * domains at the quota fill dom0's 524288 handles. 0: no quota.
 */
#define PVIO_HV_MAX_MAPS_PER_DOMAIN	32768
static unsigned int pvio_hv_max_maps = PVIO_HV_MAX_MAPS_PER_DOMAIN;
module_param_named(max_maps_per_domain, pvio_hv_max_maps, uint, 0644);
MODULE_PARM_DESC(max_maps_per_domain,
		 "live grant maps of one granting domain's grants (default 32768, 0: no limit); beyond it a map gets GNTST_no_space");

struct pvio_hv_active_grant {
	u32 rd_pins;		/* read-only maps and copy sources */
	u32 wr_pins;		/* writable maps and copy destinations */
	domid_t domid;		/* the domain holding the pins */
	unsigned long mfn;	/* frame pinned at the first pin */
	struct page *page;	/* get_page() while pinned */
};

struct pvio_hv_grant_table {
	struct kref ref;		/* owner domain + each mapping */
	spinlock_t lock;		/* nr_frames, dying, active entries */
	struct mutex setup_lock;	/* serialises growth */
	domid_t domid;
	bool dying;
	unsigned int maps;		/* live maps of its grants */
	unsigned int maps_peak;		/* the most of them at once */
	unsigned int nr_frames;
	unsigned int max_frames;
	struct grant_entry_v1 *shared[PVIO_GNTTAB_MAX_FRAMES];
	xen_pfn_t gfn[PVIO_GNTTAB_MAX_FRAMES];	/* shared[i], the domain's */
	/*
	 * A process domain's frame placed by XENMAPSPACE_grant_table: shared[i]
	 * is then this page of its memory file (referenced), else a page of
	 * ours, which the process cannot reach (gfn[i] PVIO_HV_GFN_NONE).
	 */
	struct page *placed[PVIO_GNTTAB_MAX_FRAMES];
	struct pvio_hv_active_grant *active[PVIO_GNTTAB_MAX_FRAMES];
};

/* A maptrack entry's state */
#define PVIO_MT_FREE		0
#define PVIO_MT_BUSY		1	/* being created or torn down */
#define PVIO_MT_INUSE		2

struct pvio_hv_maptrack_entry {
	struct pvio_hv_grant_table *gt;	/* granting table, referenced */
	u64 dev_bus_addr;
	grant_ref_t ref;
	u16 state;			/* PVIO_MT_* */
	u16 readonly;
	u32 next;			/* free list */
};

struct pvio_hv_maptrack {
	spinlock_t lock;		/* everything below */
	bool dying;
	unsigned int nr_chunks;
	unsigned int in_use;
	u32 free_head;
	struct pvio_hv_maptrack_entry *chunks[PVIO_MAPTRACK_MAX_CHUNKS];
};

/* ---- shared entry flags ----------------------------------------------- */

/*
 * Flags and domid of a v1 entry form one 32-bit word (flags in the low
 * half on little-endian x86), updated together with cmpxchg as Xen does.
 */
static_assert(offsetof(struct grant_entry_v1, flags) == 0);
static_assert(offsetof(struct grant_entry_v1, domid) == 2);
#ifndef __LITTLE_ENDIAN
#error "pvio grant tables assume a little-endian flags/domid word"
#endif

static atomic_t *pvio_hv_gnttab_word(struct grant_entry_v1 *e)
{
	return (atomic_t *)&e->flags;
}

/*
 * Set GTF_reading (and GTF_writing unless @readonly) in a shared entry,
 * checking type and domid when it is not pinned yet (Xen's
 * _set_status_v1()). Bounded retries: a guest flipping its flags gets
 * GNTST_general_error instead of livelocking us.
 */
static s16 pvio_hv_gnttab_set_status(struct grant_entry_v1 *e, domid_t ldomid,
				     bool readonly, bool pinned, bool map)
{
	atomic_t *word = pvio_hv_gnttab_word(e);
	u32 mask = GTF_type_mask | (map ? GTF_sub_page : 0);
	unsigned int retries = 0;
	int old = atomic_read(word), new;

	for (;;) {
		u16 flags = (u32)old & 0xffff;
		domid_t domid = (u32)old >> 16;

		if (!pinned && ((flags & mask) != GTF_permit_access ||
				domid != ldomid))
			return PVIO_GNTST_BAD_ENTRY;
		new = old | GTF_reading;
		if (!readonly) {
			new |= GTF_writing;
			if (flags & GTF_readonly)
				return PVIO_GNTST_BAD_ENTRY;
		}
		if (atomic_try_cmpxchg(word, &old, new))
			return GNTST_okay;
		if (retries++ == PVIO_GNTTAB_SET_STATUS_RETRIES)
			return GNTST_general_error;
	}
}

static void pvio_hv_gnttab_clear_flags(struct grant_entry_v1 *e, u16 mask)
{
	/* One locked AND: cannot be livelocked by the guest. */
	atomic_andnot(mask, pvio_hv_gnttab_word(e));
}

/* ---- table ------------------------------------------------------------ */

static unsigned int pvio_hv_gnttab_nr_entries(const struct pvio_hv_grant_table *gt)
{
	return gt->nr_frames * PVIO_GNTTAB_PER_FRAME;
}

static struct grant_entry_v1 *pvio_hv_gnttab_shared(struct pvio_hv_grant_table *gt,
						    grant_ref_t ref)
{
	return &gt->shared[ref / PVIO_GNTTAB_PER_FRAME]
			  [ref % PVIO_GNTTAB_PER_FRAME];
}

static struct pvio_hv_active_grant *
pvio_hv_gnttab_active(struct pvio_hv_grant_table *gt, grant_ref_t ref)
{
	return &gt->active[ref / PVIO_GNTTAB_PER_FRAME]
			  [ref % PVIO_GNTTAB_PER_FRAME];
}

static void pvio_hv_gnttab_release(struct kref *ref)
{
	struct pvio_hv_grant_table *gt = container_of(ref, struct pvio_hv_grant_table,
						   ref);
	unsigned int i, j;

	/* Any context: the last unmap may run in softirq. */
	for (i = 0; i < gt->nr_frames; i++) {
		for (j = 0; j < PVIO_GNTTAB_PER_FRAME; j++)
			WARN_ON_ONCE(gt->active[i][j].rd_pins ||
				     gt->active[i][j].wr_pins);
		if (gt->placed[i])
			put_page(gt->placed[i]);
		else
			free_page((unsigned long)gt->shared[i]);
		kfree(gt->active[i]);
	}
	kfree(gt);
}

static void pvio_hv_gnttab_put(struct pvio_hv_grant_table *gt)
{
	kref_put(&gt->ref, pvio_hv_gnttab_release);
}

/*
 * Grow @d's table @gt to @nr frames; each new frame becomes a frame of
 * @d's own (pvio_page_to_gfn()), which setup_table hands out. A process
 * domain's new frames are ours until it places them in its memory
 * (pvio_hv_gnttab_place_frame()). Process context.
 */
static int pvio_hv_gnttab_grow(struct pvio_domain *d,
			       struct pvio_hv_grant_table *gt, unsigned int nr)
{
	struct grant_entry_v1 *shared;
	struct pvio_hv_active_grant *act;
	unsigned long flags;
	xen_pfn_t gfn;
	int err = 0;

	if (nr > gt->max_frames)
		return -EINVAL;
	mutex_lock(&gt->setup_lock);
	while (READ_ONCE(gt->nr_frames) < nr) {
		shared = (void *)get_zeroed_page(GFP_KERNEL);
		act = kcalloc(PVIO_GNTTAB_PER_FRAME, sizeof(*act), GFP_KERNEL);
		if (d->fdom)
			gfn = shared ? PVIO_HV_GFN_NONE : PVIO_GFN_INVALID;
		else
			gfn = shared ? pvio_page_to_gfn(d, virt_to_page(shared)) :
				       PVIO_GFN_INVALID;
		if (!shared || !act || gfn == PVIO_GFN_INVALID) {
			free_page((unsigned long)shared);
			kfree(act);
			err = -ENOMEM;
			break;
		}
		spin_lock_irqsave(&gt->lock, flags);
		if (gt->dying) {
			spin_unlock_irqrestore(&gt->lock, flags);
			free_page((unsigned long)shared);
			kfree(act);
			err = -ESRCH;
			break;
		}
		gt->shared[gt->nr_frames] = shared;
		gt->gfn[gt->nr_frames] = gfn;
		gt->active[gt->nr_frames] = act;
		gt->nr_frames++;
		spin_unlock_irqrestore(&gt->lock, flags);
	}
	mutex_unlock(&gt->setup_lock);
	return err;
}

/*
 * Xen's XENMAPSPACE_grant_table for a process domain: frame @idx of its
 * table (grown to @idx + 1 first) becomes @page, its pinned frame @gfn;
 * the entries move with it (copied under the table lock, which every
 * access to an entry holds). The frame's former page is freed (ours) or
 * released (a frame placed before). Process context.
 */
int pvio_hv_gnttab_place_frame(struct pvio_domain *d, unsigned int idx,
			       struct page *page, xen_pfn_t gfn)
{
	struct pvio_hv_grant_table *gt = d->grant_table;
	struct page *old_placed;
	void *old, *new = page_address(page);
	unsigned long flags;
	int err;

	if (idx >= gt->max_frames)
		return -EINVAL;
	err = pvio_hv_gnttab_grow(d, gt, idx + 1);
	if (err)
		return err;
	mutex_lock(&gt->setup_lock);
	get_page(page);
	spin_lock_irqsave(&gt->lock, flags);
	if (gt->dying) {
		spin_unlock_irqrestore(&gt->lock, flags);
		mutex_unlock(&gt->setup_lock);
		put_page(page);
		return -ESRCH;
	}
	old = gt->shared[idx];
	old_placed = gt->placed[idx];
	if (old != new)
		memcpy(new, old, PVIO_PAGE_SIZE);
	gt->shared[idx] = new;
	gt->placed[idx] = page;
	gt->gfn[idx] = gfn;
	spin_unlock_irqrestore(&gt->lock, flags);
	mutex_unlock(&gt->setup_lock);
	if (old_placed)
		put_page(old_placed);
	else
		free_page((unsigned long)old);
	return 0;
}

/* ---- maptrack --------------------------------------------------------- */

static struct pvio_hv_maptrack_entry *
pvio_hv_maptrack_entry(struct pvio_hv_maptrack *mt, u32 handle)
{
	return &mt->chunks[handle / PVIO_MAPTRACK_PER_CHUNK]
			  [handle % PVIO_MAPTRACK_PER_CHUNK];
}

/*
 * Add one chunk of free handles. Any context. Return: false if none can
 * be added (no memory, the maptrack at its largest, or dying); true if a
 * chunk was added or the free list has handles again (then the caller
 * takes those and comes back for more if they are not enough).
 */
static bool pvio_hv_maptrack_grow(struct pvio_hv_maptrack *mt)
{
	struct pvio_hv_maptrack_entry *chunk;
	unsigned long flags;
	unsigned int i, base;

	chunk = kcalloc(PVIO_MAPTRACK_PER_CHUNK, sizeof(*chunk),
			preemptible() ? GFP_KERNEL | __GFP_NOWARN :
			GFP_ATOMIC | __GFP_NOWARN);
	if (!chunk) {
		/* Maps short of a handle get GNTST_no_space: say why. */
		pr_warn_ratelimited("pvio: a maptrack cannot grow: no memory for %zu more handles (%s)\n",
				    PVIO_MAPTRACK_PER_CHUNK,
				    preemptible() ? "GFP_KERNEL" : "GFP_ATOMIC");
		return false;
	}
	spin_lock_irqsave(&mt->lock, flags);
	if (mt->nr_chunks == PVIO_MAPTRACK_MAX_CHUNKS ||
	    mt->free_head != PVIO_MAPTRACK_NONE || mt->dying) {
		bool more = !mt->dying && mt->free_head != PVIO_MAPTRACK_NONE;

		spin_unlock_irqrestore(&mt->lock, flags);
		kfree(chunk);
		return more;
	}
	base = mt->nr_chunks * PVIO_MAPTRACK_PER_CHUNK;
	for (i = 0; i < PVIO_MAPTRACK_PER_CHUNK; i++)
		chunk[i].next = i + 1 < PVIO_MAPTRACK_PER_CHUNK ?
				base + i + 1 : PVIO_MAPTRACK_NONE;
	mt->chunks[mt->nr_chunks++] = chunk;
	mt->free_head = base;
	spin_unlock_irqrestore(&mt->lock, flags);
	return true;
}

/*
 * Take @n free handles into @handles, growing the maptrack as needed; the
 * ones that cannot be had (pvio_hv_maptrack_grow() false) are
 * PVIO_MAPTRACK_NONE. The free list may hold a few handles that other
 * CPUs' unmaps gave back while the maptrack is full, fewer than @n: the
 * grow then adds nothing, so take those and look again, rather than
 * give up after one grow (which refused maps with GNTST_no_space while
 * two blkback rings mapped and unmapped at once).
 */
static void pvio_hv_maptrack_get_n(struct pvio_hv_maptrack *mt, u32 *handles,
				   unsigned int n)
{
	struct pvio_hv_maptrack_entry *e;
	unsigned int tries, got = 0;
	unsigned long flags;

	/* Each round takes handles or adds a chunk; bounded all the same. */
	for (tries = 0; got < n && tries < 64; tries++) {
		spin_lock_irqsave(&mt->lock, flags);
		while (got < n && !mt->dying &&
		       mt->free_head != PVIO_MAPTRACK_NONE) {
			handles[got] = mt->free_head;
			e = pvio_hv_maptrack_entry(mt, mt->free_head);
			mt->free_head = e->next;
			e->state = PVIO_MT_BUSY;
			mt->in_use++;
			got++;
		}
		spin_unlock_irqrestore(&mt->lock, flags);
		if (got == n || mt->dying || !pvio_hv_maptrack_grow(mt))
			break;
	}
	while (got < n)
		handles[got++] = PVIO_MAPTRACK_NONE;
}

/* Give a busy handle back. Caller holds mt->lock. */
static void pvio_hv_maptrack_put_locked(struct pvio_hv_maptrack *mt,
					u32 handle)
{
	struct pvio_hv_maptrack_entry *e;

	e = pvio_hv_maptrack_entry(mt, handle);
	e->state = PVIO_MT_FREE;
	e->gt = NULL;
	e->next = mt->free_head;
	mt->free_head = handle;
	mt->in_use--;
}

static void pvio_hv_maptrack_put(struct pvio_hv_maptrack *mt, u32 handle)
{
	unsigned long flags;

	spin_lock_irqsave(&mt->lock, flags);
	pvio_hv_maptrack_put_locked(mt, handle);
	spin_unlock_irqrestore(&mt->lock, flags);
}

/* ---- pins ------------------------------------------------------------- */

/*
 * Pin @ref of @rd's table for @ld (a map or one side of a copy): the
 * checks of Xen's map_grant_ref()/acquire_grant_for_copy().
 */
static s16 pvio_hv_gnttab_pin_locked(struct pvio_domain *rd,
				     struct pvio_domain *ld, grant_ref_t ref,
				     bool readonly, bool map,
				     struct page **pagep, unsigned long *mfnp)
{
	struct pvio_hv_grant_table *gt = rd->grant_table;
	struct pvio_hv_active_grant *act;
	struct grant_entry_v1 *e;
	struct page *page;
	unsigned long mfn;
	bool pinned;
	s16 rc;

	lockdep_assert_held(&gt->lock);
	if (gt->dying) {
		rc = GNTST_bad_domain;
		goto out;
	}
	if (ref >= pvio_hv_gnttab_nr_entries(gt)) {
		rc = GNTST_bad_gntref;
		goto out;
	}
	ref = array_index_nospec(ref, pvio_hv_gnttab_nr_entries(gt));
	act = pvio_hv_gnttab_active(gt, ref);
	e = pvio_hv_gnttab_shared(gt, ref);
	pinned = act->rd_pins || act->wr_pins;

	/* The granting domain's quota of live maps (not of copies). */
	if (map && gt->maps >= READ_ONCE(pvio_hv_max_maps) &&
	    READ_ONCE(pvio_hv_max_maps)) {
		/* Which GNTST_no_space this is, for whoever reads the log. */
		pr_warn_ratelimited("pvio: d%u's map of d%u's grant ref %u refused: %u live maps of d%u's grants reach the quota (max_maps_per_domain)\n",
				    ld->domid, rd->domid, ref, gt->maps,
				    rd->domid);
		rc = GNTST_no_space;
		goto out;
	}
	/* Already pinned: by the same domain only, and no overflow. */
	if (pinned && (act->domid != ld->domid ||
		       act->rd_pins >= PVIO_GNTTAB_MAX_PINS ||
		       act->wr_pins >= PVIO_GNTTAB_MAX_PINS)) {
		rc = GNTST_general_error;
		goto out;
	}
	if (!pinned || (!readonly && !act->wr_pins)) {
		rc = pvio_hv_gnttab_set_status(e, ld->domid, readonly, pinned,
					       map);
		if (rc != GNTST_okay)
			goto out;
		if (!pinned) {
			xen_pfn_t gfn = READ_ONCE(e->frame);

			if (!pvio_hv_gfn_to_mfn(rd, gfn, &mfn) ||
			    !folio_try_get(page_folio(pfn_to_page(mfn)))) {
				/* Xen: unlock_out_clear */
				pvio_hv_gnttab_clear_flags(e, GTF_reading |
							GTF_writing);
				rc = GNTST_bad_page;
				goto out;
			}
			act->domid = ld->domid;
			act->mfn = mfn;
			act->page = pfn_to_page(mfn);
		}
	}
	if (readonly)
		act->rd_pins++;
	else
		act->wr_pins++;
	if (map && ++gt->maps > gt->maps_peak)
		gt->maps_peak = gt->maps;
	*mfnp = act->mfn;
	page = act->page;
	if (pagep)
		*pagep = page;
	rc = GNTST_okay;
out:
	return rc;
}

static s16 pvio_hv_gnttab_pin(struct pvio_domain *rd, struct pvio_domain *ld,
			      grant_ref_t ref, bool readonly, bool map,
			      struct page **pagep, unsigned long *mfnp)
{
	struct pvio_hv_grant_table *gt = rd->grant_table;
	unsigned long flags;
	s16 rc;

	spin_lock_irqsave(&gt->lock, flags);
	rc = pvio_hv_gnttab_pin_locked(rd, ld, ref, readonly, map, pagep,
				       mfnp);
	spin_unlock_irqrestore(&gt->lock, flags);
	return rc;
}

/*
 * Drop a pin taken by pvio_hv_gnttab_pin(); the last one clears the flags.
 * Caller holds gt->lock. Return: the page whose reference the caller drops
 * after the unlock (the last pin), else NULL.
 */
static struct page *pvio_hv_gnttab_unpin_locked(struct pvio_hv_grant_table *gt,
						grant_ref_t ref, bool readonly,
						bool map)
{
	struct pvio_hv_active_grant *act;
	struct grant_entry_v1 *e;
	struct page *page = NULL;

	lockdep_assert_held(&gt->lock);
	act = pvio_hv_gnttab_active(gt, ref);
	e = pvio_hv_gnttab_shared(gt, ref);
	if (map && !WARN_ON_ONCE(!gt->maps))
		gt->maps--;
	if (readonly) {
		if (!WARN_ON_ONCE(!act->rd_pins))
			act->rd_pins--;
	} else {
		if (!WARN_ON_ONCE(!act->wr_pins))
			act->wr_pins--;
		if (!act->wr_pins)
			pvio_hv_gnttab_clear_flags(e, GTF_writing);
	}
	if (!act->rd_pins && !act->wr_pins && act->page) {
		pvio_hv_gnttab_clear_flags(e, GTF_reading);
		page = act->page;
		act->page = NULL;
		act->mfn = 0;
	}
	return page;
}

static void pvio_hv_gnttab_unpin(struct pvio_hv_grant_table *gt, grant_ref_t ref,
				 bool readonly, bool map)
{
	struct page *page;
	unsigned long flags;

	spin_lock_irqsave(&gt->lock, flags);
	page = pvio_hv_gnttab_unpin_locked(gt, ref, readonly, map);
	spin_unlock_irqrestore(&gt->lock, flags);
	if (page)
		put_page(page);
}

/* ---- GNTTABOP_map_grant_ref / unmap_grant_ref ------------------------- */

/* Tear down a mapping whose maptrack entry the caller set busy. */
static void pvio_hv_gnttab_unmap_entry(struct pvio_hv_maptrack *mt, u32 handle,
				       struct pvio_hv_grant_table *gt,
				       grant_ref_t ref, bool readonly)
{
	pvio_hv_gnttab_unpin(gt, ref, readonly, true);
	pvio_hv_maptrack_put(mt, handle);
	pvio_hv_gnttab_put(gt);
}

/* ---- GNTTABOP_copy ---------------------------------------------------- */

struct pvio_hv_copy_side {
	struct pvio_domain *d;		/* referenced */
	struct pvio_hv_grant_table *gt;	/* pinned gref, else NULL */
	grant_ref_t ref;
	bool readonly;
	struct page *page;		/* referenced */
};

static s16 pvio_hv_copy_claim(struct pvio_domain *ld,
			      const struct gnttab_copy_ptr *ptr, bool is_gref,
			      bool readonly, struct pvio_hv_copy_side *s)
{
	unsigned long mfn;
	struct page *page;
	s16 rc;

	s->readonly = readonly;
	if (is_gref) {
		rc = pvio_hv_gnttab_pin(s->d, ld, ptr->u.ref, readonly, false,
					&page, &mfn);
		if (rc != GNTST_okay)
			return rc;
		s->gt = s->d->grant_table;
		s->ref = ptr->u.ref;
		/* The pin holds a page reference; take one for the copy. */
		get_page(page);
		s->page = page;
		return GNTST_okay;
	}
	/* Only DOMID_SELF may name a frame: @s->d is the caller. */
	if (!pvio_hv_gfn_to_mfn(s->d, ptr->u.gmfn, &mfn))
		return GNTST_bad_page;
	page = pfn_to_page(mfn);
	/* a tail page of a compound (slab, page_frag) page counts on its head */
	if (!folio_try_get(page_folio(page)))
		return GNTST_bad_page;
	s->page = page;
	return GNTST_okay;
}

static void pvio_hv_copy_release(struct pvio_hv_copy_side *s)
{
	if (s->page)
		put_page(s->page);
	if (s->gt)
		pvio_hv_gnttab_unpin(s->gt, s->ref, s->readonly, false);
	pvio_hv_domain_put(s->d);
}

static s16 pvio_hv_copy_lock_domain(struct pvio_domain *ld, domid_t domid,
				    bool is_gref, struct pvio_hv_copy_side *s)
{
	/* Xen: "only allow copy-by-mfn for DOMID_SELF" */
	if (!is_gref && domid != DOMID_SELF)
		return GNTST_permission_denied;
	s->d = domid == DOMID_SELF ? pvio_hv_domain_lookup(ld, domid) :
				     pvio_hv_domain_get_by_id(domid);
	return s->d ? GNTST_okay : GNTST_bad_domain;
}

static s16 pvio_hv_gnttab_copy_one(struct pvio_domain *ld,
				   const struct gnttab_copy *op)
{
	bool src_gref = op->flags & GNTCOPY_source_gref;
	bool dst_gref = op->flags & GNTCOPY_dest_gref;
	struct pvio_hv_copy_side src = {}, dst = {};
	void *sp, *dp;
	s16 rc;

	if (op->source.offset + op->len > PVIO_PAGE_SIZE ||
	    op->dest.offset + op->len > PVIO_PAGE_SIZE)
		return GNTST_bad_copy_arg;

	rc = pvio_hv_copy_lock_domain(ld, op->source.domid, src_gref, &src);
	if (rc != GNTST_okay)
		goto out;
	rc = pvio_hv_copy_lock_domain(ld, op->dest.domid, dst_gref, &dst);
	if (rc != GNTST_okay)
		goto out;
	rc = pvio_hv_copy_claim(ld, &op->source, src_gref, true, &src);
	if (rc != GNTST_okay)
		goto out;
	rc = pvio_hv_copy_claim(ld, &op->dest, dst_gref, false, &dst);
	if (rc != GNTST_okay)
		goto out;

	sp = kmap_local_page(src.page);
	dp = kmap_local_page(dst.page);
	memmove(dp + op->dest.offset, sp + op->source.offset, op->len);
	kunmap_local(dp);
	kunmap_local(sp);
	pvio_hv_count(ld, grant_copies);
	pvio_hv_count_add(ld, grant_copy_bytes, op->len);
	rc = GNTST_okay;
out:
	if (dst.d)
		pvio_hv_copy_release(&dst);
	if (src.d)
		pvio_hv_copy_release(&src);
	return rc;
}

/* ---- setup_table, query_size, versions -------------------------------- */

static bool pvio_hv_gnttab_may_control(struct pvio_domain *caller,
				       struct pvio_domain *d)
{
	/* XSM_TARGET: itself, or the privileged domain */
	return caller == d || caller->privileged;
}

static long pvio_hv_gnttab_setup_table(struct pvio_domain *caller,
				       unsigned long uop, unsigned int count)
{
	struct gnttab_setup_table op;
	struct pvio_hv_grant_table *gt;
	struct pvio_domain *d;
	unsigned long flags, size, end, list;
	unsigned int i;
	xen_pfn_t gfn;

	if (count != 1)
		return -EINVAL;
	if (pvio_hv_copy_from_guest(caller, &op, uop, sizeof(op)))
		return -EFAULT;
	list = (unsigned long)op.frame_list;
	if (check_mul_overflow((unsigned long)op.nr_frames, sizeof(gfn),
			       &size) || check_add_overflow(list, size, &end))
		return -EFAULT;

	might_sleep();
	d = pvio_hv_domain_lookup(caller, op.dom);
	if (!d) {
		op.status = GNTST_bad_domain;
		goto out;
	}
	if (!pvio_hv_gnttab_may_control(caller, d)) {
		op.status = GNTST_permission_denied;
		goto put;
	}
	gt = d->grant_table;
	if (op.nr_frames > gt->max_frames ||
	    pvio_hv_gnttab_grow(d, gt, op.nr_frames)) {
		op.status = GNTST_general_error;
		goto put;
	}
	op.status = GNTST_okay;
	for (i = 0; i < op.nr_frames; i++) {
		spin_lock_irqsave(&gt->lock, flags);
		gfn = gt->gfn[i];
		spin_unlock_irqrestore(&gt->lock, flags);
		if (pvio_hv_copy_to_guest(caller, list + i * sizeof(gfn), &gfn,
					  sizeof(gfn)))
			op.status = GNTST_bad_virt_addr;
	}
put:
	pvio_hv_domain_put(d);
out:
	if (pvio_hv_copy_to_guest(caller, uop +
				  offsetof(struct gnttab_setup_table, status),
				  &op.status, sizeof(op.status)))
		return -EFAULT;
	return 0;
}

static long pvio_hv_gnttab_query_size(struct pvio_domain *caller,
				      unsigned long uop, unsigned int count)
{
	struct gnttab_query_size op;
	struct pvio_domain *d;

	if (count != 1)
		return -EINVAL;
	if (pvio_hv_copy_from_guest(caller, &op, uop, sizeof(op)))
		return -EFAULT;
	d = pvio_hv_domain_lookup(caller, op.dom);
	if (!d) {
		op.status = GNTST_bad_domain;
	} else if (!pvio_hv_gnttab_may_control(caller, d)) {
		op.status = GNTST_permission_denied;
	} else {
		op.nr_frames = READ_ONCE(d->grant_table->nr_frames);
		op.max_nr_frames = d->grant_table->max_frames;
		op.status = GNTST_okay;
	}
	pvio_hv_domain_put(d);
	return pvio_hv_copy_to_guest(caller, uop, &op, sizeof(op));
}

static long pvio_hv_gnttab_set_version(struct pvio_domain *caller,
				       unsigned long uop, unsigned int count)
{
	struct gnttab_set_version op;
	long rc;

	if (count != 1)
		return -EINVAL;
	if (pvio_hv_copy_from_guest(caller, &op, uop, sizeof(op)))
		return -EFAULT;
	if (op.version == 1)
		rc = 0;
	else if (op.version == 2)
		rc = -XEN_ENOSYS;	/* Xen with max_version 1 */
	else
		rc = -EINVAL;
	op.version = 1;
	if (pvio_hv_copy_to_guest(caller, uop, &op, sizeof(op)))
		return -EFAULT;
	return rc;
}

static long pvio_hv_gnttab_get_version(struct pvio_domain *caller,
				       unsigned long uop, unsigned int count)
{
	struct gnttab_get_version op;
	struct pvio_domain *d;
	bool ok;

	if (count != 1)
		return -EINVAL;
	if (pvio_hv_copy_from_guest(caller, &op, uop, sizeof(op)))
		return -EFAULT;
	d = pvio_hv_domain_lookup(caller, op.dom);
	if (!d)
		return -ESRCH;
	ok = pvio_hv_gnttab_may_control(caller, d);
	pvio_hv_domain_put(d);
	if (!ok)
		return -EPERM;
	op.version = 1;
	return pvio_hv_copy_to_guest(caller, uop, &op, sizeof(op));
}

/* ---- dispatch --------------------------------------------------------- */

static bool pvio_hv_gnttab_batch_ok(unsigned long uop, unsigned int count,
				    size_t size)
{
	unsigned long bytes, end;

	return !check_mul_overflow((unsigned long)count, size, &bytes) &&
	       !check_add_overflow(uop, bytes, &end);
}

union pvio_hv_gnttab_op {
	struct gnttab_map_grant_ref map;
	struct gnttab_unmap_grant_ref unmap;
	struct gnttab_copy copy;
};

/* Copy each op in, run it, copy it back out (status and results). */
static long pvio_hv_gnttab_batch(struct pvio_domain *caller, unsigned long uop,
				 unsigned int count, size_t size,
				 void (*fn)(struct pvio_domain *caller,
					    union pvio_hv_gnttab_op *op))
{
	union pvio_hv_gnttab_op op;
	unsigned long addr;
	unsigned int i;

	if (!pvio_hv_gnttab_batch_ok(uop, count, size))
		return -EFAULT;
	for (i = 0; i < count; i++) {
		addr = uop + (unsigned long)i * size;
		if (pvio_hv_copy_from_guest(caller, &op, addr, size))
			return -EFAULT;
		fn(caller, &op);
		if (pvio_hv_copy_to_guest(caller, addr, &op, size))
			return -EFAULT;
	}
	return 0;
}

/*
 * Ops handled per hold of the locks: a map or unmap batch takes the
 * caller's maptrack lock twice and each granting table's lock once per
 * PVIO_HV_GNTTAB_CHUNK ops, and keeps the granting domain across ops that
 * name the same one, instead of all of it per op. Xen's
 * gnttab_map_grant_ref() runs its ops one at a time, each under the
 * granting table's lock and a maptrack lock; what a batch observes here
 * is the same: the ops run in order, each gets its own status, a failing
 * op does not stop the rest, and a fault stops the batch after the ops
 * before it. Bounded so that interrupts stay off for 16 pins at most.
 */
#define PVIO_HV_GNTTAB_CHUNK	16

/*
 * Copy up to @n ops of @size bytes in, from op @first of the array at
 * @uop, into @ops (@stride bytes apart), one op at a time.
 * Return: the ops copied (fewer than @n: the next one faulted).
 */
static unsigned int pvio_hv_gnttab_copy_in(struct pvio_domain *caller,
					   unsigned long uop, unsigned int first,
					   unsigned int n, size_t size,
					   void *ops, size_t stride)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pvio_hv_copy_from_guest(caller, ops + i * stride,
					    uop + (unsigned long)(first + i) *
					    size, size))
			break;
	return i;
}

struct pvio_hv_map_slot {
	struct gnttab_map_grant_ref op;
	struct pvio_hv_grant_table *gt;	/* pinned and referenced, else NULL */
	u32 handle;			/* PVIO_MAPTRACK_NONE: none */
};

/*
 * Pin the grants of @n map ops (handles taken): each granting table's
 * lock held across the ops that name it in a row.
 */
static void pvio_hv_gnttab_map_pin(struct pvio_domain *ld,
				   struct pvio_hv_map_slot *b, unsigned int n,
				   struct pvio_domain **rdp)
{
	struct pvio_domain *rd = *rdp;
	struct gnttab_map_grant_ref *op;
	struct pvio_hv_grant_table *gt;
	unsigned long gflags, mfn;
	unsigned int i = 0;
	s16 rc;

	while (i < n) {
		op = &b[i].op;
		b[i].gt = NULL;
		if (!(op->flags & (GNTMAP_device_map | GNTMAP_host_map))) {
			op->status = GNTST_bad_gntref;
			i++;
			continue;
		}
		/* Xen: rcu_lock_domain_by_id(), so no DOMID_SELF here. */
		if (!rd || rd->domid != op->dom) {
			if (rd)
				pvio_hv_domain_put(rd);
			rd = pvio_hv_domain_get_by_id(op->dom);
		}
		if (!rd) {
			op->status = GNTST_bad_domain;
			i++;
			continue;
		}
		/* The ops naming this domain in a row, under one lock. */
		gt = rd->grant_table;
		spin_lock_irqsave(&gt->lock, gflags);
		for (; i < n; i++) {
			op = &b[i].op;
			b[i].gt = NULL;
			if (!(op->flags & (GNTMAP_device_map | GNTMAP_host_map))) {
				op->status = GNTST_bad_gntref;
				continue;
			}
			if (op->dom != rd->domid)
				break;
			if (b[i].handle == PVIO_MAPTRACK_NONE) {
				op->status = GNTST_no_space;
				continue;
			}
			rc = pvio_hv_gnttab_pin_locked(rd, ld, op->ref,
						       op->flags & GNTMAP_readonly,
						       true, NULL, &mfn);
			if (rc != GNTST_okay) {
				op->status = rc;
				continue;
			}
			kref_get(&gt->ref);
			b[i].gt = gt;
			op->handle = b[i].handle;
			op->dev_bus_addr = (u64)mfn << PVIO_PAGE_SHIFT;
			op->status = GNTST_okay;
		}
		spin_unlock_irqrestore(&gt->lock, gflags);
	}
	*rdp = rd;
}

/* GNTTABOP_map_grant_ref over @count ops at @uop. */
static long pvio_hv_gnttab_map_batch(struct pvio_domain *ld, unsigned long uop,
				     unsigned int count)
{
	const size_t size = sizeof(struct gnttab_map_grant_ref);
	struct pvio_hv_map_slot b[PVIO_HV_GNTTAB_CHUNK];
	u32 handles[PVIO_HV_GNTTAB_CHUNK];
	struct pvio_hv_maptrack *mt = ld->maptrack;
	struct pvio_hv_maptrack_entry *me;
	unsigned int done, want, n, i, ok;
	struct pvio_domain *rd = NULL;
	unsigned long flags;
	long ret = 0;

	if (!pvio_hv_gnttab_batch_ok(uop, count, size))
		return -EFAULT;
	for (done = 0; done < count && !ret; done += n) {
		want = min_t(unsigned int, count - done, PVIO_HV_GNTTAB_CHUNK);
		n = pvio_hv_gnttab_copy_in(ld, uop, done, want, size, &b[0].op,
					   sizeof(b[0]));
		if (n < want)
			ret = -EFAULT;
		if (!n)
			break;
		pvio_hv_maptrack_get_n(mt, handles, n);
		for (i = 0; i < n; i++)
			b[i].handle = handles[i];
		pvio_hv_gnttab_map_pin(ld, b, n, &rd);

		ok = 0;
		spin_lock_irqsave(&mt->lock, flags);
		for (i = 0; i < n; i++) {
			if (!b[i].gt) {
				if (b[i].handle != PVIO_MAPTRACK_NONE)
					pvio_hv_maptrack_put_locked(mt,
								    b[i].handle);
				continue;
			}
			me = pvio_hv_maptrack_entry(mt, b[i].handle);
			me->gt = b[i].gt;
			me->ref = b[i].op.ref;
			me->readonly = !!(b[i].op.flags & GNTMAP_readonly);
			me->dev_bus_addr = b[i].op.dev_bus_addr;
			me->state = PVIO_MT_INUSE;
			ok++;
		}
		spin_unlock_irqrestore(&mt->lock, flags);
		if (ok)
			pvio_hv_count_add(ld, grant_maps, ok);

		for (i = 0; i < n; i++)
			if (pvio_hv_copy_to_guest(ld, uop +
						  (unsigned long)(done + i) * size,
						  &b[i].op, size)) {
				ret = -EFAULT;
				break;
			}
	}
	if (rd)
		pvio_hv_domain_put(rd);
	return ret;
}

struct pvio_hv_unmap_slot {
	struct gnttab_unmap_grant_ref op;
	struct pvio_hv_grant_table *gt;	/* the mapping's, else NULL */
	struct page *page;		/* to put after the unlock */
	u32 handle;			/* checked */
	grant_ref_t ref;
	bool readonly;
};

/* Claim the maptrack entries of @n unmap ops (set busy), under one lock. */
static void pvio_hv_gnttab_unmap_claim(struct pvio_hv_maptrack *mt,
				       struct pvio_hv_unmap_slot *b,
				       unsigned int n)
{
	struct pvio_hv_maptrack_entry *me;
	unsigned int i, nr;
	unsigned long flags;
	u32 handle;

	spin_lock_irqsave(&mt->lock, flags);
	nr = mt->nr_chunks * PVIO_MAPTRACK_PER_CHUNK;
	for (i = 0; i < n; i++) {
		struct gnttab_unmap_grant_ref *op = &b[i].op;

		b[i].gt = NULL;
		b[i].page = NULL;
		handle = op->handle;
		if (handle >= nr) {
			op->status = GNTST_bad_handle;
			continue;
		}
		handle = array_index_nospec(handle, nr);
		me = pvio_hv_maptrack_entry(mt, handle);
		if (me->state != PVIO_MT_INUSE) {
			op->status = GNTST_bad_handle;
			continue;
		}
		/* Xen: "Bus address doesn't match gntref" */
		if (op->dev_bus_addr && op->dev_bus_addr != me->dev_bus_addr) {
			op->status = GNTST_bad_dev_addr;
			continue;
		}
		me->state = PVIO_MT_BUSY;
		b[i].handle = handle;
		b[i].gt = me->gt;
		b[i].ref = me->ref;
		b[i].readonly = me->readonly;
		op->status = GNTST_okay;
	}
	spin_unlock_irqrestore(&mt->lock, flags);
}

/*
 * Unpin the claimed ops from @i on that name @b[@i]'s granting table in a
 * row (failed ops between them skipped), under one hold of its lock.
 * Return: the first op after them.
 */
static unsigned int pvio_hv_gnttab_unpin_run(struct pvio_hv_unmap_slot *b,
					     unsigned int i, unsigned int n)
{
	struct pvio_hv_grant_table *gt = b[i].gt;
	unsigned long flags;

	spin_lock_irqsave(&gt->lock, flags);
	for (; i < n && (!b[i].gt || b[i].gt == gt); i++)
		if (b[i].gt)
			b[i].page = pvio_hv_gnttab_unpin_locked(gt, b[i].ref,
								b[i].readonly,
								true);
	spin_unlock_irqrestore(&gt->lock, flags);
	return i;
}

/* GNTTABOP_unmap_grant_ref over @count ops at @uop. */
static long pvio_hv_gnttab_unmap_batch(struct pvio_domain *ld,
				       unsigned long uop, unsigned int count)
{
	const size_t size = sizeof(struct gnttab_unmap_grant_ref);
	struct pvio_hv_unmap_slot b[PVIO_HV_GNTTAB_CHUNK];
	struct pvio_hv_maptrack *mt = ld->maptrack;
	unsigned int done, want, n, i, ok;
	unsigned long flags;
	long ret = 0;

	if (!pvio_hv_gnttab_batch_ok(uop, count, size))
		return -EFAULT;
	for (done = 0; done < count && !ret; done += n) {
		want = min_t(unsigned int, count - done, PVIO_HV_GNTTAB_CHUNK);
		n = pvio_hv_gnttab_copy_in(ld, uop, done, want, size, &b[0].op,
					   sizeof(b[0]));
		if (n < want)
			ret = -EFAULT;
		if (!n)
			break;
		pvio_hv_gnttab_unmap_claim(mt, b, n);

		for (i = 0; i < n;)
			i = b[i].gt ? pvio_hv_gnttab_unpin_run(b, i, n) : i + 1;

		ok = 0;
		spin_lock_irqsave(&mt->lock, flags);
		for (i = 0; i < n; i++) {
			if (!b[i].gt)
				continue;
			pvio_hv_maptrack_put_locked(mt, b[i].handle);
			ok++;
		}
		spin_unlock_irqrestore(&mt->lock, flags);
		for (i = 0; i < n; i++) {
			if (b[i].page)
				put_page(b[i].page);
			if (b[i].gt)
				pvio_hv_gnttab_put(b[i].gt);
		}
		if (ok)
			pvio_hv_count_add(ld, grant_unmaps, ok);

		for (i = 0; i < n; i++)
			if (pvio_hv_copy_to_guest(ld, uop +
						  (unsigned long)(done + i) * size,
						  &b[i].op, size)) {
				ret = -EFAULT;
				break;
			}
	}
	return ret;
}

static void pvio_hv_gnttab_copy_op(struct pvio_domain *caller,
				   union pvio_hv_gnttab_op *op)
{
	op->copy.status = pvio_hv_gnttab_copy_one(caller, &op->copy);
}

/**
 * pvio_hv_do_grant_table_op() - __HYPERVISOR_grant_table_op
 * @caller: calling domain
 * @cmd: GNTTABOP_*
 * @uop: guest address of the op array
 * @count: ops in the array
 *
 * As Xen's do_grant_table_op() for v1 tables: map_grant_ref,
 * unmap_grant_ref and copy process @count ops in order, each with its own
 * status (a failing op does not stop the rest) and never sleep;
 * setup_table, query_size, set_version and get_version take exactly one
 * op. transfer, dump_table, unmap_and_replace, get_status_frames,
 * swap_grant_ref and cache_flush are not implemented.
 *
 * Return: 0 (per-op results in the ops), -EINVAL for a negative count or
 * a count other than 1 where one op is expected, -EFAULT for a bad
 * address, -XEN_ENOSYS for an unknown or unimplemented @cmd.
 */
long pvio_hv_do_grant_table_op(struct pvio_domain *caller, unsigned int cmd,
			       unsigned long uop, unsigned int count)
{
	if ((int)count < 0)
		return -EINVAL;

	switch (cmd) {
	case GNTTABOP_map_grant_ref:
		return pvio_hv_gnttab_map_batch(caller, uop, count);
	case GNTTABOP_unmap_grant_ref:
		return pvio_hv_gnttab_unmap_batch(caller, uop, count);
	case GNTTABOP_copy:
		return pvio_hv_gnttab_batch(caller, uop, count,
					 sizeof(struct gnttab_copy),
					 pvio_hv_gnttab_copy_op);
	case GNTTABOP_setup_table:
		return pvio_hv_gnttab_setup_table(caller, uop, count);
	case GNTTABOP_query_size:
		return pvio_hv_gnttab_query_size(caller, uop, count);
	case GNTTABOP_set_version:
		return pvio_hv_gnttab_set_version(caller, uop, count);
	case GNTTABOP_get_version:
		return pvio_hv_gnttab_get_version(caller, uop, count);
	default:
		return -XEN_ENOSYS;
	}
}

/* ---- domain lifetime -------------------------------------------------- */

int pvio_hv_gnttab_domain_init(struct pvio_domain *d)
{
	struct pvio_hv_grant_table *gt;
	struct pvio_hv_maptrack *mt;
	int err;

	gt = kzalloc(sizeof(*gt), GFP_KERNEL);
	mt = kvzalloc(sizeof(*mt), GFP_KERNEL);	/* 32 KiB of chunk pointers */
	if (!gt || !mt) {
		kfree(gt);
		kvfree(mt);
		return -ENOMEM;
	}
	kref_init(&gt->ref);
	spin_lock_init(&gt->lock);
	mutex_init(&gt->setup_lock);
	gt->domid = d->domid;
	gt->max_frames = PVIO_GNTTAB_MAX_FRAMES;
	err = pvio_hv_gnttab_grow(d, gt, PVIO_GNTTAB_INITIAL_FRAMES);
	if (err) {
		pvio_hv_gnttab_put(gt);
		kvfree(mt);
		return err;
	}
	spin_lock_init(&mt->lock);
	mt->free_head = PVIO_MAPTRACK_NONE;
	pvio_hv_maptrack_grow(mt);
	d->grant_table = gt;
	d->maptrack = mt;
	return 0;
}

/*
 * Domain destruction: unmap every mapping the domain holds (Xen's
 * gnttab_release_mappings()) and refuse new maps and copies of its own
 * grants. Mappings other domains hold of its grants stay valid; the table
 * (frames included) is freed when the domain struct is and the last of
 * them is unmapped (pvio_hv_gnttab_domain_free()).
 */
void pvio_hv_gnttab_domain_destroy(struct pvio_domain *d)
{
	struct pvio_hv_grant_table *gt = d->grant_table;
	struct pvio_hv_maptrack *mt = d->maptrack;
	struct pvio_hv_maptrack_entry *me;
	struct pvio_hv_grant_table *mgt;
	unsigned long flags;
	grant_ref_t ref;
	bool readonly;
	u32 handle, nr;

	if (!gt)
		return;
	spin_lock_irqsave(&gt->lock, flags);
	gt->dying = true;
	spin_unlock_irqrestore(&gt->lock, flags);

	spin_lock_irqsave(&mt->lock, flags);
	mt->dying = true;
	nr = mt->nr_chunks * PVIO_MAPTRACK_PER_CHUNK;
	spin_unlock_irqrestore(&mt->lock, flags);
	for (handle = 0; handle < nr; handle++) {
		spin_lock_irqsave(&mt->lock, flags);
		me = pvio_hv_maptrack_entry(mt, handle);
		if (me->state != PVIO_MT_INUSE) {
			spin_unlock_irqrestore(&mt->lock, flags);
			continue;
		}
		me->state = PVIO_MT_BUSY;
		mgt = me->gt;
		ref = me->ref;
		readonly = me->readonly;
		spin_unlock_irqrestore(&mt->lock, flags);
		pvio_hv_gnttab_unmap_entry(mt, handle, mgt, ref, readonly);
		cond_resched();
	}
}

/* The domain struct is being freed: drop its table and maptrack. */
void pvio_hv_gnttab_domain_free(struct pvio_domain *d)
{
	struct pvio_hv_maptrack *mt = d->maptrack;
	unsigned int i;

	if (mt) {
		WARN_ON(mt->in_use);
		for (i = 0; i < mt->nr_chunks; i++)
			kfree(mt->chunks[i]);
		kvfree(mt);
		d->maptrack = NULL;
	}
	if (d->grant_table) {
		pvio_hv_gnttab_put(d->grant_table);
		d->grant_table = NULL;
	}
}

/*
 * Live maps: those @d holds (its maptrack's handles in use) and those of
 * @d's grants (by any domain), with the most of the latter at once since
 * the domain was created. Any context.
 */
void pvio_hv_gnttab_live_maps(const struct pvio_domain *d, u64 *held,
			      u64 *granted, u64 *peak)
{
	unsigned long flags;

	*held = 0;
	*granted = 0;
	*peak = 0;
	if (d->maptrack) {
		spin_lock_irqsave(&d->maptrack->lock, flags);
		*held = d->maptrack->in_use;
		spin_unlock_irqrestore(&d->maptrack->lock, flags);
	}
	if (d->grant_table) {
		spin_lock_irqsave(&d->grant_table->lock, flags);
		*granted = d->grant_table->maps;
		*peak = d->grant_table->maps_peak;
		spin_unlock_irqrestore(&d->grant_table->lock, flags);
	}
}
