/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio shared-ring layer: hostile-safe helpers on top of Xen's
 * <xen/interface/io/ring.h>.
 *
 * Xen's ring.h gives the wire layout (DEFINE_RING_TYPES, the 64-byte
 * shared header, RING_IDX free-running u32 indices masked by
 * RING_SIZE - 1) and the basic push/final-check macros. This header adds
 * what a driver facing an untrusted peer needs on top of it:
 *
 *  - pure index arithmetic (notify decision, unconsumed/free counts,
 *    producer-overflow checks) as inline functions that can be unit-tested
 *    without a ring;
 *  - "available entries" accessors that read the peer's producer index
 *    exactly once, order the slot reads after it, and return -EPROTO for
 *    an impossible producer index instead of a count;
 *  - copy-out accessors that fetch a slot into the caller's private struct
 *    with one memcpy (no double fetch, XSA-155);
 *  - slot reservation, push-with-notify and final-check-before-sleep helpers
 *    built on the same functions.
 *
 * All ring macros take a pointer to a front or back ring of any type
 * declared by DEFINE_RING_TYPES() and evaluate it once.
 *
 * Typical backend loop (requests in, responses out)::
 *
 *	for (;;) {
 *		n = PVIO_RING_REQUESTS_AVAIL(&be->ring);
 *		if (n < 0)
 *			return halt_ring(be);	// log once, never touch again
 *		while (n--) {
 *			PVIO_RING_COPY_REQUEST(&be->ring, be->ring.req_cons++,
 *					       &req);
 *			handle(&req);		// validate the copy only
 *		}
 *		n = PVIO_RING_FINAL_CHECK_FOR_REQUESTS(&be->ring);
 *		if (n <= 0)
 *			break;			// sleep (or halt if n < 0)
 *	}
 *
 *	rsp = PVIO_RING_NEXT_RESPONSE(&be->ring);	// fill fields in place
 *	if (PVIO_RING_PUSH_RESPONSES(&be->ring))
 *		notify_remote_via_evtchn(port);
 */
#ifndef _PVIO_RING_H
#define _PVIO_RING_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <asm/barrier.h>
#include <xen/interface/io/ring.h>

/* ---------------------------------------------------------------------- */
/* Pure index arithmetic                                                   */
/* ---------------------------------------------------------------------- */

/**
 * pvio_ring_slot() - slot number of a free-running ring index
 * @idx: free-running index (any value, wraps at 2^32)
 * @size: ring size in entries; a power of two, as RING_SIZE() always is
 *
 * Xen rings use indices that count up forever and wrap at 2^32; the slot
 * is the index masked by size - 1, as RING_GET_REQUEST() does.
 *
 * Context: any.
 * Return: @idx & (@size - 1), in [0, @size).
 */
static inline unsigned int pvio_ring_slot(RING_IDX idx, unsigned int size)
{
	return idx & (size - 1);
}

/**
 * pvio_ring_unconsumed() - entries between a consumer and a producer index
 * @prod: producer index (free-running)
 * @cons: consumer index (free-running)
 *
 * Modular difference, correct across the 2^32 wrap as long as the real
 * distance is below 2^32. The result is only meaningful once @prod has
 * been validated (see pvio_ring_check_prod()); for a hostile @prod it can
 * be anything up to 0xFFFFFFFF.
 *
 * Context: any.
 * Return: (RING_IDX)(@prod - @cons), in entries.
 */
static inline RING_IDX pvio_ring_unconsumed(RING_IDX prod, RING_IDX cons)
{
	return prod - cons;
}

/**
 * pvio_ring_free_slots() - free request slots seen from the frontend
 * @req_prod_pvt: the frontend's private request producer index
 * @rsp_cons: the frontend's response consumer index
 * @size: ring size in entries
 *
 * Same as Xen's RING_FREE_REQUESTS(): a slot is busy from the moment a
 * request is produced into it until its response has been consumed. Both
 * indices are the frontend's own private values, so no validation is
 * needed.
 *
 * Context: any.
 * Return: number of slots the frontend may still fill, in [0, @size]
 * when the frontend respects the ring (never more than @size outstanding).
 */
