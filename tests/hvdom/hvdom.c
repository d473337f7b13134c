// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-hvdom: play domains that are processes of dom0 (/dev/pvio-hv,
 * include/uapi/pvio/hv.h), each with a memfd as its memory, and check
 * what the hypervisor does with them: creation, memory registration,
 * hypercalls (grant table setup and query, grant copy and map between two
 * such domains, event channels with their upcall as SIGIO, multicall),
 * every bad input (bad fds, a file that is not shmem or is too small, an
 * unknown hypercall, pointers outside the process), the store ring mapped
 * by dom0 through the domain's file when pvio-store is loaded, and the
 * domain's end however its process ends (exit at each step, kill -9 in
 * the middle of hypercalls, blocked in SCHEDOP_block, while pinning).
 *
 * Prints KTAP lines ("ok N - ...", "not ok N - ...", then "1..N") and
 * exits 0 only if every check passed (tests/scenarios/uml-hv.sh).
 *
 *   pvio-hvdom [--no-store]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <xen/privcmd.h>
#include <xen/interface/xen.h>
#include <xen/interface/grant_table.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/memory.h>
#include <xen/interface/sched.h>
#include <xen/interface/version.h>
#include <xen/interface/io/xs_wire.h>
#include <pvio/hv.h>
#include <pvio/pvio.h>

#define PAGE		4096UL
#define NR_FRAMES	64	/* declared memory */
#define NR_PINNED	48	/* frames 0..47; 48..63 are not frames */
#define F_SHINFO	1	/* shared_info */
#define F_GNTTAB	2	/* grant table frame 0 */
#define F_STORE		3	/* store ring */
#define F_DATA		8	/* data pages from here */
#define F_UNPINNED	50
/* Xen's public/errno.h ENOSYS (Linux's value): an unknown hypercall */
#define XEN_ENOSYS	38
#define LIST_MAX	256	/* domids 0..PVIO_MAX_DOMID */

static unsigned int t_n, t_failed;

static void t_result(bool ok, const char *fmt, ...)
{
	va_list ap;

	t_n++;
	if (!ok)
		t_failed++;
	printf("%sok %u - ", ok ? "" : "not ", t_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* An expected errno from a call returning -1. */
/* errno is read after @call returned. */
#define T_ERRNO(call, err, what) do {			\
	long r_ = (call);				\
	t_errno(r_, errno, (err), (what));		\
} while (0)

static void t_errno(long r, int e, int want, const char *what)
{
	t_result(r == -1 && e == want, "%s: %s", what, strerror(want));
	if (!(r == -1 && e == want))
		diag("got %ld, errno %d (%s)", r, e, strerror(e));
}

#define T_OK(call, what) do {						\
	long __r = (call);						\
	int __e = errno;						\
	t_result(__r >= 0, "%s", what);					\
	if (__r < 0)							\
		diag("got %ld, errno %d (%s)", __r, __e, strerror(__e)); \
} while (0)

struct dom {
	int fd;			/* /dev/pvio-hv */
	int mem;		/* memfd */
	unsigned char *m;	/* its mapping */
	unsigned int domid;
};

static void *frame(struct dom *d, unsigned long f)
{
	return d->m + f * PAGE;
}

static long hc(struct dom *d, unsigned long op, unsigned long a1,
	       unsigned long a2, unsigned long a3)
{
	struct privcmd_hypercall h = { .op = op, .arg = { a1, a2, a3 } };

	return ioctl(d->fd, IOCTL_PRIVCMD_HYPERCALL, &h);
}

static long gnttab(struct dom *d, unsigned int cmd, void *op, unsigned int n)
{
	return hc(d, __HYPERVISOR_grant_table_op, cmd, (unsigned long)op, n);
}

static long evtchn(struct dom *d, unsigned int cmd, void *op)
{
	return hc(d, __HYPERVISOR_event_channel_op, cmd, (unsigned long)op, 0);
}

static long place(struct dom *d, unsigned int space, unsigned long idx,
		  unsigned long gpfn)
{
	struct xen_add_to_physmap x = {
		.domid = DOMID_SELF, .space = space, .idx = idx, .gpfn = gpfn,
	};

	return hc(d, __HYPERVISOR_memory_op, XENMEM_add_to_physmap,
		  (unsigned long)&x, 0);
}