static inline unsigned int pvio_ring_free_slots(RING_IDX req_prod_pvt,
						RING_IDX rsp_cons,
						unsigned int size)
{
	return size - (RING_IDX)(req_prod_pvt - rsp_cons);
}

/**
 * pvio_ring_need_notify() - must the producer send an event?
 * @old: producer index the peer could see before this push
 * @new: producer index just published
 * @event: the consumer's event index (req_event or rsp_event)
 *
 * Xen's notification hold-off: the consumer asks to be woken when the
 * producer index passes @event (it writes cons + 1 before sleeping). The
 * producer notifies iff @event lies in the newly published window
 * (@old, @new], computed modulo 2^32 exactly like
 * RING_PUSH_REQUESTS_AND_CHECK_NOTIFY():
 * (RING_IDX)(@new - @event) < (RING_IDX)(@new - @old).
 * @old == @new never notifies. If @new is "behind" @old the window is
 * taken the long way round the circle; that only happens with a corrupted
 * @old and at worst costs the peer a spurious or missed event.
 *
 * Context: any.
 * Return: true if the consumer must be notified.
 */
static inline bool pvio_ring_need_notify(RING_IDX old, RING_IDX new,
					 RING_IDX event)
{
	return (RING_IDX)(new - event) < (RING_IDX)(new - old);
}

/**
 * pvio_ring_prod_overflow() - can a producer index possibly be valid?
 * @prod: producer index read from the shared page (untrusted)
 * @base: oldest slot the producer may not overwrite yet: for requests the
 *	  backend's rsp_prod_pvt, for responses the frontend's rsp_cons
 * @limit: most entries the producer can have outstanding past @base, in
 *	   entries: RING_SIZE() for requests
 *
 * This is Xen's RING_REQUEST_PROD_OVERFLOW() / RING_RESPONSE_PROD_OVERFLOW()
 * test ((@prod - @base) > @limit, modulo 2^32) as a pure function. A jump
 * of RING_SIZE + 1, 2^31 or 0xFFFFFFFF (one step backwards) past @base is
 * an overflow; exactly @limit is not.
 *
 * Context: any.
 * Return: true if @prod claims more than @limit entries past @base.
 */
static inline bool pvio_ring_prod_overflow(RING_IDX prod, RING_IDX base,
					   unsigned int limit)
{
	return (RING_IDX)(prod - base) > limit;
}

/**
 * pvio_ring_check_prod() - validate a peer's producer index, count entries
 * @prod: producer index, read once from the shared page (untrusted)
 * @cons: our consumer index (private, trusted)
 * @base: see pvio_ring_prod_overflow(); @cons - @base is what we consumed
 *	  but have not released yet (0 for the response direction)
 * @limit: see pvio_ring_prod_overflow()
 *
 * Stricter than the Xen overflow macros alone: besides @prod running more
 * than @limit past @base, it also rejects a @prod that lies behind @cons
 * (a producer index that went backwards), for which Xen's code would
 * consume stale slots until RING_REQUEST_CONS_OVERFLOW() stops it. With
 * both checks passed, @prod - @cons entries are safe to consume and
 * cons never runs past @base + @limit.
 *
 * Context: any.
 * Return: number of unconsumed entries in [0, @limit], or -EPROTO if @prod
 * is impossible (the peer is broken or hostile: halt the ring).
 */
static inline int pvio_ring_check_prod(RING_IDX prod, RING_IDX cons,
				       RING_IDX base, unsigned int limit)
{
	RING_IDX produced = prod - base;

	if (produced > limit || produced < (RING_IDX)(cons - base))
		return -EPROTO;
	return (int)(RING_IDX)(prod - cons);
}

/* ---------------------------------------------------------------------- */
/* Shared-memory primitives (field pointers into the shared page)          */
/* ---------------------------------------------------------------------- */