static int dom_create(struct dom *d, const char *name)
{
	struct pvio_hv_create c = { .nr_vcpus = 1 };

	memset(d, 0, sizeof(*d));
	d->mem = -1;
	d->fd = open(PVIO_HV_DEVICE, O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		return -1;
	snprintf(c.name, sizeof(c.name), "%s", name);
	if (ioctl(d->fd, PVIO_HV_IOC_CREATE, &c))
		return -1;
	d->domid = c.domid;
	return 0;
}

/* Its memory: a memfd of NR_FRAMES pages, mapped; frames 0..NR_PINNED-1. */
static int dom_memory(struct dom *d)
{
	struct pvio_hv_memory m = { .nr_frames = NR_FRAMES };
	struct pvio_hv_pin p = { .first = 0, .nr = NR_PINNED };

	d->mem = memfd_create("pvio-hvdom", MFD_CLOEXEC);
	if (d->mem < 0 || ftruncate(d->mem, NR_FRAMES * PAGE))
		return -1;
	d->m = mmap(NULL, NR_FRAMES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    d->mem, 0);
	if (d->m == MAP_FAILED)
		return -1;
	m.fd = d->mem;
	if (ioctl(d->fd, PVIO_HV_IOC_SET_MEMORY, &m) ||
	    ioctl(d->fd, PVIO_HV_IOC_PIN, &p))
		return -1;
	return 0;
}

/* shared_info and grant frame 0 into its memory, as an HVM guest does. */
static int dom_place(struct dom *d)
{
	if (place(d, XENMAPSPACE_shared_info, 0, F_SHINFO) ||
	    place(d, XENMAPSPACE_grant_table, 0, F_GNTTAB))
		return -1;
	return 0;
}

static int dom_up(struct dom *d, const char *name)
{
	return dom_create(d, name) || dom_memory(d) || dom_place(d) ? -1 : 0;
}

static void dom_close(struct dom *d)
{
	if (d->m && d->m != MAP_FAILED)
		munmap(d->m, NR_FRAMES * PAGE);
	if (d->mem >= 0)
		close(d->mem);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->mem = -1;
	d->m = NULL;
}

static struct shared_info *shinfo(struct dom *d)
{
	return frame(d, F_SHINFO);
}

static struct grant_entry_v1 *gentry(struct dom *d, unsigned int ref)
{
	return (struct grant_entry_v1 *)frame(d, F_GNTTAB) + ref;
}

/* Grant frame @f of @d to @to at @ref (Linux's gnttab_grant_foreign_access). */
static void grant(struct dom *d, unsigned int ref, unsigned int to,
		  unsigned long f, bool readonly)
{
	struct grant_entry_v1 *e = gentry(d, ref);

	e->frame = f;
	e->domid = to;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&e->flags, GTF_permit_access |
			 (readonly ? GTF_readonly : 0), __ATOMIC_RELEASE);
}

static uint16_t gflags(struct dom *d, unsigned int ref)
{
	return __atomic_load_n(&gentry(d, ref)->flags, __ATOMIC_ACQUIRE);
}

static bool port_pending(struct dom *d, unsigned int port)
{
	xen_ulong_t w = __atomic_load_n(&shinfo(d)->evtchn_pending[port / 64],
					__ATOMIC_ACQUIRE);

	return w & (1UL << (port % 64));
}

static s16 copy_from_grant(struct dom *d, unsigned int from, unsigned int ref,
			   unsigned long dst_frame, unsigned int len)
{
	struct gnttab_copy op = {
		.source.u.ref = ref, .source.domid = from,
		.dest.u.gmfn = dst_frame, .dest.domid = DOMID_SELF,
		.len = len, .flags = GNTCOPY_source_gref,
	};

	if (gnttab(d, GNTTABOP_copy, &op, 1))
		return 9999;
	return op.status;
}

/* ---- /dev/pvio: the toolstack's view ------------------------------------ */

static bool domain_listed(unsigned int domid)
{
	struct pvio_ctl_domain doms[LIST_MAX];
	struct pvio_ctl_list l = { .nr = LIST_MAX,
				   .domains = (uintptr_t)doms };
	unsigned int i;
	bool found = false;
	int fd = open(PVIO_CTL_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return true;
	if (!ioctl(fd, PVIO_IOC_LIST, &l))
		for (i = 0; i < l.nr && i < LIST_MAX; i++)
			if (doms[i].domid == domid)
				found = true;
	close(fd);
	return found;
}

/* ---- SIGIO ------------------------------------------------------------- */

static int sigio_n;	/* SIGIOs so far (atomic: the handler adds) */

static void on_sigio(int sig)
{
	__atomic_fetch_add(&sigio_n, 1, __ATOMIC_RELAXED);
}

static int sigio_count(void)
{
	return __atomic_load_n(&sigio_n, __ATOMIC_RELAXED);
}

static bool wait_sigio(int before, int ms)
{
	while (ms-- > 0) {
		if (sigio_count() > before)
			return true;
		usleep(1000);
	}
	return sigio_count() > before;
}

static void async_on(struct dom *d)
{
	fcntl(d->fd, F_SETOWN, getpid());
	fcntl(d->fd, F_SETFL, fcntl(d->fd, F_GETFL) | O_ASYNC);
}

/* ---- the checks --------------------------------------------------------- */

static void t_bad_memory(void)
{
	struct pvio_hv_memory m = { .nr_frames = NR_FRAMES };
	struct pvio_hv_pin p = { .first = 0, .nr = 1 };
	struct dom d;
	char path[64];
	int pipefd[2], fd, small, ro;

	if (dom_create(&d, "hvdom-bad")) {
		t_result(false, "create a domain for the bad-memory checks");
		diag("errno %d (%s)", errno, strerror(errno));
		return;
	}
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_PIN, &p), EINVAL,
		"pin before any memory is named");
	m.fd = -1;
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_SET_MEMORY, &m), EBADF,
		"memory fd -1");
	m.fd = 4000;
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_SET_MEMORY, &m), EBADF,
		"memory fd that is not open");
	fd = open("/dev/null", O_RDWR);
	m.fd = fd;
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_SET_MEMORY, &m), EINVAL,
		"memory fd that is not a shmem file (/dev/null)");
	close(fd);
	if (!pipe(pipefd)) {
		m.fd = pipefd[0];
		T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_SET_MEMORY, &m), EBADF,
			"memory fd that is not read-write (a pipe)");
		close(pipefd[0]);
		close(pipefd[1]);
	}
	small = memfd_create("small", MFD_CLOEXEC);
	if (ftruncate(small, (NR_FRAMES - 1) * PAGE))
		diag("ftruncate: %s", strerror(errno));
	m.fd = small;
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_SET_MEMORY, &m), EINVAL,
		"memfd one page smaller than the declared memory");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", small);
	ro = open(path, O_RDONLY);
	m.fd = ro;
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_SET_MEMORY, &m), EBADF,
		"memfd opened read-only");
	close(ro);
	m.fd = small;
	m.nr_frames = 0;
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_SET_MEMORY, &m), EINVAL,
		"declared memory of 0 frames");
	m.nr_frames = NR_FRAMES - 1;
	m.pad = 1;
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_SET_MEMORY, &m), EINVAL,
		"non-zero padding");
	m.pad = 0;
	T_OK(ioctl(d.fd, PVIO_HV_IOC_SET_MEMORY, &m),
	     "register a memfd as large as the declared memory");
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_SET_MEMORY, &m), EBUSY,
		"register the memory twice");
	p.first = NR_FRAMES - 2;
	p.nr = 2;
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_PIN, &p), EINVAL,
		"pin a range that ends beyond the declared memory");
	p.nr = 0;
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_PIN, &p), EINVAL, "pin 0 frames");
	p.first = 0;
	p.nr = 4;
	T_OK(ioctl(d.fd, PVIO_HV_IOC_PIN, &p), "pin frames 0..3");
	/* Shrunk after registration: pinning beyond its end is refused. */
	if (ftruncate(small, 8 * PAGE))
		diag("ftruncate: %s", strerror(errno));
	p.first = 10;
	p.nr = 1;
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_PIN, &p), EINVAL,
		"pin a frame beyond the end of a file shrunk after registration");
	close(small);
	dom_close(&d);
}