/**
 * pvio_ring_avail_shared() - read a peer's producer index once and check it
 * @prodp: the producer field in the shared page (req_prod or rsp_prod)
 * @cons: our consumer index
 * @base: see pvio_ring_check_prod()
 * @limit: see pvio_ring_check_prod()
 *
 * Reads *@prodp exactly once (READ_ONCE()), then issues virt_rmb() so the
 * slot contents read afterwards are at least as new as the index, the
 * "rp = sring->req_prod; rmb();" step of blkback and netfront. The snapshot
 * is validated with pvio_ring_check_prod().
 *
 * Context: any; the caller owns the consumer side of the ring.
 * Return: entries available to consume, or -EPROTO on an impossible index.
 */
static inline int pvio_ring_avail_shared(const RING_IDX *prodp, RING_IDX cons,
					 RING_IDX base, unsigned int limit)
{
	RING_IDX prod = READ_ONCE(*prodp);

	virt_rmb(); /* slots up to prod are visible after prod itself */
	return pvio_ring_check_prod(prod, cons, base, limit);
}

/**
 * pvio_ring_arm_event() - ask the producer for an event on the next entry
 * @eventp: our event field in the shared page (req_event or rsp_event)
 * @cons: our consumer index
 *
 * Writes cons + 1 to the event index, then a full barrier (virt_mb()) so
 * the write is visible before the caller re-reads the producer index:
 * the first half of RING_FINAL_CHECK_FOR_*. The caller must re-check for
 * work afterwards, or an entry published just before the write is lost.
 *
 * Context: any; the caller owns the consumer side of the ring.
 */
static inline void pvio_ring_arm_event(RING_IDX *eventp, RING_IDX cons)
{
	WRITE_ONCE(*eventp, cons + 1);
	virt_mb(); /* event visible before we re-read the producer */
}

/**
 * pvio_ring_final_check() - final check for work before sleeping
 * @prodp: the peer's producer field in the shared page
 * @eventp: our event field in the shared page
 * @cons: our consumer index
 * @base: see pvio_ring_check_prod()
 * @limit: see pvio_ring_check_prod()
 *
 * Xen's RING_FINAL_CHECK_FOR_REQUESTS/RESPONSES with a checked count: if
 * work is already there, return it; otherwise arm the event index
 * (pvio_ring_arm_event()) and look again, so that an entry published
 * before the peer could see our new event index is not missed.
 *
 * Context: any; the caller owns the consumer side of the ring.
 * Return: >0 entries to consume (do not sleep), 0 if the ring is empty and
 * the event is armed (safe to sleep), -EPROTO on an impossible producer
 * index.
 */
static inline int pvio_ring_final_check(const RING_IDX *prodp,
					RING_IDX *eventp, RING_IDX cons,
					RING_IDX base, unsigned int limit)
{
	int n = pvio_ring_avail_shared(prodp, cons, base, limit);

	if (n)
		return n;
	pvio_ring_arm_event(eventp, cons);
	return pvio_ring_avail_shared(prodp, cons, base, limit);
}

/**
 * pvio_ring_push() - publish a producer index and decide on notification
 * @prodp: our producer field in the shared page (req_prod or rsp_prod)
 * @eventp: the peer's event field in the shared page
 * @new: our private producer index (req_prod_pvt or rsp_prod_pvt)
 *
 * RING_PUSH_*_AND_CHECK_NOTIFY(): virt_wmb() so the entries are visible
 * before the index, publish @new, virt_mb() so the index is visible before
 * we read the peer's event index, then pvio_ring_need_notify(). The old
 * index is read back from the shared page as Xen does; a peer rewriting it
 * can only cause itself a spurious or missed event.
 *
 * Context: any; the caller owns the producer side of the ring.
 * Return: true if the peer must be notified.
 */