static void t_create_and_calls(void)
{
	struct pvio_hv_create c = { .nr_vcpus = 2, .name = "hvdom-2vcpus" };
	struct xen_extraversion ev;
	struct dom d;
	int fd;

	fd = open(PVIO_HV_DEVICE, O_RDWR);
	T_OK(fd, "open " PVIO_HV_DEVICE);
	if (fd < 0)
		return;
	t_result(ioctl(fd, PVIO_HV_IOC_VERSION) == PVIO_HV_VERSION,
		 "PVIO_HV_IOC_VERSION is %d", PVIO_HV_VERSION);
	T_ERRNO(ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &(struct privcmd_hypercall){
		.op = __HYPERVISOR_xen_version }), ESRCH,
		"hypercall before the domain is created");
	T_ERRNO(ioctl(fd, PVIO_HV_IOC_CREATE, &c), EINVAL,
		"create a domain with 2 vCPUs");
	close(fd);

	if (dom_create(&d, "hvdom-calls")) {
		t_result(false, "create a domain");
		return;
	}
	t_result(d.domid > 0 && d.domid <= 255, "create a domain (domid %u)",
		 d.domid);
	t_result(domain_listed(d.domid), "pvctl's list shows it");
	c.nr_vcpus = 1;
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_CREATE, &c), EBUSY,
		"a second domain on the same file");
	t_result(hc(&d, __HYPERVISOR_xen_version, XENVER_version, 0, 0) ==
		 (4 << 16 | 17), "xen_version XENVER_version: 4.17");
	memset(&ev, 0, sizeof(ev));
	T_OK(hc(&d, __HYPERVISOR_xen_version, XENVER_extraversion,
		(unsigned long)&ev, 0), "xen_version XENVER_extraversion");
	t_result(!strcmp(ev.extraversion, ".0-pvio"),
		 "extraversion copied out to the process: \"%s\"", ev.extraversion);
	T_ERRNO(hc(&d, 63, 0, 0, 0), XEN_ENOSYS, "unknown hypercall 63");
	T_ERRNO(hc(&d, __HYPERVISOR_mmu_update, 0, 0, 0), XEN_ENOSYS,
		"unimplemented hypercall mmu_update");
	T_ERRNO(hc(&d, __HYPERVISOR_xen_version, XENVER_extraversion, 16, 0),
		EFAULT, "argument at address 16 (outside the process)");
	T_ERRNO(hc(&d, __HYPERVISOR_xen_version, XENVER_extraversion,
		   0xffff888000000000UL, 0), EFAULT,
		"argument at a dom0 kernel address");
	T_ERRNO(place(&d, XENMAPSPACE_shared_info, 0, F_SHINFO), EINVAL,
		"add_to_physmap before any memory");
	T_ERRNO(hc(&d, __HYPERVISOR_memory_op, XENMEM_populate_physmap,
		   (unsigned long)&ev, 0), XEN_ENOSYS,
		"memory_op XENMEM_populate_physmap");
	T_ERRNO(ioctl(d.fd, 0x1234), ENOTTY, "unknown ioctl");

	/* Another process holding the file is not the domain. */
	if (fork() == 0) {
		int r = hc(&d, __HYPERVISOR_xen_version, XENVER_version, 0, 0);

		_exit(r == -1 && errno == EPERM ? 0 : 1);
	} else {
		int st = 1;

		wait(&st);
		t_result(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			 "a hypercall from another process on the same file: EPERM");
	}
	dom_close(&d);
	t_result(!domain_listed(d.domid),
		 "closing the file destroyed the domain");
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/*
 * Costs, printed as diagnostics (never checked: speed is bench/'s): a
 * hypercall ioctl round trip, and b's send until a's SIGIO, a clearing
 * its pending state before each.
 */