static inline bool pvio_ring_push(RING_IDX *prodp, const RING_IDX *eventp,
				  RING_IDX new)
{
	RING_IDX old = READ_ONCE(*prodp);

	virt_wmb(); /* peer sees entries before the updated producer index */
	WRITE_ONCE(*prodp, new);
	virt_mb(); /* peer sees the new index before we check its event */
	return pvio_ring_need_notify(old, new, READ_ONCE(*eventp));
}

/* ---------------------------------------------------------------------- */
/* Ring macros: any DEFINE_RING_TYPES() front or back ring                 */
/* ---------------------------------------------------------------------- */

/**
 * PVIO_RING_REQ_PROD_OVERFLOW - backend: is this request producer bogus?
 * @r: back ring
 * @prod: request producer index read from the shared page
 *
 * Exactly Xen's RING_REQUEST_PROD_OVERFLOW(): the frontend cannot have more
 * than RING_SIZE() requests past the backend's rsp_prod_pvt.
 *
 * Return: true if @prod is impossible.
 */
#define PVIO_RING_REQ_PROD_OVERFLOW(r, prod) ({				\
	typeof(r) __pvio_rpo_r = (r);					\
	pvio_ring_prod_overflow((prod), __pvio_rpo_r->rsp_prod_pvt,	\
				RING_SIZE(__pvio_rpo_r));		\
})

/**
 * PVIO_RING_RSP_PROD_OVERFLOW - frontend: is this response producer bogus?
 * @r: front ring
 * @prod: response producer index read from the shared page
 *
 * Stricter than Xen's RING_RESPONSE_PROD_OVERFLOW() (which allows
 * RING_SIZE() responses past rsp_cons): a backend cannot answer requests
 * that were never produced, so at most req_prod_pvt - rsp_cons responses
 * can be outstanding. Everything RING_RESPONSE_PROD_OVERFLOW() rejects is
 * rejected here too.
 *
 * Return: true if @prod is impossible.
 */
#define PVIO_RING_RSP_PROD_OVERFLOW(r, prod) ({				\
	typeof(r) __pvio_spo_r = (r);					\
	pvio_ring_prod_overflow((prod), __pvio_spo_r->rsp_cons,		\
				__pvio_spo_r->req_prod_pvt -		\
				__pvio_spo_r->rsp_cons);		\
})

/**
 * PVIO_RING_REQUESTS_AVAIL - backend: checked count of unconsumed requests
 * @r: back ring
 *
 * Reads req_prod once, orders slot reads after it and validates it against
 * req_cons and rsp_prod_pvt (pvio_ring_avail_shared()). On success the
 * caller may copy out exactly that many requests starting at req_cons
 * without re-reading req_prod.
 *
 * Context: the caller owns the consumer side of the ring.
 * Return: int, number of requests in [0, RING_SIZE()], or -EPROTO if the
 * frontend published an impossible req_prod (halt the ring).
 */
#define PVIO_RING_REQUESTS_AVAIL(r) ({					\
	typeof(r) __pvio_qa_r = (r);					\
	pvio_ring_avail_shared(&__pvio_qa_r->sring->req_prod,		\
			       __pvio_qa_r->req_cons,			\
			       __pvio_qa_r->rsp_prod_pvt,		\
			       RING_SIZE(__pvio_qa_r));			\
})

/**
 * PVIO_RING_RESPONSES_AVAIL - frontend: checked count of unconsumed responses
 * @r: front ring
 *
 * Like PVIO_RING_REQUESTS_AVAIL() for rsp_prod: read once, virt_rmb(),
 * rejected if it runs past the requests actually produced
 * (PVIO_RING_RSP_PROD_OVERFLOW()) or behind rsp_cons.
 *
 * Context: the caller owns the consumer side of the ring.
 * Return: int, number of responses in [0, req_prod_pvt - rsp_cons], or
 * -EPROTO if the backend published an impossible rsp_prod.
 */