static void measure(struct dom *a, struct dom *b, unsigned int pa,
		    unsigned int pb)
{
	struct evtchn_send snd = { .port = pb };
	struct vcpu_info *vi = &shinfo(a)->vcpu_info[0];
	double t0;
	int i, n = 2000, before;

	t0 = now_us();
	for (i = 0; i < n; i++)
		hc(b, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	diag("hypercall ioctl round trip (xen_version): %.2f us", (now_us() - t0) / n);
	n = 200;
	t0 = now_us();
	for (i = 0; i < n; i++) {
		/* The guest's handler: clear the pending state first. */
		__atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&vi->evtchn_pending_sel, 0, __ATOMIC_RELEASE);
		__atomic_fetch_and(&shinfo(a)->evtchn_pending[pa / 64],
				   ~(1UL << (pa % 64)), __ATOMIC_ACQ_REL);
		before = sigio_count();
		evtchn(b, EVTCHNOP_send, &snd);
		while (sigio_count() == before && now_us() - t0 < 1e6 * (i + 1))
			;	/* spin: the signal interrupts us */
		if (sigio_count() == before)
			break;
	}
	diag("event send -> SIGIO in the other domain: %.1f us (%d of %d)",
	     (now_us() - t0) / (i ? i : 1), i, n);
}

/* Two domains, a and b, both processes: grants, copies, maps, events. */
static void t_two_domains(void)
{
	struct gnttab_setup_table st;
	struct gnttab_query_size qs = { .dom = DOMID_SELF };
	struct gnttab_map_grant_ref map;
	struct gnttab_unmap_grant_ref unmap;
	struct evtchn_alloc_unbound au;
	struct evtchn_bind_interdomain bi;
	struct evtchn_send snd;
	struct evtchn_status es;
	struct multicall_entry mc[4];
	xen_pfn_t frames[4];
	struct dom a, b;
	struct pollfd pfd;
	int before, i;
	bool same;

	if (dom_create(&a, "hvdom-a") || dom_memory(&a) ||
	    dom_create(&b, "hvdom-b") || dom_memory(&b)) {
		t_result(false, "two domains with their memory registered");
		diag("errno %d (%s)", errno, strerror(errno));
		return;
	}
	t_result(true, "two domains with their memory registered (d%u, d%u)",
		 a.domid, b.domid);

	T_OK(gnttab(&a, GNTTABOP_query_size, &qs, 1), "grant table query_size");
	t_result(qs.status == GNTST_okay && qs.nr_frames == 4 &&
		 qs.max_nr_frames == 64, "query_size: 4 of 64 frames (status %d)",
		 qs.status);
	memset(&st, 0, sizeof(st));
	st.dom = DOMID_SELF;
	st.nr_frames = 4;
	set_xen_guest_handle(st.frame_list, frames);
	T_OK(gnttab(&a, GNTTABOP_setup_table, &st, 1), "grant table setup_table");
	t_result(st.status == GNTST_okay && frames[0] == (xen_pfn_t)~0UL,
		 "setup_table: frame 0 not in the domain's memory yet");
	T_ERRNO(place(&a, XENMAPSPACE_grant_table, 0, F_UNPINNED), EINVAL,
		"grant frame placed at a frame that is not pinned");
	T_ERRNO(place(&a, XENMAPSPACE_grant_table, 0, NR_FRAMES + 5), EINVAL,
		"grant frame placed beyond the memory");
	T_ERRNO(place(&a, XENMAPSPACE_grant_table, 64, F_GNTTAB), EINVAL,
		"grant frame index 64 (of 64)");
	T_ERRNO(place(&a, 7, 0, F_GNTTAB), EINVAL, "unknown map space");
	T_OK(dom_place(&a), "shared_info and grant frame 0 placed in a's memory");
	T_OK(dom_place(&b), "shared_info and grant frame 0 placed in b's memory");
	T_ERRNO(place(&a, XENMAPSPACE_shared_info, 0, F_DATA), EBUSY,
		"shared_info placed a second time elsewhere");
	T_OK(gnttab(&a, GNTTABOP_setup_table, &st, 1), "setup_table again");
	t_result(st.status == GNTST_okay && frames[0] == F_GNTTAB,
		 "setup_table: frame 0 is frame %d of the memory", F_GNTTAB);

	/* a grants its data page to b; b copies it into its own memory. */
	for (i = 0; i < (int)PAGE; i++)
		((unsigned char *)frame(&a, F_DATA))[i] = (unsigned char)(i * 7 + 3);
	grant(&a, 10, b.domid, F_DATA, true);
	t_result(copy_from_grant(&b, a.domid, 10, F_DATA + 1, PAGE) == GNTST_okay,
		 "b grant-copies a's granted page into its frame %d", F_DATA + 1);
	same = !memcmp(frame(&a, F_DATA), frame(&b, F_DATA + 1), PAGE);
	t_result(same, "the page arrived in b's memfd");
	t_result(copy_from_grant(&b, a.domid, 10, F_UNPINNED, PAGE) == GNTST_bad_page,
		 "copy into b's frame that is not pinned: GNTST_bad_page");
	t_result(copy_from_grant(&b, a.domid, 10, NR_FRAMES + 100, PAGE) ==
		 GNTST_bad_page, "copy into a frame beyond b's memory: GNTST_bad_page");
	grant(&a, 11, b.domid, F_UNPINNED, true);
	t_result(copy_from_grant(&b, a.domid, 11, F_DATA + 2, PAGE) == GNTST_bad_page,
		 "a grant of a frame a did not pin: GNTST_bad_page");
	grant(&a, 12, b.domid, 1UL << 31, true);
	t_result(copy_from_grant(&b, a.domid, 12, F_DATA + 2, PAGE) == GNTST_bad_page,
		 "a grant of frame 2^31: GNTST_bad_page");
	t_result(copy_from_grant(&b, a.domid, 5000, F_DATA + 2, PAGE) ==
		 GNTST_bad_gntref, "copy of ref 5000 (beyond the table): GNTST_bad_gntref");
	T_ERRNO(gnttab(&b, GNTTABOP_copy, (void *)16, 1), EFAULT,
		"grant copy op at address 16");

	/* b maps a's grant: the entry shows it, unmapping clears it. */
	memset(&map, 0, sizeof(map));
	map.flags = GNTMAP_host_map | GNTMAP_readonly;
	map.ref = 10;
	map.dom = a.domid;
	T_OK(gnttab(&b, GNTTABOP_map_grant_ref, &map, 1), "b maps a's grant");
	t_result(map.status == GNTST_okay && (gflags(&a, 10) & GTF_reading),
		 "map: status %d, GTF_reading set in a's memfd", map.status);
	memset(&unmap, 0, sizeof(unmap));
	unmap.handle = map.handle;
	T_OK(gnttab(&b, GNTTABOP_unmap_grant_ref, &unmap, 1), "b unmaps it");
	t_result(unmap.status == GNTST_okay && !(gflags(&a, 10) & GTF_reading),
		 "unmap: GTF_reading cleared in a's memfd");

	/* Events: a's unbound port, b binds it and sends; a gets SIGIO. */
	signal(SIGIO, on_sigio);
	async_on(&a);
	memset(&au, 0, sizeof(au));
	au.dom = DOMID_SELF;
	au.remote_dom = b.domid;
	T_OK(evtchn(&a, EVTCHNOP_alloc_unbound, &au), "a: alloc_unbound for b");
	memset(&bi, 0, sizeof(bi));
	bi.remote_dom = a.domid;
	bi.remote_port = au.port;
	T_OK(evtchn(&b, EVTCHNOP_bind_interdomain, &bi), "b: bind_interdomain to a's port");
	pfd.fd = a.fd;
	pfd.events = POLLIN;
	t_result(poll(&pfd, 1, 0) == 0, "a's file: no POLLIN before an event");
	before = sigio_count();
	snd.port = bi.local_port;
	T_OK(evtchn(&b, EVTCHNOP_send, &snd), "b: send");
	t_result(wait_sigio(before, 3000), "a: SIGIO (the upcall)");
	t_result(port_pending(&a, au.port) &&
		 shinfo(&a)->vcpu_info[0].evtchn_upcall_pending,
		 "a's memfd: port %u pending, evtchn_upcall_pending set", au.port);
	t_result(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN),
		 "a's file: POLLIN while evtchn_upcall_pending is set");
	/* The guest's handler: clear the pending state. */
	__atomic_store_n(&shinfo(&a)->vcpu_info[0].evtchn_upcall_pending, 0,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&shinfo(&a)->vcpu_info[0].evtchn_pending_sel, 0,
			 __ATOMIC_RELEASE);
	__atomic_fetch_and(&shinfo(&a)->evtchn_pending[au.port / 64],
			   ~(1UL << (au.port % 64)), __ATOMIC_ACQ_REL);
	t_result(poll(&pfd, 1, 0) == 0, "a's file: no POLLIN once it is cleared");
	/* Masked upcall: pending, but no SIGIO. */
	shinfo(&a)->vcpu_info[0].evtchn_upcall_mask = 1;
	before = sigio_count();
	T_OK(evtchn(&b, EVTCHNOP_send, &snd), "b: send with a's upcall masked");
	t_result(!wait_sigio(before, 300) && port_pending(&a, au.port),
		 "a: port pending, no SIGIO while masked");
	shinfo(&a)->vcpu_info[0].evtchn_upcall_mask = 0;
	__atomic_store_n(&shinfo(&a)->vcpu_info[0].evtchn_upcall_pending, 0,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&shinfo(&a)->vcpu_info[0].evtchn_pending_sel, 0,
			 __ATOMIC_RELEASE);
	__atomic_fetch_and(&shinfo(&a)->evtchn_pending[au.port / 64],
			   ~(1UL << (au.port % 64)), __ATOMIC_ACQ_REL);
	snd.port = 4000;
	T_ERRNO(evtchn(&b, EVTCHNOP_send, &snd), EINVAL, "send on port 4000");
	T_ERRNO(evtchn(&b, EVTCHNOP_send, (void *)8), EFAULT,
		"send with its argument at address 8");

	/* Multicall: version, an unknown op, a send, a nested multicall. */
	memset(mc, 0, sizeof(mc));
	mc[0].op = __HYPERVISOR_xen_version;
	mc[0].args[0] = XENVER_version;
	mc[1].op = 60;
	snd.port = bi.local_port;
	mc[2].op = __HYPERVISOR_event_channel_op;
	mc[2].args[0] = EVTCHNOP_send;
	mc[2].args[1] = (unsigned long)&snd;
	mc[3].op = __HYPERVISOR_multicall;
	before = sigio_count();
	T_OK(hc(&b, __HYPERVISOR_multicall, (unsigned long)mc, 4, 0),
	     "multicall of 4 entries");
	t_result(mc[0].result == (4 << 16 | 17) && mc[1].result == -XEN_ENOSYS &&
		 mc[2].result == 0 && mc[3].result == -EINVAL,
		 "multicall results: 4.17, -ENOSYS, 0, -EINVAL (nested)");
	t_result(wait_sigio(before, 3000), "a: SIGIO from the multicall's send");
	T_ERRNO(hc(&b, __HYPERVISOR_multicall, 24, 2, 0), EFAULT,
		"multicall list at address 24");
	measure(&a, &b, au.port, bi.local_port);
	memset(&es, 0, sizeof(es));
	es.dom = DOMID_SELF;
	es.port = au.port;
	T_OK(evtchn(&a, EVTCHNOP_status, &es), "a: status of its port");
	t_result(es.status == EVTCHNSTAT_interdomain &&
		 es.u.interdomain.dom == b.domid,
		 "a's port is interdomain with b");

	/* b maps a's grant again, then a goes first: the map stays valid. */
	memset(&map, 0, sizeof(map));
	map.flags = GNTMAP_host_map | GNTMAP_readonly;
	map.ref = 10;
	map.dom = a.domid;
	gnttab(&b, GNTTABOP_map_grant_ref, &map, 1);
	dom_close(&a);
	t_result(!domain_listed(a.domid), "a closed its file: a is gone");
	memset(&unmap, 0, sizeof(unmap));
	unmap.handle = map.handle;
	T_OK(gnttab(&b, GNTTABOP_unmap_grant_ref, &unmap, 1),
	     "b unmaps a's grant after a is gone");
	t_result(unmap.status == GNTST_okay, "unmap status okay (%d)", unmap.status);
	memset(&es, 0, sizeof(es));
	es.dom = DOMID_SELF;
	es.port = bi.local_port;
	T_OK(evtchn(&b, EVTCHNOP_status, &es), "b: status of its port");
	t_result(es.status == EVTCHNSTAT_unbound || es.status == EVTCHNSTAT_closed,
		 "b's port lost its peer (status %u)", es.status);
	dom_close(&b);
	signal(SIGIO, SIG_DFL);
}