#define PVIO_RING_RESPONSES_AVAIL(r) ({					\
	typeof(r) __pvio_sa_r = (r);					\
	pvio_ring_avail_shared(&__pvio_sa_r->sring->rsp_prod,		\
			       __pvio_sa_r->rsp_cons,			\
			       __pvio_sa_r->rsp_cons,			\
			       __pvio_sa_r->req_prod_pvt -		\
			       __pvio_sa_r->rsp_cons);			\
})

/**
 * PVIO_RING_COPY_REQUEST - copy one request out of the shared ring
 * @r: back ring
 * @idx: free-running index of the request (normally req_cons)
 * @dst: pointer to the caller's private request struct
 *
 * One memcpy() of the whole slot into @dst followed by barrier(): the
 * compiler cannot read the slot again to satisfy later uses of @dst, so a
 * frontend rewriting the slot meanwhile cannot make validation and use see
 * different values (XSA-155). Unlike Xen's volatile-struct RING_COPY_*,
 * it is not affected by GCC bug 58145 (bitfield-only structs). The copy
 * may be torn if the peer writes concurrently; validate it before use.
 * @dst must point to the ring's request type (checked at build time).
 */
#define PVIO_RING_COPY_REQUEST(r, idx, dst) do {			\
	typeof(r) __pvio_cq_r = (r);					\
	typeof(dst) __pvio_cq_d = (dst);				\
	BUILD_BUG_ON(!__same_type(*__pvio_cq_d,				\
				  __pvio_cq_r->sring->ring[0].req));	\
	memcpy(__pvio_cq_d, RING_GET_REQUEST(__pvio_cq_r, (idx)),	\
	       sizeof(*__pvio_cq_d));					\
	barrier(); /* use only the private copy from here on */	\
} while (0)

/**
 * PVIO_RING_COPY_RESPONSE - copy one response out of the shared ring
 * @r: front ring
 * @idx: free-running index of the response (normally rsp_cons)
 * @dst: pointer to the caller's private response struct
 *
 * As PVIO_RING_COPY_REQUEST() for responses.
 */
#define PVIO_RING_COPY_RESPONSE(r, idx, dst) do {			\
	typeof(r) __pvio_cs_r = (r);					\
	typeof(dst) __pvio_cs_d = (dst);				\
	BUILD_BUG_ON(!__same_type(*__pvio_cs_d,				\
				  __pvio_cs_r->sring->ring[0].rsp));	\
	memcpy(__pvio_cs_d, RING_GET_RESPONSE(__pvio_cs_r, (idx)),	\
	       sizeof(*__pvio_cs_d));					\
	barrier(); /* use only the private copy from here on */	\
} while (0)

/**
 * PVIO_RING_NEXT_REQUEST - frontend: reserve the next request slot
 * @r: front ring
 *
 * If the ring is not RING_FULL(), returns the slot at req_prod_pvt and
 * advances req_prod_pvt. Write the request fields in place (never
 * struct-copy a stack temporary with padding, XSA-216) and do not read
 * them back: the backend may rewrite the slot. Nothing is visible to the
 * backend until PVIO_RING_PUSH_REQUESTS().
 *
 * Return: pointer to the request slot, or NULL if all RING_SIZE() slots are
 * in use.
 */
#define PVIO_RING_NEXT_REQUEST(r) ({					\
	typeof(r) __pvio_nq_r = (r);					\
	RING_FULL(__pvio_nq_r) ? NULL :					\
		RING_GET_REQUEST(__pvio_nq_r, __pvio_nq_r->req_prod_pvt++); \
})

/**
 * PVIO_RING_NEXT_RESPONSE - backend: reserve the next response slot
 * @r: back ring
 *
 * Responses go in order into the slots of consumed requests; a slot exists
 * only while rsp_prod_pvt is behind req_cons. Returns the slot at
 * rsp_prod_pvt and advances it. Fill the fields in place; publish with
 * PVIO_RING_PUSH_RESPONSES().
 *
 * Return: pointer to the response slot, or NULL if every consumed request
 * already has a response (a driver bug; never a peer's doing).
 */
#define PVIO_RING_NEXT_RESPONSE(r) ({					\
	typeof(r) __pvio_ns_r = (r);					\
	__pvio_ns_r->rsp_prod_pvt == __pvio_ns_r->req_cons ? NULL :	\
		RING_GET_RESPONSE(__pvio_ns_r, __pvio_ns_r->rsp_prod_pvt++); \
})

/**
 * PVIO_RING_PUSH_REQUESTS - frontend: publish requests, decide on notify
 * @r: front ring
 *
 * RING_PUSH_REQUESTS_AND_CHECK_NOTIFY() as an expression, see
 * pvio_ring_push().
 *
 * Return: bool, true if the backend must be sent an event.
 */
#define PVIO_RING_PUSH_REQUESTS(r) ({					\
	typeof(r) __pvio_pq_r = (r);					\
	pvio_ring_push(&__pvio_pq_r->sring->req_prod,			\
		       &__pvio_pq_r->sring->req_event,			\
		       __pvio_pq_r->req_prod_pvt);			\
})

/**
 * PVIO_RING_PUSH_RESPONSES - backend: publish responses, decide on notify
 * @r: back ring
 *
 * RING_PUSH_RESPONSES_AND_CHECK_NOTIFY() as an expression, see
 * pvio_ring_push().
 *
 * Return: bool, true if the frontend must be sent an event.
 */
#define PVIO_RING_PUSH_RESPONSES(r) ({					\
	typeof(r) __pvio_ps_r = (r);					\
	pvio_ring_push(&__pvio_ps_r->sring->rsp_prod,			\
		       &__pvio_ps_r->sring->rsp_event,			\
		       __pvio_ps_r->rsp_prod_pvt);			\
})

/**
 * PVIO_RING_FINAL_CHECK_FOR_REQUESTS - backend: last look before sleeping
 * @r: back ring
 *
 * RING_FINAL_CHECK_FOR_REQUESTS() with a checked result, see
 * pvio_ring_final_check(): if no request is waiting, sets
 * req_event = req_cons + 1, virt_mb(), and looks again.
 *
 * Context: the caller owns the consumer side of the ring.
 * Return: int, >0 requests waiting (keep going), 0 ring empty and event
 * armed (sleep), -EPROTO impossible req_prod (halt the ring).
 */
#define PVIO_RING_FINAL_CHECK_FOR_REQUESTS(r) ({			\
	typeof(r) __pvio_fq_r = (r);					\
	pvio_ring_final_check(&__pvio_fq_r->sring->req_prod,		\
			      &__pvio_fq_r->sring->req_event,		\
			      __pvio_fq_r->req_cons,			\
			      __pvio_fq_r->rsp_prod_pvt,		\
			      RING_SIZE(__pvio_fq_r));			\
})

/**
 * PVIO_RING_FINAL_CHECK_FOR_RESPONSES - frontend: last look before sleeping
 * @r: front ring
 *
 * RING_FINAL_CHECK_FOR_RESPONSES() with a checked result: if no response is
 * waiting, sets rsp_event = rsp_cons + 1, virt_mb(), and looks again.
 *
 * Context: the caller owns the consumer side of the ring.
 * Return: int, >0 responses waiting, 0 ring empty and event armed,
 * -EPROTO impossible rsp_prod (put the device in an error state).
 */
#define PVIO_RING_FINAL_CHECK_FOR_RESPONSES(r) ({			\
	typeof(r) __pvio_fs_r = (r);					\
	pvio_ring_final_check(&__pvio_fs_r->sring->rsp_prod,		\
			      &__pvio_fs_r->sring->rsp_event,		\
			      __pvio_fs_r->rsp_cons,			\
			      __pvio_fs_r->rsp_cons,			\
			      __pvio_fs_r->req_prod_pvt -		\
			      __pvio_fs_r->rsp_cons);			\
})

#endif /* _PVIO_RING_H */