/* ---- the store ring, mapped by dom0 through the domain's file ---------- */

static int store_fd = -1;

static int store_cmd(u32 type, const char *a, const char *b2,
		     const char *c, char *reply, size_t rlen)
{
	char buf[512];
	struct xsd_sockmsg *h = (void *)buf;
	size_t n = 0;
	ssize_t r;

	const char *args[3] = { a, b2, c };
	int i;

	for (i = 0; i < 3 && args[i]; i++) {
		size_t l = strlen(args[i]) + 1;

		memcpy(buf + sizeof(*h) + n, args[i], l);
		n += l;
	}
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->len = n;
	if (write(store_fd, buf, sizeof(*h) + n) != (ssize_t)(sizeof(*h) + n))
		return -1;
	r = read(store_fd, buf, sizeof(buf) - 1);
	if (r < (ssize_t)sizeof(*h))
		return -1;
	buf[r] = 0;
	n = strnlen(buf + sizeof(*h), rlen - 1);
	memcpy(reply, buf + sizeof(*h), n);
	reply[n] = 0;
	return h->type;
}

static void ring_write(struct xenstore_domain_interface *x, const void *p,
		       size_t n)
{
	XENSTORE_RING_IDX prod = x->req_prod;
	size_t i;

	for (i = 0; i < n; i++)
		x->req[MASK_XENSTORE_IDX(prod + i)] = ((const char *)p)[i];
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&x->req_prod, prod + n, __ATOMIC_RELEASE);
}

static void t_store(void)
{
	struct xenstore_domain_interface *x;
	struct evtchn_alloc_unbound au;
	struct pvio_hv_store ss = { 0 };
	struct evtchn_send snd;
	struct xsd_sockmsg h;
	char reply[128], args[3][32], want[32];
	char rsp[128];
	struct dom d;
	int before, ms, type;
	size_t got;

	store_fd = open("/dev/pvio-store", O_RDWR | O_CLOEXEC);
	if (store_fd < 0) {
		printf("ok %u - store ring # SKIP no /dev/pvio-store\n", ++t_n);
		return;
	}
	if (dom_up(&d, "hvdom-store")) {
		t_result(false, "a domain for the store ring");
		close(store_fd);
		return;
	}
	signal(SIGIO, on_sigio);
	async_on(&d);
	x = frame(&d, F_STORE);
	memset(x, 0, PAGE);
	grant(&d, GNTTAB_RESERVED_XENSTORE, 0, F_STORE, false);
	memset(&au, 0, sizeof(au));
	au.dom = DOMID_SELF;
	au.remote_dom = 0;
	T_OK(evtchn(&d, EVTCHNOP_alloc_unbound, &au), "store port for dom0");
	ss.gfn = F_UNPINNED;
	ss.port = au.port;
	T_ERRNO(ioctl(d.fd, PVIO_HV_IOC_SET_STORE, &ss), EINVAL,
		"start_info store frame that is not pinned");
	ss.gfn = F_STORE;
	T_OK(ioctl(d.fd, PVIO_HV_IOC_SET_STORE, &ss), "start_info: store frame and port");

	snprintf(args[0], 32, "%u", d.domid);
	snprintf(args[1], 32, "%u", F_STORE);
	snprintf(args[2], 32, "%u", au.port);
	type = store_cmd(XS_INTRODUCE, args[0], args[1], args[2], reply,
			 sizeof(reply));
	t_result(type == XS_INTRODUCE,
		 "XS_INTRODUCE: dom0's store maps the ring through the domain's file (reply %d %s)",
		 type, reply);
	t_result(gflags(&d, GNTTAB_RESERVED_XENSTORE) & GTF_reading,
		 "the store ring's grant is mapped (GTF_reading in the memfd)");

	/* XS_GET_DOMAIN_PATH over the ring; the answer comes with an event. */
	memset(&h, 0, sizeof(h));
	h.type = XS_GET_DOMAIN_PATH;
	h.req_id = 7;
	h.len = strlen(args[0]) + 1;
	before = sigio_count();
	ring_write(x, &h, sizeof(h));
	ring_write(x, args[0], h.len);
	snd.port = au.port;
	T_OK(evtchn(&d, EVTCHNOP_send, &snd), "request XS_GET_DOMAIN_PATH on the ring");
	for (ms = 0; ms < 5000; ms++) {
		if (__atomic_load_n(&x->rsp_prod, __ATOMIC_ACQUIRE) -
		    x->rsp_cons >= sizeof(h) + 1)
			break;
		usleep(1000);
	}
	got = x->rsp_prod - x->rsp_cons;
	memset(rsp, 0, sizeof(rsp));
	for (ms = 0; ms < (int)got && ms < (int)sizeof(rsp) - 1; ms++)
		rsp[ms] = x->rsp[MASK_XENSTORE_IDX(x->rsp_cons + ms)];
	memcpy(&h, rsp, sizeof(h));
	snprintf(want, sizeof(want), "/local/domain/%u", d.domid);
	t_result(got >= sizeof(h) && h.type == XS_GET_DOMAIN_PATH && h.req_id == 7 &&
		 !strcmp(rsp + sizeof(h), want),
		 "the store answered on the ring: \"%s\"",
		 got >= sizeof(h) ? rsp + sizeof(h) : "");
	t_result(wait_sigio(before, 3000), "with an event: SIGIO");

	type = store_cmd(XS_RELEASE, args[0], NULL, NULL, reply, sizeof(reply));
	t_result(type == XS_RELEASE, "XS_RELEASE (reply %d %s)", type, reply);
	for (ms = 0; ms < 3000 && (gflags(&d, GNTTAB_RESERVED_XENSTORE) &
				  GTF_reading); ms++)
		usleep(1000);
	t_result(!(gflags(&d, GNTTAB_RESERVED_XENSTORE) & GTF_reading),
		 "dom0 unmapped the ring after the release");
	dom_close(&d);
	signal(SIGIO, SIG_DFL);
	close(store_fd);
}

/* ---- a domain process that dies ---------------------------------------- */

enum child_mode {
	CHILD_EXIT_CREATED,	/* _exit() after each step */
	CHILD_EXIT_MEMORY,
	CHILD_EXIT_PINNED,
	CHILD_EXIT_PLACED,
	CHILD_LOOP,		/* maps a's grant, binds a's port, copies forever */
	CHILD_BLOCK,		/* SCHEDOP_block */
	CHILD_PIN_BIG,		/* pins 128 MiB */
	CHILD_SHARED,		/* a forked process keeps its file open */
};

static int child_run(enum child_mode mode, struct dom *a, int wfd)
{
	struct gnttab_map_grant_ref map;
	struct evtchn_bind_interdomain bi;
	struct dom c;
	unsigned int domid, port;

	if (dom_create(&c, "hvdom-child"))
		return 1;
	domid = c.domid;
	if (write(wfd, &domid, sizeof(domid)) != sizeof(domid))
		return 1;
	if (mode == CHILD_EXIT_CREATED)
		_exit(0);
	if (mode == CHILD_SHARED) {
		/* As UML's userspace processes (clone(CLONE_FILES)). */
		pid_t g = fork();

		if (g == 0)
			for (;;)
				pause();
		if (write(wfd, &g, sizeof(g)) != sizeof(g))
			return 1;
		for (;;)
			pause();
	}
	if (mode == CHILD_PIN_BIG) {
		struct pvio_hv_memory m = { .nr_frames = 32768 };
		struct pvio_hv_pin p = { .first = 0, .nr = 32768 };

		c.mem = memfd_create("big", 0);
		if (ftruncate(c.mem, 32768 * PAGE))
			return 1;
		m.fd = c.mem;
		ioctl(c.fd, PVIO_HV_IOC_SET_MEMORY, &m);
		for (;;)	/* pinned again: nothing to do, still a call */
			ioctl(c.fd, PVIO_HV_IOC_PIN, &p);
	}
	if (mode == CHILD_EXIT_MEMORY) {
		struct pvio_hv_memory m = { .nr_frames = NR_FRAMES };

		c.mem = memfd_create("mem", 0);
		m.fd = c.mem;
		if (ftruncate(c.mem, NR_FRAMES * PAGE) ||
		    ioctl(c.fd, PVIO_HV_IOC_SET_MEMORY, &m))
			return 1;
		_exit(0);
	}
	if (dom_memory(&c))
		return 1;
	if (mode == CHILD_EXIT_PINNED)
		_exit(0);
	if (dom_place(&c))
		return 1;
	if (mode == CHILD_EXIT_PLACED)
		_exit(0);
	if (mode == CHILD_BLOCK) {
		hc(&c, __HYPERVISOR_sched_op, SCHEDOP_block, 0, 0);
		_exit(2);	/* woken: wrong */
	}
	/* CHILD_LOOP: the parent granted ref 20 and has an unbound port. */
	if (read(wfd, &port, sizeof(port)) != sizeof(port))
		return 1;
	memset(&map, 0, sizeof(map));
	map.flags = GNTMAP_host_map;
	map.ref = 20;
	map.dom = a->domid;
	gnttab(&c, GNTTABOP_map_grant_ref, &map, 1);
	memset(&bi, 0, sizeof(bi));
	bi.remote_dom = a->domid;
	bi.remote_port = port;
	evtchn(&c, EVTCHNOP_bind_interdomain, &bi);
	port = map.status == GNTST_okay ? bi.local_port : 0;
	if (write(wfd, &port, sizeof(port)) != sizeof(port))
		return 1;
	for (;;)
		copy_from_grant(&c, a->domid, 20, F_DATA, PAGE);
}

static void t_dying(void)
{
	static const char *const what[] = {
		"exit right after creating its domain",
		"exit after registering its memory",
		"exit after pinning",
		"exit after placing shared_info and a grant frame",
		"kill -9 in a loop of grant copies, holding a map of a's grant and a port bound to a's",
		"kill -9 while blocked in SCHEDOP_block",
		"kill -9 while pinning 128 MiB",
		"kill -9 while a process it forked still holds its file",
	};
	struct evtchn_alloc_unbound au;
	struct evtchn_status es;
	struct dom a;
	unsigned int mode, domid, port, ms;
	int sv[2], st;
	pid_t pid, g = 0;

	if (dom_up(&a, "hvdom-survivor")) {
		t_result(false, "the surviving domain");
		return;
	}
	for (mode = CHILD_EXIT_CREATED; mode <= CHILD_SHARED; mode++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			return;
		pid = fork();
		if (pid == 0) {
			close(sv[0]);
			_exit(child_run(mode, &a, sv[1]));
		}
		close(sv[1]);
		domid = 0;
		if (read(sv[0], &domid, sizeof(domid)) != sizeof(domid)) {
			t_result(false, "child: %s (no domain)", what[mode]);
			close(sv[0]);
			waitpid(pid, &st, 0);
			continue;
		}
		port = 0;
		if (mode == CHILD_LOOP) {
			grant(&a, 20, domid, F_DATA + 3, false);
			memset(&au, 0, sizeof(au));
			au.dom = DOMID_SELF;
			au.remote_dom = domid;
			evtchn(&a, EVTCHNOP_alloc_unbound, &au);
			port = au.port;
			if (write(sv[0], &port, sizeof(port)) != sizeof(port) ||
			    read(sv[0], &port, sizeof(port)) != sizeof(port))
				port = 0;
			t_result(port && (gflags(&a, 20) & GTF_writing),
				 "child d%u maps a's grant (GTF_writing) and binds a's port",
				 domid);
			usleep(200 * 1000);
			kill(pid, SIGKILL);
		} else if (mode == CHILD_BLOCK || mode == CHILD_PIN_BIG) {
			usleep(mode == CHILD_BLOCK ? 500 * 1000 : 50 * 1000);
			kill(pid, SIGKILL);
		} else if (mode == CHILD_SHARED) {
			if (read(sv[0], &g, sizeof(g)) != sizeof(g))
				g = 0;
			kill(pid, SIGKILL);
		}
		waitpid(pid, &st, 0);
		close(sv[0]);
		/* The creator's exit destroys it from a work item. */
		for (ms = 0; ms < 3000 && domain_listed(domid); ms += 10)
			usleep(10 * 1000);
		if (mode == CHILD_SHARED) {
			t_result(g > 0 && !kill(g, 0),
				 "child d%u's forked process %d still holds the file",
				 domid, (int)g);
			if (g > 0)
				kill(g, SIGKILL);
		}
		t_result(!domain_listed(domid) &&
			 (mode < CHILD_LOOP ? WIFEXITED(st) && !WEXITSTATUS(st) :
			  WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL),
			 "child d%u: %s: its domain is gone", domid, what[mode]);
		if (mode == CHILD_LOOP) {
			t_result(!(gflags(&a, 20) & (GTF_reading | GTF_writing)),
				 "its map of a's grant was released");
			memset(&es, 0, sizeof(es));
			es.dom = DOMID_SELF;
			es.port = au.port;
			evtchn(&a, EVTCHNOP_status, &es);
			t_result(es.status == EVTCHNSTAT_unbound,
				 "a's port bound by it is unbound again (status %u)",
				 es.status);
			gentry(&a, 20)->flags = 0;
		}
	}
	/* The survivor still works. */
	grant(&a, 21, a.domid, F_DATA + 4, true);
	t_result(copy_from_grant(&a, a.domid, 21, F_DATA + 5, PAGE) == GNTST_okay &&
		 hc(&a, __HYPERVISOR_xen_version, XENVER_version, 0, 0) ==
		 (4 << 16 | 17), "the surviving domain still makes hypercalls");
	dom_close(&a);
}

int main(int argc, char **argv)
{
	bool store = !(argc > 1 && !strcmp(argv[1], "--no-store"));

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_create_and_calls();
	t_bad_memory();
	t_two_domains();
	if (store)
		t_store();
	t_dying();
	printf("1..%u\n", t_n);
	return t_failed ? 1 : 0;
}
