// SPDX-License-Identifier: GPL-2.0
/*
 * pvctl: the pvio toolstack (in the spirit of Xen's xl), over /dev/pvio
 * (domains and counters, include/uapi/pvio/pvio.h) and /dev/pvio-store
 * (xs_wire messages to the store, like Xen's /dev/xen/xenbus).
 *
 * Exit codes (every command):
 *   0  success
 *   1  the operation failed (store or hypervisor error, timeout)
 *   2  usage: unknown command or option, malformed argument
 *   3  not found: no such domain, device or store path
 *   4  environment: /dev/pvio or /dev/pvio-store missing (modules not
 *      loaded) or permission denied
 * Errors are one line on stderr: "pvctl: <what>: <why>".
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/fs.h>
#include <time.h>
#include <unistd.h>
#include <pvio/pvio.h>
#include <xs_wire.h>
#include <xenbus.h>

#include "compat.h"

#define EX_OK		0
#define EX_FAIL		1
#define EX_USAGE	2
#define EX_NOTFOUND	3
#define EX_ENV		4

#define STORE_DEV	"/dev/pvio-store"
#define MSG_MAX		(sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)
#define DETACH_WAIT_MS	10000

static const char *cmd_name = "";

static void __noreturn __printf(2, 3) die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pvctl: ");
	if (*cmd_name)
		fprintf(stderr, "%s: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- the store ------------------------------------------------------- */

static int xs_fd = -1;
static uint32_t xs_req_id;

static void xs_open(void)
{
	if (xs_fd >= 0)
		return;
	xs_fd = open(STORE_DEV, O_RDWR | O_CLOEXEC);
	if (xs_fd < 0)
		die(EX_ENV,
		    "cannot open %s: %s (is pvio-bus.ko loaded?)", STORE_DEV,
		    strerror(errno));
}

/* -errno of an XS_ERROR reply's string */
static int xs_errno(const char *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xsd_errors); i++)
		if (!strcmp(s, xsd_errors[i].errstring))
			return -xsd_errors[i].errnum;
	if (!strcmp(s, "EPERM"))
		return -EPERM;
	return -EINVAL;
}

static const char *xs_errname(int err)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xsd_errors); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	return err == EPERM ? "EPERM" : "EINVAL";
}

/* Read one whole message into @buf. */
static int xs_read_msg(char *buf)
{
	ssize_t n = read(xs_fd, buf, MSG_MAX);

	if (n < (ssize_t)sizeof(struct xsd_sockmsg))
		return n < 0 ? -errno : -EIO;
	return 0;
}

/*
 * One request: @nparts strings (each sent with its NUL unless it is the
 * last of a write's value). Returns 0 and a malloc'd NUL-terminated reply
 * in *@out (length in *@outlen), or -errno.
 */
static int xs_talk(uint32_t type, uint32_t tx, const char *const *parts,
		   const unsigned int *lens, unsigned int nparts, char **out,
		   unsigned int *outlen)
{
	static char buf[MSG_MAX];
	struct xsd_sockmsg hdr = { .type = type, .tx_id = tx };
	struct xsd_sockmsg *rh = (struct xsd_sockmsg *)buf;
	unsigned int i, off = sizeof(hdr);
	int err;

	xs_open();
	for (i = 0; i < nparts; i++) {
		if (off + lens[i] > MSG_MAX)
			return -E2BIG;
		memcpy(buf + off, parts[i], lens[i]);
		off += lens[i];
	}
	hdr.len = off - sizeof(hdr);
	hdr.req_id = ++xs_req_id;
	memcpy(buf, &hdr, sizeof(hdr));
	if (write(xs_fd, buf, off) != (ssize_t)off)
		return errno == E2BIG ? -E2BIG : -EIO;
	for (;;) {
		err = xs_read_msg(buf);
		if (err)
			return err;
		if (rh->type == XS_WATCH_EVENT || rh->req_id != hdr.req_id)
			continue;
		break;
	}
	buf[sizeof(*rh) + rh->len] = 0;
	if (rh->type == XS_ERROR)
		return xs_errno(buf + sizeof(*rh));
	if (out) {
		*out = malloc(rh->len + 1);
		if (!*out)
			return -ENOMEM;
		memcpy(*out, buf + sizeof(*rh), rh->len + 1);
	}
	if (outlen)
		*outlen = rh->len;
	return 0;
}

static int xs_talk1(uint32_t type, uint32_t tx, const char *arg, char **out,
		    unsigned int *outlen)
{
	unsigned int len = strlen(arg) + 1;

	return xs_talk(type, tx, &arg, &len, 1, out, outlen);
}

static int xs_read(uint32_t tx, const char *path, char **val)
{
	return xs_talk1(XS_READ, tx, path, val, NULL);
}

static int xs_write(uint32_t tx, const char *path, const char *val)
{
	const char *parts[2] = { path, val };
	unsigned int lens[2] = { strlen(path) + 1, strlen(val) };

	return xs_talk(XS_WRITE, tx, parts, lens, 2, NULL, NULL);
}

static int xs_writef(uint32_t tx, const char *path, const char *fmt, ...)
	__printf(3, 4);
static int xs_writef(uint32_t tx, const char *path, const char *fmt, ...)
{
	char val[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return xs_write(tx, path, val);
}

static int xs_rm(uint32_t tx, const char *path)
{
	return xs_talk1(XS_RM, tx, path, NULL, NULL);
}

static int xs_mkdir(uint32_t tx, const char *path)
{
	return xs_talk1(XS_MKDIR, tx, path, NULL, NULL);
}

/* Children of @path: a malloc'd array of pointers into one buffer. */
static int xs_dir(uint32_t tx, const char *path, char ***names,
		  unsigned int *num)
{
	unsigned int len, n = 0, i;
	char *buf, *p, **v;
	int err;

	err = xs_talk1(XS_DIRECTORY, tx, path, &buf, &len);
	if (err)
		return err;
	for (p = buf; p < buf + len; p += strlen(p) + 1)
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v) {
		free(buf);
		return -ENOMEM;
	}
	for (i = 0, p = buf; i < n; i++, p += strlen(p) + 1)
		v[i] = p;
	v[n] = buf;	/* freed by xs_dir_free() */
	*names = v;
	*num = n;
	return 0;
}

static void xs_dir_free(char **names, unsigned int num)
{
	if (names) {
		free(names[num]);
		free(names);
	}
}

static int xs_set_perms(uint32_t tx, const char *path, const char *p0,
			const char *p1)
{
	const char *parts[3] = { path, p0, p1 };
	unsigned int lens[3] = { strlen(path) + 1, strlen(p0) + 1,
				 strlen(p1) + 1 };

	return xs_talk(XS_SET_PERMS, tx, parts, lens, 3, NULL, NULL);
}

static int xs_tx_start(uint32_t *tx)
{
	char *id;
	int err = xs_talk1(XS_TRANSACTION_START, 0, "", &id, NULL);

	if (err)
		return err;
	*tx = strtoul(id, NULL, 10);
	free(id);
	return 0;
}

static int xs_tx_end(uint32_t tx, int commit)
{
	return xs_talk1(XS_TRANSACTION_END, tx, commit ? "T" : "F", NULL,
			NULL);
}

static int xs_exists_tx(uint32_t tx, const char *path)
{
	char *v;

	if (xs_read(tx, path, &v))
		return 0;
	free(v);
	return 1;
}

static int xs_exists(const char *path)
{
	return xs_exists_tx(0, path);
}

/* Unsigned value of a node, or @def. */
static unsigned long xs_read_ul(const char *path, unsigned long def)
{
	unsigned long v;
	char *s, *end;

	if (xs_read(0, path, &s))
		return def;
	v = strtoul(s, &end, 10);
	if (end == s || *end)
		v = def;
	free(s);
	return v;
}

static const char *xs_strerror(int err)
{
	switch (err) {
	case ENOENT: return "no such node";
	case EACCES: return "permission denied";
	case EINVAL: return "invalid argument";
	case EEXIST: return "already exists";
	case E2BIG: return "too big";
	case EAGAIN: return "transaction conflict";
	case ENOSPC: return "quota exceeded";
	default: return strerror(err);
	}
}

/* ---- the hypervisor --------------------------------------------------- */

static int ctl_fd = -1;

static void ctl_open(void)
{
	if (ctl_fd >= 0)
		return;
	ctl_fd = open(PVIO_CTL_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl_fd < 0)
		die(EX_ENV, "cannot open %s: %s (is pvio-hypervisor.ko loaded?)",
		    PVIO_CTL_DEVICE, strerror(errno));
}

static struct pvio_ctl_domain *ctl_list(unsigned int *nr)
{
	struct pvio_ctl_list l = { 0 };
	struct pvio_ctl_domain *d = NULL;

	ctl_open();
	for (;;) {
		if (ioctl(ctl_fd, PVIO_IOC_LIST, &l))
			die(EX_FAIL, "listing domains: %s", strerror(errno));
		if (d && l.nr <= *nr)
			break;
		free(d);
		*nr = l.nr + 4;
		d = calloc(*nr, sizeof(*d));
		if (!d)
			die(EX_FAIL, "out of memory");
		l.nr = *nr;
		l.domains = (uintptr_t)d;
	}
	*nr = l.nr;
	return d;
}

/* A domain named by domid or name; dies with EX_NOTFOUND. */
static struct pvio_ctl_domain resolve_dom(const char *arg)
{
	struct pvio_ctl_domain *d, r;
	unsigned int nr, i;
	char *end;
	unsigned long id;

	d = ctl_list(&nr);
	id = strtoul(arg, &end, 10);
	for (i = 0; i < nr; i++) {
		if ((*arg && !*end && isdigit((unsigned char)*arg) &&
		     d[i].domid == id) || !strcmp(d[i].name, arg)) {
			r = d[i];
			free(d);
			return r;
		}
	}
	free(d);
	die(EX_NOTFOUND, "no such domain '%s'", arg);
}

static struct pvio_ctl_domain resolve_domu(const char *arg)
{
	struct pvio_ctl_domain d = resolve_dom(arg);

	if (d.flags & PVIO_CTL_DOMF_PRIVILEGED)
		die(EX_USAGE, "domain '%s' is dom0: devices attach to domUs",
		    arg);
	return d;
}

/* ---- help ------------------------------------------------------------- */

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *help;
};

static const struct cmd *cur_cmd;

static void usage_die(const char *fmt, ...) __noreturn __printf(1, 2);
static void usage_die(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	die(EX_USAGE, "%s (usage: pvctl %s %s)", msg, cur_cmd->name,
	    cur_cmd->usage);
}

/* Parse "key=value" options of a command into @vals; dies on unknown. */
static void parse_opts(int argc, char **argv, int first,
		       const char *const *keys, const char **vals,
		       unsigned int nkeys)
{
	unsigned int k;
	int i;

	for (i = first; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		for (k = 0; k < nkeys; k++)
			if (eq && (size_t)(eq - argv[i]) == strlen(keys[k]) &&
			    !strncmp(argv[i], keys[k], strlen(keys[k])))
				break;
		if (k == nkeys)
			usage_die("unknown option '%s'", argv[i]);
		vals[k] = eq + 1;
	}
}

/* ---- domains ---------------------------------------------------------- */

/* Xen's SHUTDOWN_* reasons (xen/interface/sched.h), by number. */
static const char *const shutdown_reasons[] = {
	"poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset",
};

#define REASON_SUSPEND	2	/* SHUTDOWN_suspend */

/* Shut down with reason suspend: what pvctl suspend waits for. */
static int dom_suspended(const struct pvio_ctl_domain *d)
{
	return d->state == PVIO_CTL_STATE_SHUTDOWN &&
	       d->shutdown_reason == REASON_SUSPEND;
}

/* One word: running, suspended, shutdown(REASON), dying. */
/* What a domain is: dom0, a context in dom0's kernel, or a UML process. */
static const char *dom_kind(const struct pvio_ctl_domain *d)
{
	if (d->flags & PVIO_CTL_DOMF_PRIVILEGED)
		return "dom0";
	return d->flags & PVIO_CTL_DOMF_PROCESS ? "uml" : "kernel";
}

static const char *state_name(const struct pvio_ctl_domain *d)
{
	static char buf[32];

	switch (d->state) {
	case PVIO_CTL_STATE_RUNNING:
		return "running";
	case PVIO_CTL_STATE_SHUTDOWN:
		if (dom_suspended(d))
			return "suspended";
		if (d->shutdown_reason < ARRAY_SIZE(shutdown_reasons))
			snprintf(buf, sizeof(buf), "shutdown(%s)",
				 shutdown_reasons[d->shutdown_reason]);
		else
			snprintf(buf, sizeof(buf), "shutdown(%u)",
				 d->shutdown_reason);
		return buf;
	default:
		return "dying";
	}
}

static int valid_name(const char *s)
{
	if (!*s || strlen(s) >= PVIO_CTL_NAME_LEN)
		return 0;
	if (isdigit((unsigned char)*s))
		return 0;	/* would read as a domid */
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return 0;
	return 1;
}

static unsigned int parse_uint(const char *s, const char *what,
			       unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > max || *s == '-')
		usage_die("bad %s '%s'", what, s);
	return v;
}

static int cmd_create_uml(int argc, char **argv);

static int cmd_create(int argc, char **argv)
{
	static const char *const keys[] = { "vcpus" };
	const char *vals[1] = { "1" };
	struct pvio_ctl_create c = { 0 };
	struct pvio_ctl_destroy dd = { 0 };
	struct pvio_ctl_domain *doms;
	unsigned int nr, i;
	char path[64], p[80];
	uint32_t tx;
	int err, tries = 0;

	if (argc > 1 && !strcmp(argv[1], "--kernel"))
		return cmd_create_uml(argc, argv);
	if (argc < 2)
		usage_die("missing NAME");
	if (!valid_name(argv[1]))
		usage_die("bad domain name '%s' (%s; < %d chars)", argv[1],
			  "letters, digits, _ . -, not starting with a digit",
			  PVIO_CTL_NAME_LEN);
	parse_opts(argc, argv, 2, keys, vals, 1);
	c.nr_vcpus = parse_uint(vals[0], "vcpus", 32);
	if (!c.nr_vcpus)
		usage_die("bad vcpus '%s'", vals[0]);
	doms = ctl_list(&nr);
	for (i = 0; i < nr; i++)
		if (!strcmp(doms[i].name, argv[1]))
			die(EX_FAIL, "domain '%s' already exists (domid %u)",
			    argv[1], doms[i].domid);
	free(doms);
	xs_open();
	strcpy(c.name, argv[1]);
	if (ioctl(ctl_fd, PVIO_IOC_CREATE, &c))
		die(EX_FAIL, "creating '%s': %s", argv[1], strerror(errno));
	/* The toolstack's nodes (libxl: name, domid). */
	snprintf(path, sizeof(path), "/local/domain/%u", c.domid);
	do {
		err = xs_tx_start(&tx);
		if (err)
			break;
		snprintf(p, sizeof(p), "%s/name", path);
		err = xs_write(tx, p, c.name);
		snprintf(p, sizeof(p), "%s/domid", path);
		if (!err)
			err = xs_writef(tx, p, "%u", c.domid);
		if (err) {
			xs_tx_end(tx, 0);
			break;
		}
		err = xs_tx_end(tx, 1);
	} while (err == -EAGAIN && ++tries < 20);
	if (err) {
		dd.domid = c.domid;
		ioctl(ctl_fd, PVIO_IOC_DESTROY, &dd);
		die(EX_FAIL, "writing %s: %s (domain destroyed)", path,
		    xs_strerror(-err));
	}
	printf("%u\n", c.domid);
	return EX_OK;
}

static unsigned int count_devices(unsigned int domid)
{
	char **types, **ids, path[128];
	unsigned int nt, ni, i, n = 0;

	if (xs_dir(0, "/local/domain/0/backend", &types, &nt))
		return 0;
	for (i = 0; i < nt; i++) {
		snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%u",
			 types[i], domid);
		if (xs_dir(0, path, &ids, &ni))
			continue;
		n += ni;
		xs_dir_free(ids, ni);
	}
	xs_dir_free(types, nt);
	return n;
}

static int cmd_list(int argc, char **argv)
{
	struct pvio_ctl_domain *d;
	unsigned int nr, i;

	if (argc > 1)
		usage_die("unexpected argument '%s'", argv[1]);
	d = ctl_list(&nr);
	xs_open();
	printf("%-5s %-24s %-18s %5s %7s %s\n", "domid", "name", "state",
	       "vcpus", "devices", "kind");
	for (i = 0; i < nr; i++)
		printf("%-5u %-24s %-18s %5u %7u %s\n", d[i].domid,
		       d[i].name[0] ? d[i].name : "-", state_name(&d[i]),
		       d[i].nr_vcpus, count_devices(d[i].domid),
		       dom_kind(&d[i]));
	free(d);
	return EX_OK;
}

/*
 * The toolstack's last step for a domain whose kernel is not dom0's (a
 * process domain, UML): its home owned by it, then XS_INTRODUCE with
 * what it recorded in start_info (libxl: xs_introduce_domain()).
 */
static int dom_introduce(const struct pvio_ctl_domain *dom,
			 const struct pvio_ctl_store *stp)
{
	const struct pvio_ctl_domain d = *dom;
	const struct pvio_ctl_store st = *stp;
	char path[64], p[80], perm[16], a[3][32];
	const char *parts[3] = { a[0], a[1], a[2] };
	unsigned int lens[3], i;
	int err;

	xs_open();
	snprintf(path, sizeof(path), "/local/domain/%u", d.domid);
	snprintf(perm, sizeof(perm), "n%u", d.domid);
	err = xs_mkdir(0, path);
	if (!err)
		err = xs_set_perms(0, path, perm, "r0");
	snprintf(p, sizeof(p), "%s/name", path);
	if (!err)
		err = xs_write(0, p, d.name);
	snprintf(p, sizeof(p), "%s/domid", path);
	if (!err)
		err = xs_writef(0, p, "%u", d.domid);
	snprintf(a[0], sizeof(a[0]), "%u", d.domid);
	snprintf(a[1], sizeof(a[1]), "%llu", (unsigned long long)st.gfn);
	snprintf(a[2], sizeof(a[2]), "%u", st.port);
	for (i = 0; i < 3; i++)
		lens[i] = strlen(a[i]) + 1;
	if (!err)
		err = xs_talk(XS_INTRODUCE, 0, parts, lens, 3, NULL, NULL);
	return err;
}

static int cmd_introduce(int argc, char **argv)
{
	struct pvio_ctl_domain d;
	struct pvio_ctl_store st = { 0 };
	int err;

	if (argc != 2)
		usage_die(argc < 2 ? "missing DOM" : "unexpected argument");
	d = resolve_domu(argv[1]);
	st.domid = d.domid;
	if (ioctl(ctl_fd, PVIO_IOC_GET_STORE, &st))
		die(EX_FAIL, "domain %u: no store ring in its start_info: %s",
		    d.domid, strerror(errno));
	err = dom_introduce(&d, &st);
	if (err)
		die(EX_FAIL, "introducing domain %u: %s", d.domid,
		    xs_strerror(-err));
	printf("%u %llu %u\n", d.domid, (unsigned long long)st.gfn, st.port);
	return EX_OK;
}

/*
 * The toolstack's step after a process domain's exit (libxl's
 * xs_release_domain()): its process is gone, so is the domain from
 * pvctl list, but the store still serves its ring. By domid only.
 */
static int cmd_release(int argc, char **argv)
{
	char path[64], *end;
	unsigned long domid;
	int err;

	if (argc != 2)
		usage_die(argc < 2 ? "missing DOMID" : "unexpected argument");
	/* 0x7FF0: Xen's DOMID_FIRST_RESERVED */
	domid = strtoul(argv[1], &end, 10);
	if (!*argv[1] || *end || !domid || domid >= 0x7FF0)
		usage_die("bad domid '%s'", argv[1]);
	xs_open();
	err = xs_talk1(XS_RELEASE, 0, argv[1], NULL, NULL);
	if (err)
		die(EX_FAIL, "releasing domain %lu: %s", domid,
		    xs_strerror(-err));
	snprintf(path, sizeof(path), "/local/domain/%lu", domid);
	xs_rm(0, path);
	return EX_OK;
}

/* ---- devices ---------------------------------------------------------- */

static void fe_path(char *buf, size_t n, unsigned int dom, const char *type,
		    unsigned int devid)
{
	snprintf(buf, n, "/local/domain/%u/device/%s/%u", dom, type, devid);
}

static void be_path(char *buf, size_t n, unsigned int dom, const char *type,
		    unsigned int devid)
{
	snprintf(buf, n, "/local/domain/0/backend/%s/%u/%u", type, dom, devid);
}

struct kv {
	const char *key;
	char val[PATH_MAX + 16];
};

/*
 * Write a device's frontend and backend directories in one transaction,
 * with libxl's permissions: the frontend's owned by the domU (dom0 may
 * read), the backend's owned by dom0 (the domU may read).
 */
static int device_add(unsigned int dom, const char *type, unsigned int devid,
		      const struct kv *fe, unsigned int nfe,
		      const struct kv *be, unsigned int nbe)
{
	char fp[128], bp[128], p[512], perm[16];
	unsigned int i;
	uint32_t tx;
	int err, tries = 0;

	fe_path(fp, sizeof(fp), dom, type, devid);
	be_path(bp, sizeof(bp), dom, type, devid);
	do {
		err = xs_tx_start(&tx);
		if (err)
			return err;
		if (xs_exists_tx(tx, fp) || xs_exists_tx(tx, bp)) {
			xs_tx_end(tx, 0);
			return -EEXIST;
		}
		err = xs_mkdir(tx, fp);
		snprintf(perm, sizeof(perm), "n%u", dom);
		if (!err)
			err = xs_set_perms(tx, fp, perm, "r0");
		for (i = 0; !err && i < nfe; i++) {
			snprintf(p, sizeof(p), "%s/%s", fp, fe[i].key);
			err = xs_write(tx, p, fe[i].val);
		}
		if (!err)
			err = xs_mkdir(tx, bp);
		snprintf(perm, sizeof(perm), "r%u", dom);
		if (!err)
			err = xs_set_perms(tx, bp, "n0", perm);
		for (i = 0; !err && i < nbe; i++) {
			snprintf(p, sizeof(p), "%s/%s", bp, be[i].key);
			err = xs_write(tx, p, be[i].val);
		}
		if (err) {
			xs_tx_end(tx, 0);
			return err;
		}
		err = xs_tx_end(tx, 1);
	} while (err == -EAGAIN && ++tries < 20);
	return err;
}

/* Remove @path if it has no children. */
static void rm_if_empty(uint32_t tx, const char *path)
{
	char **v;
	unsigned int n;

	if (xs_dir(tx, path, &v, &n))
		return;
	xs_dir_free(v, n);
	if (!n)
		xs_rm(tx, path);
}

static int state_of(const char *dir)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/state", dir);
	return xs_read_ul(p, XenbusStateUnknown);
}

/*
 * Detach a device the way libxl does: the backend is told to close
 * (online 0, state Closing), the frontend follows it to Closed, then the
 * backend; once the backend is Closed (or after @wait_ms, or at once if
 * no driver ever took the device) both directories go. Returns 0,
 * -ENOENT if there is no such device, or a store -errno.
 */
static int device_remove(unsigned int dom, const char *type,
			 unsigned int devid, unsigned int wait_ms, int quiet)
{
	char fp[128], bp[128], p[192];
	unsigned int waited = 0;
	int st, err, tries = 0;
	uint32_t tx;

	fe_path(fp, sizeof(fp), dom, type, devid);
	be_path(bp, sizeof(bp), dom, type, devid);
	if (!xs_exists(fp) && !xs_exists(bp))
		return -ENOENT;
	st = state_of(bp);
	if (st > XenbusStateInitialising && st < XenbusStateClosed) {
		do {
			err = xs_tx_start(&tx);
			if (err)
				break;
			snprintf(p, sizeof(p), "%s/online", bp);
			err = xs_write(tx, p, "0");
			snprintf(p, sizeof(p), "%s/state", bp);
			if (!err)
				err = xs_writef(tx, p, "%d", XenbusStateClosing);
			if (err) {
				xs_tx_end(tx, 0);
				break;
			}
			err = xs_tx_end(tx, 1);
		} while (err == -EAGAIN && ++tries < 20);
		while (state_of(bp) != XenbusStateClosed && waited < wait_ms) {
			msleep(50);
			waited += 50;
		}
		if (!quiet && state_of(bp) != XenbusStateClosed)
			fprintf(stderr, "pvctl: %s: backend %s did not close, removing it anyway\n",
				cmd_name, bp);
	}
	tries = 0;
	do {
		err = xs_tx_start(&tx);
		if (err)
			return err;
		xs_rm(tx, fp);
		xs_rm(tx, bp);
		snprintf(p, sizeof(p), "/local/domain/%u/device/%s", dom, type);
		rm_if_empty(tx, p);
		snprintf(p, sizeof(p), "/local/domain/%u/device", dom);
		rm_if_empty(tx, p);
		snprintf(p, sizeof(p), "/local/domain/0/backend/%s/%u", type,
			 dom);
		rm_if_empty(tx, p);
		snprintf(p, sizeof(p), "/local/domain/0/backend/%s", type);
		rm_if_empty(tx, p);
		rm_if_empty(tx, "/local/domain/0/backend");
		err = xs_tx_end(tx, 1);
	} while (err == -EAGAIN && ++tries < 20);
	return err;
}

static const char *const std_fe_keys[] = { "backend", "backend-id", "state" };

static void set_kv(struct kv *kv, const char *key, const char *fmt, ...)
	__printf(3, 4);
static void set_kv(struct kv *kv, const char *key, const char *fmt, ...)
{
	va_list ap;

	kv->key = key;
	va_start(ap, fmt);
	vsnprintf(kv->val, sizeof(kv->val), fmt, ap);
	va_end(ap);
}

/* The nodes every device has (libxl__device_generic_add()). */
static void std_nodes(unsigned int dom, const char *type, unsigned int devid,
		      struct kv *fe, unsigned int *nfe, struct kv *be,
		      unsigned int *nbe)
{
	char bp[128], fp[128];

	fe_path(fp, sizeof(fp), dom, type, devid);
	be_path(bp, sizeof(bp), dom, type, devid);
	set_kv(&fe[(*nfe)++], std_fe_keys[0], "%s", bp);
	set_kv(&fe[(*nfe)++], std_fe_keys[1], "0");
	set_kv(&fe[(*nfe)++], std_fe_keys[2], "%d", XenbusStateInitialising);
	set_kv(&be[(*nbe)++], "frontend", "%s", fp);
	set_kv(&be[(*nbe)++], "frontend-id", "%u", dom);
	set_kv(&be[(*nbe)++], "online", "1");
	set_kv(&be[(*nbe)++], "state", "%d", XenbusStateInitialising);
}

static void attach_or_die(unsigned int dom, const char *type,
			  unsigned int devid, struct kv *fe, unsigned int nfe,
			  struct kv *be, unsigned int nbe, const char *what)
{
	int err = device_add(dom, type, devid, fe, nfe, be, nbe);

	if (err == -EEXIST)
		die(EX_FAIL, "domain %u already has %s %s", dom, type, what);
	if (err)
		die(EX_FAIL, "writing %s %s of domain %u: %s", type, what, dom,
		    xs_strerror(-err));
}

static void detach_or_die(unsigned int dom, const char *type,
			  unsigned int devid, const char *what)
{
	int err = device_remove(dom, type, devid, DETACH_WAIT_MS, 0);

	if (err == -ENOENT)
		die(EX_NOTFOUND, "domain %u has no %s device %s", dom, type,
		    what);
	if (err)
		die(EX_FAIL, "removing %s %s of domain %u: %s", type, what, dom,
		    xs_strerror(-err));
}

/* Xen's virtual-device numbers (xen-vbd-interface.7): xvdX[N], hdX, sdX. */
static int vdev_to_devid(const char *s)
{
	unsigned int disk, part = 0;
	const char *p;
	char *end;

	if (isdigit((unsigned char)*s)) {
		unsigned long v = strtoul(s, &end, 10);

		return *end || v > 0xfffff || !v ? -1 : (int)v;
	}
	if (!strncmp(s, "xvd", 3))
		p = s + 3;
	else if (!strncmp(s, "hd", 2) || !strncmp(s, "sd", 2))
		p = s + 2;
	else
		return -1;
	if (*p < 'a' || *p > 'z')
		return -1;
	disk = *p++ - 'a';
	if (*p) {
		part = strtoul(p, &end, 10);
		if (*end || part > 15 || !isdigit((unsigned char)*p))
			return -1;
	}
	if (s[0] == 'x')
		return (202 << 8) | (disk << 4) | part;
	if (s[0] == 'h') {
		if (disk > 3)
			return -1;
		return ((disk < 2 ? 3 : 22) << 8) | ((disk & 1) << 6) | part;
	}
	return (8 << 8) | (disk << 4) | part;
}

static int cmd_block_attach(int argc, char **argv)
{
	struct kv fe[8], be[16];
	unsigned int nfe = 0, nbe = 0;
	struct pvio_ctl_domain d;
	char real[PATH_MAX];
	struct stat st;
	int devid, ro = 0;

	if (argc < 4)
		usage_die("missing %s", argc < 2 ? "DOM" : argc < 3 ? "BACKING" : "VDEV");
	if (argc > 5 || (argc == 5 && strcmp(argv[4], "ro") &&
			 strcmp(argv[4], "rw")))
		usage_die("unknown option '%s'", argv[argc - 1]);
	ro = argc == 5 && !strcmp(argv[4], "ro");
	devid = vdev_to_devid(argv[3]);
	if (devid < 0)
		usage_die("bad VDEV '%s' (xvda, xvdb1, hda, sda, or a number)",
			  argv[3]);
	if (!realpath(argv[2], real) || stat(real, &st))
		die(EX_NOTFOUND, "backing '%s': %s", argv[2], strerror(errno));
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		die(EX_USAGE, "backing '%s' is neither a block device nor a regular file",
		    argv[2]);
	if (access(real, ro ? R_OK : R_OK | W_OK))
		die(EX_FAIL, "backing '%s': %s", argv[2], strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		/* blkback opens it exclusively: refuse a mounted or used disk. */
		int fd = open(real, (ro ? O_RDONLY : O_RDWR) | O_EXCL);

		if (fd < 0)
			die(EX_FAIL, "backing '%s': %s", argv[2],
			    errno == EBUSY ? "busy (mounted or in use)" :
			    strerror(errno));
		close(fd);
	}
	d = resolve_domu(argv[1]);
	xs_open();
	std_nodes(d.domid, "vbd", devid, fe, &nfe, be, &nbe);
	set_kv(&fe[nfe++], "virtual-device", "%d", devid);
	set_kv(&fe[nfe++], "device-type", "disk");
	set_kv(&be[nbe++], "params", "%s", real);
	set_kv(&be[nbe++], "type", S_ISBLK(st.st_mode) ? "phy" : "file");
	set_kv(&be[nbe++], "mode", ro ? "r" : "w");
	set_kv(&be[nbe++], "dev", "%s", argv[3]);
	set_kv(&be[nbe++], "device-type", "disk");
	set_kv(&be[nbe++], "removable", "0");
	set_kv(&be[nbe++], "bootable", "1");
	set_kv(&be[nbe++], "handle", "%d", devid);
	if (S_ISBLK(st.st_mode))
		set_kv(&be[nbe++], "physical-device", "%x:%x",
		       major(st.st_rdev), minor(st.st_rdev));
	attach_or_die(d.domid, "vbd", devid, fe, nfe, be, nbe, argv[3]);
	return EX_OK;
}

static int cmd_block_detach(int argc, char **argv)
{
	struct pvio_ctl_domain d;
	int devid;

	if (argc != 3)
		usage_die(argc < 3 ? "missing argument" : "unexpected argument '%s'",
			  argv[argc - 1]);
	devid = vdev_to_devid(argv[2]);
	if (devid < 0)
		usage_die("bad VDEV '%s'", argv[2]);
	d = resolve_domu(argv[1]);
	detach_or_die(d.domid, "vbd", devid, argv[2]);
	return EX_OK;
}

static void list_devices(unsigned int dom, const char *type, const char *extra)
{
	char **ids, fp[128], bp[128], p[192], *v;
	unsigned int n, i;

	snprintf(p, sizeof(p), "/local/domain/0/backend/%s/%u", type, dom);
	printf("%-8s %-5s %-12s %-12s %s\n", "devid", "BE", "fe-state",
	       "be-state", extra);
	if (xs_dir(0, p, &ids, &n))
		return;
	for (i = 0; i < n; i++) {
		unsigned int devid = strtoul(ids[i], NULL, 10);

		fe_path(fp, sizeof(fp), dom, type, devid);
		be_path(bp, sizeof(bp), dom, type, devid);
		snprintf(p, sizeof(p), "%s/%s", bp, extra);
		if (xs_read(0, p, &v))
			v = strdup("-");
		printf("%-8s %-5u %-12d %-12d %s\n", ids[i], 0, state_of(fp),
		       state_of(bp), v ? v : "-");
		free(v);
	}
	xs_dir_free(ids, n);
}

static int cmd_block_list(int argc, char **argv)
{
	struct pvio_ctl_domain d;

	if (argc != 2)
		usage_die(argc < 2 ? "missing DOM" : "unexpected argument '%s'",
			  argv[argc - 1]);
	d = resolve_domu(argv[1]);
	xs_open();
	list_devices(d.domid, "vbd", "params");
	return EX_OK;
}

/* ---- backend restart: block-migrate, suspend, resume ------------------ */

#define RESTART_WAIT_MS	30000	/* backend released, backend Connected */
#define SUSPEND_WAIT_MS	10000	/* the guest's answer to "suspend" */
#define SAVED_DIR	"/local/domain/0/pvctl-saved"

/*
 * The keys pvctl writes in a backend directory (std_nodes() and the
 * attach commands), which a backend restart carries over; "state" is
 * written Initialising when the directory is re-created, and what the
 * backend driver wrote (features, sectors, ...) it writes again.
 */
static const char *const be_tool_keys[] = {
	"frontend", "frontend-id", "online", "handle", "params", "type",
	"mode", "dev", "device-type", "removable", "bootable",
	"physical-device", "mac", "bridge",
};

#define NR_BE_KEYS	ARRAY_SIZE(be_tool_keys)

/* A backend directory's toolstack keys. */
struct be_keys {
	struct kv kv[NR_BE_KEYS];
	unsigned int n;
};

/* Read the toolstack keys below @dir (those present); -ENOENT if none. */
static int be_keys_read(uint32_t tx, const char *dir, struct be_keys *k)
{
	char p[192], *v;
	unsigned int i;

	k->n = 0;
	for (i = 0; i < NR_BE_KEYS; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, be_tool_keys[i]);
		if (xs_read(tx, p, &v))
			continue;
		set_kv(&k->kv[k->n++], be_tool_keys[i], "%s", v);
		free(v);
	}
	return k->n ? 0 : -ENOENT;
}

/* Set @key to @val in @k (added if absent); @val NULL removes it. */
static void be_keys_set(struct be_keys *k, const char *key, const char *val)
{
	unsigned int i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->kv[i].key, key))
			break;
	if (!val) {
		if (i < k->n)
			k->kv[i] = k->kv[--k->n];
		return;
	}
	if (i == k->n) {
		if (k->n == NR_BE_KEYS)
			return;
		k->n++;
	}
	set_kv(&k->kv[i], key, "%s", val);
}

static const char *be_keys_get(const struct be_keys *k, const char *key)
{
	unsigned int i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->kv[i].key, key))
			return k->kv[i].val;
	return NULL;
}

/* Write @k below @dir in @tx (a new directory; @perm0, @perm1 if given). */
static int be_keys_write(uint32_t tx, const char *dir, const struct be_keys *k,
			 const char *perm0, const char *perm1)
{
	char p[192];
	unsigned int i;
	int err;

	err = xs_mkdir(tx, dir);
	if (!err && perm0)
		err = xs_set_perms(tx, dir, perm0, perm1);
	for (i = 0; !err && i < k->n; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, k->kv[i].key);
		err = xs_write(tx, p, k->kv[i].val);
	}
	return err;
}

/*
 * Re-create a backend directory in one transaction: @k, libxl's
 * permissions (dom0 owns it, the domU reads it) and state Initialising,
 * which makes the backend driver probe it again. -EEXIST if it is there.
 */
static int be_create(unsigned int dom, const char *bp, const struct be_keys *k)
{
	char p[192], perm[16];
	int err, tries = 0;
	uint32_t tx;

	snprintf(perm, sizeof(perm), "r%u", dom);
	do {
		err = xs_tx_start(&tx);
		if (err)
			return err;
		if (xs_exists_tx(tx, bp)) {
			xs_tx_end(tx, 0);
			return -EEXIST;
		}
		err = be_keys_write(tx, bp, k, "n0", perm);
		snprintf(p, sizeof(p), "%s/state", bp);
		if (!err)
			err = xs_writef(tx, p, "%d", XenbusStateInitialising);
		if (err) {
			xs_tx_end(tx, 0);
			return err;
		}
		err = xs_tx_end(tx, 1);
	} while (err == -EAGAIN && ++tries < 20);
	return err;
}

/*
 * Remove a backend directory without online = 0 (the frontend holds its
 * I/O and waits for a backend to come back), after saving its keys at
 * @save if given, in one transaction.
 */
static int be_remove(const char *bp, const char *save, const struct be_keys *k)
{
	int err, tries = 0;
	uint32_t tx;

	do {
		err = xs_tx_start(&tx);
		if (err)
			return err;
		err = save ? be_keys_write(tx, save, k, NULL, NULL) : 0;
		if (!err)
			err = xs_rm(tx, bp);
		if (err) {
			xs_tx_end(tx, 0);
			return err;
		}
		err = xs_tx_end(tx, 1);
	} while (err == -EAGAIN && ++tries < 20);
	return err;
}

/* Wait up to @ms for @dir/state to read @state; 1 if it did. */
static int wait_state(const char *dir, int state, unsigned int ms)
{
	unsigned int waited = 0;

	while (state_of(dir) != state) {
		if (waited >= ms)
			return 0;
		msleep(50);
		waited += 50;
	}
	return 1;
}

/*
 * The backend device's own sysfs directory in @buf (PATH_MAX bytes), ""
 * if it is not on dom0's bus. Its /sys/bus link goes before the driver's
 * remove() runs; the directory only after, once the bus has written its
 * last Closed (into the store directory if it still exists): a directory
 * re-created before then would get that Closed.
 */
static void backend_sysfs_dir(const char *type, unsigned int dom,
			      unsigned int devid, char *buf)
{
	char p[128];

	snprintf(p, sizeof(p), "/sys/bus/pvio-backend/devices/%s-%u-%u", type,
		 dom, devid);
	if (!realpath(p, buf))
		buf[0] = 0;
}

/* Wait up to @ms for @dir (backend_sysfs_dir()) to go; 1 if it did. */
static int wait_backend_gone(const char *dir, unsigned int ms)
{
	unsigned int waited = 0;

	while (*dir && !access(dir, F_OK)) {
		if (waited >= ms)
			return 0;
		msleep(50);
		waited += 50;
	}
	return 1;
}

/* Size in bytes of a backing (block device or regular file); -errno. */
static long long backing_size(int fd, const struct stat *st)
{
	uint64_t sz;

	if (!S_ISBLK(st->st_mode))
		return st->st_size;
	if (ioctl(fd, BLKGETSIZE64, &sz))
		return -errno;
	return sz;
}

/* Same file: the same path, block device or inode. */
static int same_backing(const char *a, const struct stat *sa, const char *b,
			const struct stat *sb)
{
	if (!strcmp(a, b))
		return 1;
	if (S_ISBLK(sa->st_mode) && S_ISBLK(sb->st_mode))
		return sa->st_rdev == sb->st_rdev;
	return S_ISREG(sa->st_mode) && S_ISREG(sb->st_mode) &&
	       sa->st_dev == sb->st_dev && sa->st_ino == sb->st_ino;
}

/*
 * Copy @size bytes from @in to @out and fsync @out. The block devices'
 * page caches are dropped (BLKFLSBUF) before the read and after the
 * write: the backend's bios bypass them. Returns 0 or -errno, with the
 * offset reached in *@done.
 */
static int copy_backing(int in, int out, long long size, long long *done)
{
	const size_t chunk = 1 << 20;
	long long off = 0;
	ssize_t r, w, n;
	char *buf;
	int err = 0;

	buf = malloc(chunk);
	if (!buf)
		return -ENOMEM;
	ioctl(in, BLKFLSBUF, 0);	/* ENOTTY on a regular file */
	while (off < size) {
		n = size - off < (long long)chunk ? size - off : (ssize_t)chunk;
		r = pread(in, buf, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r ? -errno : -EIO;	/* short source */
			break;
		}
		for (w = 0; w < r; ) {
			ssize_t k = pwrite(out, buf + w, r - w, off + w);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				err = k ? -errno : -ENOSPC;
				break;
			}
			w += k;
		}
		if (err)
			break;
		off += r;
	}
	if (!err && fsync(out))
		err = -errno;
	if (!err)
		ioctl(out, BLKFLSBUF, 0);
	free(buf);
	*done = off;
	return err;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Put the vbd back on its old backing after a failed migration and die
 * with @msg.
 */
static void __noreturn __printf(4, 5)
migrate_abort(unsigned int dom, const char *bp, const struct be_keys *old,
	      const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int err;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err = be_create(dom, bp, old);
	die(EX_FAIL, "%s (%s)", msg,
	    err ? "the vbd could not be restored" : "the vbd is back on its old backing");
}

static int cmd_block_migrate(int argc, char **argv)
{
	char bp[128], p[192], real[PATH_MAX], old[PATH_MAX], sysdir[PATH_MAX];
	int devid, in = -1, out, bdev, err;
	char *v;
	long long osize, nsize, done = 0;
	struct be_keys keys, nkeys;
	struct pvio_ctl_domain d;
	struct stat st, ost;
	unsigned int waited;
	double t0;

	if (argc != 4)
		usage_die(argc < 4 ? "missing %s" : "unexpected argument '%s'",
			  argc < 2 ? "DOM" : argc < 3 ? "VDEV" :
			  argc < 4 ? "NEW-BACKING" : argv[4]);
	devid = vdev_to_devid(argv[2]);
	if (devid < 0)
		usage_die("bad VDEV '%s' (xvda, xvdb1, hda, sda, or a number)",
			  argv[2]);
	d = resolve_domu(argv[1]);
	xs_open();
	be_path(bp, sizeof(bp), d.domid, "vbd", devid);
	if (!xs_exists(bp))
		die(EX_NOTFOUND, "domain %u has no vbd %s", d.domid, argv[2]);
	snprintf(p, sizeof(p), "%s/params", bp);
	if (xs_read(0, p, &v))
		die(EX_FAIL, "vbd %s of domain %u has no params", argv[2],
		    d.domid);
	snprintf(old, sizeof(old), "%s", v);
	free(v);

	/* Every check before the disk is touched. */
	if (!realpath(argv[3], real) || stat(real, &st))
		die(EX_NOTFOUND, "target '%s': %s", argv[3], strerror(errno));
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		die(EX_USAGE, "target '%s' is neither a block device nor a regular file",
		    argv[3]);
	if (stat(old, &ost))
		die(EX_FAIL, "current backing '%s': %s", old, strerror(errno));
	if (same_backing(real, &st, old, &ost))
		die(EX_FAIL, "target '%s' is the current backing of vbd %s",
		    argv[3], argv[2]);
	bdev = S_ISBLK(st.st_mode);
	out = open(real, O_RDWR | O_CLOEXEC | (bdev ? O_EXCL : 0));
	if (out < 0)
		die(EX_FAIL, "target '%s': %s", argv[3],
		    errno == EBUSY ? "busy (mounted or in use)" :
		    strerror(errno));
	in = open(old, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		die(EX_FAIL, "current backing '%s': %s", old, strerror(errno));
	osize = backing_size(in, &ost);
	nsize = backing_size(out, &st);
	close(in);
	if (osize < 0 || nsize < 0)
		die(EX_FAIL, "size of '%s': %s", osize < 0 ? old : argv[3],
		    strerror(-(osize < 0 ? osize : nsize)));
	if (nsize < osize)
		die(EX_FAIL, "target '%s' is smaller than the current backing (%lld < %lld bytes)",
		    argv[3], nsize, osize);
	if (be_keys_read(0, bp, &keys))
		die(EX_FAIL, "reading %s: no keys", bp);
	nkeys = keys;
	be_keys_set(&nkeys, "params", real);
	be_keys_set(&nkeys, "type", bdev ? "phy" : "file");
	snprintf(p, sizeof(p), "%x:%x", major(st.st_rdev), minor(st.st_rdev));
	be_keys_set(&nkeys, "physical-device", bdev ? p : NULL);

	/* The backend goes (no online = 0: the frontend holds its I/O). */
	t0 = now_s();
	backend_sysfs_dir("vbd", d.domid, devid, sysdir);
	err = be_remove(bp, NULL, NULL);
	if (err)
		die(EX_FAIL, "removing %s: %s", bp, xs_strerror(-err));
	if (!wait_backend_gone(sysdir, RESTART_WAIT_MS))
		migrate_abort(d.domid, bp, &keys,
			      "the backend of vbd %s did not go within %u s",
			      argv[2], RESTART_WAIT_MS / 1000);
	/* Released: an exclusive open succeeds (blkback's is exclusive). */
	for (waited = 0;; waited += 50) {
		in = open(old, O_RDONLY | O_CLOEXEC |
			  (S_ISBLK(ost.st_mode) ? O_EXCL : 0));
		if (in >= 0 || errno != EBUSY || waited >= RESTART_WAIT_MS)
			break;
		msleep(50);
	}
	if (in < 0)
		migrate_abort(d.domid, bp, &keys, "current backing '%s': %s",
			      old, errno == EBUSY ? "still in use" :
			      strerror(errno));
	err = copy_backing(in, out, osize, &done);
	close(in);
	if (close(out) && !err)
		err = -errno;
	if (err)
		migrate_abort(d.domid, bp, &keys,
			      "copying '%s' to '%s' failed at byte %lld: %s",
			      old, real, done, strerror(-err));

	/* The backend comes back on the new backing. */
	err = be_create(d.domid, bp, &nkeys);
	if (err)
		die(EX_FAIL, "re-creating %s: %s ('%s' holds the copy)", bp,
		    xs_strerror(-err), real);
	if (!wait_state(bp, XenbusStateConnected, RESTART_WAIT_MS))
		die(EX_FAIL, "vbd %s is on '%s', its backend not Connected after %us (state %d)",
		    argv[2], real, RESTART_WAIT_MS / 1000, state_of(bp));
	printf("vbd %s of domain %u: %s -> %s, %lld bytes copied, backend Connected in %.1f s\n",
	       argv[2], d.domid, be_keys_get(&keys, "params"), real, osize,
	       now_s() - t0);
	return EX_OK;
}

static int valid_mac(const char *s)
{
	unsigned int i;

	if (strlen(s) != 17)
		return 0;
	for (i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return 0;
	/* unicast */
	return !(strtoul(s, NULL, 16) & 1);
}

/*
 * libxl's vif rate (xl's rate=, xlu_vif_parse_rate()): RATE/s[@INTERVAL].
 * RATE is decimal digits (at most 2^32 - 1), an optional K, M or G
 * (x 1000, 1000^2, 1000^3) and B (bytes) or b (bits); INTERVAL is decimal
 * digits and s, ms or us, 50ms if absent, at most 2^32 - 1 us. Gives
 * what libxl writes to the backend's "rate" node: bytes per interval and
 * the interval in microseconds. Returns 0, or -1 if malformed (or less
 * than one byte per interval).
 */
static int parse_vif_rate(const char *s, unsigned long long *bytes,
			  unsigned long *usec)
{
	unsigned long long bps, v;
	const char *p = s;
	char *end;

	if (!isdigit((unsigned char)*p))
		return -1;
	errno = 0;
	bps = strtoull(p, &end, 10);
	if (errno || !bps || bps > UINT32_MAX)
		return -1;
	p = end;
	if (*p == 'G')
		bps *= 1000ULL * 1000 * 1000, p++;
	else if (*p == 'M')
		bps *= 1000ULL * 1000, p++;
	else if (*p == 'K')
		bps *= 1000ULL, p++;
	if (*p == 'b')
		bps /= 8;
	else if (*p != 'B')
		return -1;
	if (strncmp(p + 1, "/s", 2))
		return -1;
	p += 3;
	*usec = 50000;
	if (*p == '@') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || !v || v > UINT32_MAX)
			return -1;
		if (!strcmp(end, "s"))
			v *= 1000000;
		else if (!strcmp(end, "ms"))
			v *= 1000;
		else if (strcmp(end, "us"))
			return -1;
		if (v > UINT32_MAX)
			return -1;
		*usec = v;
	} else if (*p) {
		return -1;
	}
	if (bps > ULLONG_MAX / *usec)
		return -1;
	*bytes = bps * *usec / 1000000;
	return *bytes ? 0 : -1;
}

static int cmd_network_attach(int argc, char **argv)
{
	static const char *const keys[] = { "mac", "bridge", "rate" };
	const char *vals[3] = { NULL, NULL, NULL };
	unsigned long long rate_bytes = 0;
	unsigned long rate_usec = 0;
	struct kv fe[8], be[12];
	unsigned int nfe = 0, nbe = 0, n, i, devid = 0;
	struct pvio_ctl_domain d;
	char mac[18], p[128], **ids;

	if (argc < 2)
		usage_die("missing DOM");
	parse_opts(argc, argv, 2, keys, vals, 3);
	if (vals[0] && !valid_mac(vals[0]))
		usage_die("bad mac '%s' (unicast xx:xx:xx:xx:xx:xx)", vals[0]);
	if (vals[2] && parse_vif_rate(vals[2], &rate_bytes, &rate_usec))
		usage_die("bad rate '%s' (RATE/s[@INTERVAL]: e.g. 100Mb/s, 10MB/s@20ms)",
			  vals[2]);
	d = resolve_domu(argv[1]);
	xs_open();
	if (vals[0]) {
		snprintf(mac, sizeof(mac), "%s", vals[0]);
	} else {
		srand(time(NULL) ^ getpid());
		snprintf(mac, sizeof(mac), "00:16:3e:%02x:%02x:%02x",
			 rand() & 0x7f, rand() & 0xff, rand() & 0xff);
	}
	snprintf(p, sizeof(p), "/local/domain/0/backend/vif/%u", d.domid);
	if (!xs_dir(0, p, &ids, &n)) {
		for (i = 0; i < n; i++)
			if (strtoul(ids[i], NULL, 10) >= devid)
				devid = strtoul(ids[i], NULL, 10) + 1;
		xs_dir_free(ids, n);
	}
	std_nodes(d.domid, "vif", devid, fe, &nfe, be, &nbe);
	set_kv(&fe[nfe++], "handle", "%u", devid);
	set_kv(&fe[nfe++], "mac", "%s", mac);
	set_kv(&be[nbe++], "handle", "%u", devid);
	set_kv(&be[nbe++], "mac", "%s", mac);
	if (vals[1])
		set_kv(&be[nbe++], "bridge", "%s", vals[1]);
	if (vals[2])
		set_kv(&be[nbe++], "rate", "%llu,%lu", rate_bytes, rate_usec);
	snprintf(p, sizeof(p), "%u", devid);
	attach_or_die(d.domid, "vif", devid, fe, nfe, be, nbe, p);
	printf("%u\n", devid);
	return EX_OK;
}

static int cmd_network_detach(int argc, char **argv)
{
	struct pvio_ctl_domain d;
	unsigned int devid;

	if (argc != 3)
		usage_die(argc < 3 ? "missing argument" : "unexpected argument '%s'",
			  argv[argc - 1]);
	devid = parse_uint(argv[2], "DEVID", 0xffff);
	d = resolve_domu(argv[1]);
	detach_or_die(d.domid, "vif", devid, argv[2]);
	return EX_OK;
}

static int cmd_network_list(int argc, char **argv)
{
	struct pvio_ctl_domain d;

	if (argc != 2)
		usage_die(argc < 2 ? "missing DOM" : "unexpected argument '%s'",
			  argv[argc - 1]);
	d = resolve_domu(argv[1]);
	xs_open();
	list_devices(d.domid, "vif", "mac");
	return EX_OK;
}

static int valid_type(const char *s)
{
	if (!*s || strlen(s) >= 32)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

static int cmd_device_attach(int argc, char **argv)
{
	struct kv fe[8], be[8];
	unsigned int nfe = 0, nbe = 0, devid;
	struct pvio_ctl_domain d;

	if (argc != 4)
		usage_die(argc < 4 ? "missing argument" : "unexpected argument '%s'",
			  argv[argc - 1]);
	if (!valid_type(argv[2]))
		usage_die("bad TYPE '%s'", argv[2]);
	devid = parse_uint(argv[3], "DEVID", 0xfffff);
	d = resolve_domu(argv[1]);
	xs_open();
	std_nodes(d.domid, argv[2], devid, fe, &nfe, be, &nbe);
	set_kv(&be[nbe++], "handle", "%u", devid);
	attach_or_die(d.domid, argv[2], devid, fe, nfe, be, nbe, argv[3]);
	return EX_OK;
}

static int cmd_device_detach(int argc, char **argv)
{
	struct pvio_ctl_domain d;
	unsigned int devid;

	if (argc != 4)
		usage_die(argc < 4 ? "missing argument" : "unexpected argument '%s'",
			  argv[argc - 1]);
	if (!valid_type(argv[2]))
		usage_die("bad TYPE '%s'", argv[2]);
	devid = parse_uint(argv[3], "DEVID", 0xfffff);
	d = resolve_domu(argv[1]);
	detach_or_die(d.domid, argv[2], devid, argv[3]);
	return EX_OK;
}

static int cmd_device_list(int argc, char **argv)
{
	struct pvio_ctl_domain d;
	char **types, p[128];
	unsigned int nt, i;

	if (argc != 2)
		usage_die(argc < 2 ? "missing DOM" : "unexpected argument '%s'",
			  argv[argc - 1]);
	d = resolve_domu(argv[1]);
	xs_open();
	if (xs_dir(0, "/local/domain/0/backend", &types, &nt))
		return EX_OK;
	for (i = 0; i < nt; i++) {
		snprintf(p, sizeof(p), "/local/domain/0/backend/%s/%u",
			 types[i], d.domid);
		if (!xs_exists(p))
			continue;
		printf("[%s]\n", types[i]);
		list_devices(d.domid, types[i], "handle");
	}
	xs_dir_free(types, nt);
	return EX_OK;
}

/*
 * Everything a domain has in the store: its backends first, gracefully
 * (libxl__devices_destroy(); @wait_ms for each to close), a process
 * domain's store ring (introduced by pvctl, not by a bus of dom0's
 * kernel: libxl's xs_release_domain(); not introduced is fine), its home.
 */
static void dom_store_teardown(unsigned int domid, int process,
			       unsigned int wait_ms)
{
	char **types, **ids, p[128];
	unsigned int nt, ni, i, j;

	xs_open();
	if (!xs_dir(0, "/local/domain/0/backend", &types, &nt)) {
		for (i = 0; i < nt; i++) {
			snprintf(p, sizeof(p), "/local/domain/0/backend/%s/%u",
				 types[i], domid);
			if (xs_dir(0, p, &ids, &ni))
				continue;
			for (j = 0; j < ni; j++)
				device_remove(domid, types[i],
					      strtoul(ids[j], NULL, 10),
					      wait_ms, 0);
			xs_dir_free(ids, ni);
		}
		xs_dir_free(types, nt);
	}
	if (process) {
		snprintf(p, sizeof(p), "%u", domid);
		xs_talk1(XS_RELEASE, 0, p, NULL, NULL);
	}
	snprintf(p, sizeof(p), "/local/domain/%u", domid);
	xs_rm(0, p);
	/* A suspended domain's saved backends (pvctl suspend). */
	snprintf(p, sizeof(p), "%s/%u", SAVED_DIR, domid);
	xs_rm(0, p);
	rm_if_empty(0, SAVED_DIR);
}

static int uml_stop(const char *name);

/* Remove everything a domain has in the store and destroy it. */
static int cmd_destroy(int argc, char **argv)
{
	struct pvio_ctl_destroy dd = { 0 };
	struct pvio_ctl_domain d;

	if (argc != 2)
		usage_die(argc < 2 ? "missing DOM" : "unexpected argument '%s'",
			  argv[argc - 1]);
	d = resolve_dom(argv[1]);
	if (d.flags & PVIO_CTL_DOMF_PRIVILEGED)
		die(EX_USAGE, "dom0 cannot be destroyed");
	dom_store_teardown(d.domid, d.flags & PVIO_CTL_DOMF_PROCESS, 5000);
	/* A UML domain started by pvctl create: its process goes too. */
	if (d.flags & PVIO_CTL_DOMF_PROCESS)
		uml_stop(d.name);
	dd.domid = d.domid;
	/* A process domain whose process exited is destroyed already. */
	if (ioctl(ctl_fd, PVIO_IOC_DESTROY, &dd) &&
	    !(errno == ESRCH && (d.flags & PVIO_CTL_DOMF_PROCESS)))
		die(errno == ESRCH ? EX_NOTFOUND : EX_FAIL,
		    "destroying domain %u: %s", d.domid, strerror(errno));
	return EX_OK;
}

/* ---- UML domains: pvctl create --kernel uml --------------------------- */

/*
 * A UML domain is a process of dom0: pvctl create forks a monitor (as xl
 * create leaves a daemon per domain), which starts the UML kernel in a
 * process group of its own, waits for the domain its pvio-uml module
 * creates (named by the pvio.name= parameter), introduces it to the store
 * once its bus has recorded the store ring, and, when the UML process
 * ends (exit, crash, kill -9), kills the rest of its process group (its
 * userspace processes share its file table) and tears down what the
 * domain had in the store (backends closed, ring released, home removed).
 * RUN_DIR/NAME.pid holds "UML_PID MONITOR_PID" while the monitor runs.
 */
#define UML_RUN_DIR	"/run/pvio"
#define UML_WAIT_S	600	/* boot + insmod under TCG */
#define UML_STOP_MS	30000

struct uml_opts {
	const char *name;
	const char *linux_bin;
	const char *initramfs;
	const char *console;
	const char *run;
	unsigned int mem;	/* MiB */
};

static void uml_pidfile(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, UML_RUN_DIR "/%s.pid", name);
}

static int uml_read_pids(const char *name, pid_t *uml, pid_t *mon)
{
	char path[PATH_MAX];
	long a, b;
	FILE *f;
	int ok;

	uml_pidfile(path, sizeof(path), name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fscanf(f, "%ld %ld", &a, &b) == 2;
	fclose(f);
	if (!ok || a <= 1 || b <= 1)
		return -EINVAL;
	*uml = a;
	*mon = b;
	return 0;
}

/*
 * Kill a UML domain started by pvctl create (its whole process group) and
 * wait until its monitor has cleaned up (its pid file is gone).
 */
static int uml_stop(const char *name)
{
	char path[PATH_MAX];
	unsigned int waited = 0;
	pid_t uml, mon;

	if (uml_read_pids(name, &uml, &mon))
		return -ENOENT;
	kill(-uml, SIGKILL);
	uml_pidfile(path, sizeof(path), name);
	while (!access(path, F_OK) && waited < UML_STOP_MS) {
		msleep(100);
		waited += 100;
	}
	return access(path, F_OK) ? 0 : -ETIMEDOUT;
}

/* The UML process: its own process group, console to a file. */
static void __noreturn uml_exec(const struct uml_opts *o)
{
	char mem[32], initrd[PATH_MAX + 8], umid[64], name[64], run[4096];
	char *args[12];
	int n = 0, fd;

	setpgid(0, 0);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, 0);
	fd = open(o->console, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	snprintf(mem, sizeof(mem), "mem=%uM", o->mem);
	snprintf(initrd, sizeof(initrd), "initrd=%s", o->initramfs);
	snprintf(umid, sizeof(umid), "umid=%s", o->name);
	snprintf(name, sizeof(name), "pvio.name=%s", o->name);
	args[n++] = (char *)o->linux_bin;
	args[n++] = mem;
	args[n++] = initrd;
	args[n++] = umid;
	args[n++] = "uml_dir=" UML_RUN_DIR "/uml";
	args[n++] = "con0=null,fd:1";
	args[n++] = "con=null";
	args[n++] = "ssl=null";
	args[n++] = name;
	if (o->run) {
		snprintf(run, sizeof(run), "pvio.run=\"%s\"", o->run);
		args[n++] = run;
	}
	args[n] = NULL;
	execv(o->linux_bin, args);
	fprintf(stderr, "pvctl: cannot run %s: %s\n", o->linux_bin,
		strerror(errno));
	_exit(127);
}

/* Our domain: a process domain named o->name; 0 if none yet. */
static int uml_find(const char *name, struct pvio_ctl_domain *out)
{
	struct pvio_ctl_domain *d;
	unsigned int nr, i;
	int found = 0;

	d = ctl_list(&nr);
	for (i = 0; i < nr; i++)
		if ((d[i].flags & PVIO_CTL_DOMF_PROCESS) &&
		    !strcmp(d[i].name, name)) {
			*out = d[i];
			found = 1;
			break;
		}
	free(d);
	return found;
}

static void __noreturn uml_monitor(const struct uml_opts *o, int report_fd)
{
	struct pvio_ctl_destroy dd = { 0 };
	struct pvio_ctl_domain d = { 0 };
	struct pvio_ctl_store st = { 0 };
	char path[PATH_MAX];
	int have = 0, introduced = 0, status = 0, fd;
	pid_t uml;
	FILE *f;

	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	uml = fork();
	if (uml < 0) {
		dprintf(report_fd, "exit fork: %s\n", strerror(errno));
		_exit(1);
	}
	if (!uml) {
		close(report_fd);
		uml_exec(o);
	}
	setpgid(uml, uml);
	uml_pidfile(path, sizeof(path), o->name);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%d %d\n", (int)uml, (int)getpid());
		fclose(f);
	}
	for (;;) {
		if (waitpid(uml, &status, WNOHANG) == uml)
			break;
		if (!have && uml_find(o->name, &d)) {
			have = 1;
			dprintf(report_fd, "%u\n", d.domid);
			close(report_fd);
			report_fd = -1;
		} else if (have && !introduced) {
			st.domid = d.domid;
			if (!ioctl(ctl_fd, PVIO_IOC_GET_STORE, &st))
				introduced = !dom_introduce(&d, &st);
		}
		msleep(introduced ? 500 : 200);
	}
	if (report_fd >= 0)
		dprintf(report_fd, "exit %s %d\n",
			WIFSIGNALED(status) ? "signal" : "status",
			WIFSIGNALED(status) ? WTERMSIG(status) :
			WEXITSTATUS(status));
	/* Its userspace processes share its files: the domain's too. */
	kill(-uml, SIGKILL);
	if (have) {
		dom_store_teardown(d.domid, 1, 5000);
		dd.domid = d.domid;
		ioctl(ctl_fd, PVIO_IOC_DESTROY, &dd);	/* ESRCH: gone */
	}
	unlink(path);
	_exit(0);
}

/*
 * pvctl create --kernel uml NAME [--mem MiB] [--vcpus 1] [--console FILE]
 *	[--linux PATH] [--initramfs PATH] [--run CMD]
 */
static int cmd_create_uml(int argc, char **argv)
{
	struct uml_opts o = {
		.linux_bin = getenv("PVIO_UML_KERNEL"),
		.initramfs = getenv("PVIO_UML_INITRAMFS"),
		.mem = 256,
	};
	struct pvio_ctl_domain d;
	char console[PATH_MAX], path[PATH_MAX], line[128];
	struct pollfd pfd;
	unsigned int domid, waited = 0;
	pid_t uml, mon, pid;
	char *end;
	int i, p[2];
	ssize_t n;

	if (argc < 3 || strcmp(argv[2], "uml"))
		usage_die("--kernel takes 'uml'");
	for (i = 3; i < argc; i++) {
		const char *opt = argv[i];

		if (strncmp(opt, "--", 2)) {
			if (o.name)
				usage_die("unexpected argument '%s'", opt);
			o.name = opt;
			continue;
		}
		if (i + 1 >= argc)
			usage_die("%s needs a value", opt);
		if (!strcmp(opt, "--mem"))
			o.mem = parse_uint(argv[++i], "mem (MiB)", 1 << 20);
		else if (!strcmp(opt, "--vcpus"))
			parse_uint(argv[++i], "vcpus", 1);
		else if (!strcmp(opt, "--console"))
			o.console = argv[++i];
		else if (!strcmp(opt, "--linux"))
			o.linux_bin = argv[++i];
		else if (!strcmp(opt, "--initramfs"))
			o.initramfs = argv[++i];
		else if (!strcmp(opt, "--run"))
			o.run = argv[++i];
		else
			usage_die("unknown option '%s'", opt);
	}
	if (!o.name)
		usage_die("missing NAME");
	if (!valid_name(o.name))
		usage_die("bad domain name '%s'", o.name);
	if (o.mem < 32)
		usage_die("mem %u MiB: 32 at least", o.mem);
	if (o.run && strchr(o.run, '"'))
		usage_die("--run: no double quotes (UML's command line)");
	if (!o.linux_bin)
		o.linux_bin = "/pvio/uml/linux";
	if (!o.initramfs)
		o.initramfs = "/pvio/uml/initramfs.cpio.gz";
	if (access(o.linux_bin, X_OK))
		die(EX_ENV, "UML kernel %s: %s (--linux or PVIO_UML_KERNEL)",
		    o.linux_bin, strerror(errno));
	if (access(o.initramfs, R_OK))
		die(EX_ENV, "UML initramfs %s: %s (--initramfs or PVIO_UML_INITRAMFS)",
		    o.initramfs, strerror(errno));
	if (uml_find(o.name, &d))
		die(EX_FAIL, "domain '%s' already exists (domid %u)", o.name,
		    d.domid);
	mkdir(UML_RUN_DIR, 0755);
	mkdir(UML_RUN_DIR "/uml", 0755);
	if (!o.console) {
		snprintf(console, sizeof(console), UML_RUN_DIR "/%s.console",
			 o.name);
		o.console = console;
	}
	if (!uml_read_pids(o.name, &uml, &mon) && !kill(mon, 0))
		die(EX_FAIL, "a UML process for '%s' runs already (pid %d)",
		    o.name, (int)uml);
	uml_pidfile(path, sizeof(path), o.name);
	unlink(path);
	if (pipe(p))
		die(EX_FAIL, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die(EX_FAIL, "fork: %s", strerror(errno));
	if (!pid) {
		close(p[0]);
		/* The monitor: not our child, it outlives us. */
		pid = fork();
		if (pid)
			_exit(pid < 0);
		uml_monitor(&o, p[1]);
	}
	close(p[1]);
	waitpid(pid, NULL, 0);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (waited < UML_WAIT_S * 1000U) {
		if (poll(&pfd, 1, 1000) > 0)
			break;
		waited += 1000;
	}
	n = waited < UML_WAIT_S * 1000U ? read(p[0], line, sizeof(line) - 1) : -1;
	if (n <= 0) {
		uml_stop(o.name);
		die(EX_FAIL, "no domain '%s' after %u s: UML stopped (console: %s)",
		    o.name, waited / 1000, o.console);
	}
	line[n] = 0;
	domid = strtoul(line, &end, 10);
	if (end == line || *end != '\n')
		die(EX_FAIL, "UML ended before its domain was created (%.*s; console: %s)",
		    (int)strcspn(line, "\n"), line, o.console);
	printf("%u\n", domid);
	return EX_OK;
}

/* The domain as /dev/pvio reports it now; dies if it is gone. */
static struct pvio_ctl_domain dom_now(unsigned int domid)
{
	char id[16];

	snprintf(id, sizeof(id), "%u", domid);
	return resolve_dom(id);
}

/*
 * Xen's save, its device half: ask the guest to suspend (control/shutdown
 * = "suspend"), wait for it to shut down with reason suspend, then save
 * and remove each backend directory (no online = 0: the frontends hold
 * their I/O). pvio's hypervisor has no pause: a suspended domain is one
 * shut down with reason suspend whose backends are gone.
 */
static int cmd_suspend(int argc, char **argv)
{
	char **types, **ids, p[192], bp[128], save[160], ctl[64];
	unsigned int nt, ni, i, j, n = 0, waited;
	char sysdir[PATH_MAX];
	struct pvio_ctl_domain d;
	struct be_keys keys;
	int err;

	if (argc != 2)
		usage_die(argc < 2 ? "missing DOM" : "unexpected argument '%s'",
			  argv[argc - 1]);
	d = resolve_dom(argv[1]);
	if (d.flags & PVIO_CTL_DOMF_PRIVILEGED)
		die(EX_USAGE, "dom0 cannot be suspended");
	if (dom_suspended(&d))
		die(EX_FAIL, "domain %u is already suspended", d.domid);
	if (d.state != PVIO_CTL_STATE_RUNNING)
		die(EX_FAIL, "domain %u is not running (%s)", d.domid,
		    state_name(&d));
	xs_open();
	snprintf(save, sizeof(save), "%s/%u", SAVED_DIR, d.domid);
	if (xs_exists(save))
		die(EX_FAIL, "domain %u has saved devices in %s", d.domid, save);
	snprintf(p, sizeof(p), "/local/domain/%u/control/feature-suspend",
		 d.domid);
	if (xs_read_ul(p, 0) != 1)
		die(EX_FAIL, "domain %u has no control/feature-suspend (no suspend handler)",
		    d.domid);
	snprintf(ctl, sizeof(ctl), "/local/domain/%u/control/shutdown",
		 d.domid);
	err = xs_write(0, ctl, "suspend");
	if (err)
		die(EX_FAIL, "writing %s: %s", ctl, xs_strerror(-err));
	for (waited = 0; !dom_suspended(&d); waited += 50) {
		if (waited >= SUSPEND_WAIT_MS || d.state != PVIO_CTL_STATE_RUNNING) {
			xs_write(0, ctl, "");
			die(EX_FAIL, "domain %u did not suspend in %u s (%s; request withdrawn)",
			    d.domid, SUSPEND_WAIT_MS / 1000, state_name(&d));
		}
		msleep(50);
		d = dom_now(d.domid);
	}

	/* Its backends go, their keys saved. */
	if (!xs_dir(0, "/local/domain/0/backend", &types, &nt)) {
		for (i = 0; i < nt; i++) {
			snprintf(p, sizeof(p), "/local/domain/0/backend/%s/%u",
				 types[i], d.domid);
			if (xs_dir(0, p, &ids, &ni))
				continue;
			for (j = 0; j < ni; j++) {
				unsigned int devid = strtoul(ids[j], NULL, 10);
				char sp[192];

				be_path(bp, sizeof(bp), d.domid, types[i], devid);
				snprintf(sp, sizeof(sp), "%s/%s/%u", save,
					 types[i], devid);
				if (be_keys_read(0, bp, &keys))
					continue;
				backend_sysfs_dir(types[i], d.domid, devid,
						  sysdir);
				err = be_remove(bp, sp, &keys);
				if (err)
					die(EX_FAIL, "saving %s: %s (domain %u stays suspended)",
					    bp, xs_strerror(-err), d.domid);
				wait_backend_gone(sysdir, RESTART_WAIT_MS);
				n++;
			}
			xs_dir_free(ids, ni);
		}
		xs_dir_free(types, nt);
	}
	printf("domain %u suspended, %u backend(s) saved in %s\n", d.domid, n,
	       save);
	return EX_OK;
}

/*
 * Xen's restore, its device half: re-create the saved backend directories
 * (state Initialising), XEN_DOMCTL_resumedomain (PVIO_IOC_RESUME), drop
 * the saved copy and wait for every backend to be Connected.
 */
static int cmd_resume(int argc, char **argv)
{
	char **types, **ids, p[192], bp[128], sp[256], save[160];
	char (*made)[128] = NULL;
	unsigned int nt, ni, i, j, n = 0, left, waited;
	struct pvio_ctl_resume r = { 0 };
	struct pvio_ctl_domain d;
	struct be_keys keys;
	int err;

	if (argc != 2)
		usage_die(argc < 2 ? "missing DOM" : "unexpected argument '%s'",
			  argv[argc - 1]);
	d = resolve_dom(argv[1]);
	if (!dom_suspended(&d))
		die(EX_FAIL, "domain %u is not suspended (%s)", d.domid,
		    state_name(&d));
	xs_open();
	snprintf(save, sizeof(save), "%s/%u", SAVED_DIR, d.domid);
	if (!xs_dir(0, save, &types, &nt)) {
		for (i = 0; i < nt; i++) {
			snprintf(p, sizeof(p), "%s/%s", save, types[i]);
			if (xs_dir(0, p, &ids, &ni))
				continue;
			made = realloc(made, (n + ni) * sizeof(*made));
			if (!made)
				die(EX_FAIL, "out of memory");
			for (j = 0; j < ni; j++) {
				snprintf(sp, sizeof(sp), "%s/%s", p, ids[j]);
				be_path(bp, sizeof(bp), d.domid, types[i],
					strtoul(ids[j], NULL, 10));
				/* Detached meanwhile: its frontend is gone. */
				if (be_keys_read(0, sp, &keys) ||
				    !be_keys_get(&keys, "frontend") ||
				    !xs_exists(be_keys_get(&keys, "frontend")))
					continue;
				err = be_create(d.domid, bp, &keys);
				if (err && err != -EEXIST)
					die(EX_FAIL, "re-creating %s: %s (domain %u suspended)",
					    bp, xs_strerror(-err), d.domid);
				snprintf(made[n++], sizeof(*made), "%s", bp);
			}
			xs_dir_free(ids, ni);
		}
		xs_dir_free(types, nt);
	}
	r.domid = d.domid;
	if (ioctl(ctl_fd, PVIO_IOC_RESUME, &r))
		die(EX_FAIL, "resuming domain %u: %s", d.domid,
		    errno == EINVAL ? "not suspended" : strerror(errno));
	xs_rm(0, save);
	rm_if_empty(0, SAVED_DIR);
	/* Every backend Connected within RESTART_WAIT_MS, all together. */
	for (waited = 0, left = n; left && waited < RESTART_WAIT_MS;
	     waited += 50) {
		msleep(50);
		for (i = 0, left = 0; i < n; i++)
			left += state_of(made[i]) != XenbusStateConnected;
	}
	for (i = 0; left && i < n; i++)
		if (state_of(made[i]) != XenbusStateConnected)
			die(EX_FAIL, "domain %u resumed, %u/%u backends not Connected in %us (%s)",
			    d.domid, left, n, RESTART_WAIT_MS / 1000, made[i]);
	free(made);
	printf("domain %u resumed, %u backend(s) Connected\n", d.domid, n);
	return EX_OK;
}

/* ---- store ------------------------------------------------------------ */

static void store_die(const char *op, const char *path, int err)
{
	die(err == ENOENT ? EX_NOTFOUND : EX_FAIL, "%s %s: %s (%s)", op, path,
	    xs_errname(err), xs_strerror(err));
}

static int valid_path(const char *p)
{
	return *p == '/' || *p == '@';
}

static void print_value(const char *v)
{
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			printf("\\%c", *v);
		else if (isprint((unsigned char)*v))
			putchar(*v);
		else
			printf("\\x%02x", (unsigned char)*v);
	}
}

static void store_ls(const char *path, unsigned int depth)
{
	char **names, *child, *v;
	unsigned int n, i;
	size_t len;

	if (xs_dir(0, path, &names, &n))
		return;
	for (i = 0; i < n; i++) {
		len = strlen(path) + strlen(names[i]) + 2;
		child = malloc(len);
		if (!child)
			die(EX_FAIL, "out of memory");
		snprintf(child, len, "%s%s%s", path,
			 strcmp(path, "/") ? "/" : "", names[i]);
		printf("%*s%s = \"", depth, "", names[i]);
		if (!xs_read(0, child, &v)) {
			print_value(v);
			free(v);
		}
		printf("\"\n");
		store_ls(child, depth + 1);
		free(child);
	}
	xs_dir_free(names, n);
}

static sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/*
 * The store subcommands: argv[0] is the subcommand, argv[1] the PATH.
 * The argument count was checked against the table (store_cmds[]).
 */
static int store_cmd_ls(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/";
	char *v;
	int err;

	if (!valid_path(path))
		usage_die("bad path '%s' (absolute)", path);
	err = xs_read(0, path, &v);
	if (err)
		store_die("ls", path, -err);
	free(v);
	store_ls(path, 0);
	return EX_OK;
}

static int store_cmd_read(int argc, char **argv)
{
	const char *path = argv[1];
	char *v;
	int err;

	if (!valid_path(path))
		usage_die("bad path '%s' (absolute)", path);
	err = xs_read(0, path, &v);
	if (err)
		store_die("read", path, -err);
	printf("%s\n", v);
	free(v);
	return EX_OK;
}

static int store_cmd_write(int argc, char **argv)
{
	const char *path = argv[1];
	int err;

	if (!valid_path(path) || *path == '@')
		usage_die("bad path '%s' (absolute)", path);
	err = xs_write(0, path, argv[2]);
	if (err)
		store_die("write", path, -err);
	return EX_OK;
}

static int store_cmd_rm(int argc, char **argv)
{
	const char *path = argv[1];
	int err;

	if (!valid_path(path))
		usage_die("bad path '%s' (absolute)", path);
	if (!xs_exists(path))
		store_die("rm", path, ENOENT);
	err = xs_rm(0, path);
	if (err)
		store_die("rm", path, -err);
	return EX_OK;
}

/* watch PATH [-n COUNT]: print each changed path until COUNT or a signal. */
static int store_cmd_watch(int argc, char **argv)
{
	static char buf[MSG_MAX];
	struct xsd_sockmsg *h = (struct xsd_sockmsg *)buf;
	const char *path = argv[1];
	const char *parts[2];
	unsigned int lens[2];
	long count = -1;
	int err;

	if (argc > 2 && strcmp(argv[2], "-n"))
		usage_die("usage: store watch PATH [-n COUNT]");
	if (argc == 3)
		usage_die("missing COUNT");
	if (argc == 4)
		count = parse_uint(argv[3], "COUNT", 1000000);
	if (!valid_path(path))
		usage_die("bad path '%s' (absolute)", path);
	parts[0] = path;
	parts[1] = "pvctl";
	lens[0] = strlen(path) + 1;
	lens[1] = 6;
	err = xs_talk(XS_WATCH, 0, parts, lens, 2, NULL, NULL);
	if (err)
		store_die("watch", path, -err);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!stop && count != 0) {
		if (xs_read_msg(buf))
			break;
		if (h->type != XS_WATCH_EVENT)
			continue;
		buf[sizeof(*h) + h->len] = 0;
		printf("%s\n", buf + sizeof(*h));
		if (count > 0)
			count--;
	}
	return EX_OK;
}

/* What a store subcommand given too many arguments names. */
enum store_excess {
	STORE_EXCESS_LAST,	/* "unexpected argument 'LAST'" */
	STORE_EXCESS_FIRST,	/* "unexpected argument 'FIRST'" */
	STORE_EXCESS_USAGE,	/* "usage: store NAME USAGE" */
};

/**
 * struct store_cmd - a subcommand of "pvctl store"
 * @name: the subcommand
 * @min_args: fewest arguments after @name
 * @max_args: most arguments after @name
 * @fn: runs it; argv[0] is @name (argc - 1 arguments, within the bounds)
 * @usage: its arguments, for its usage line
 * @missing: the message for too few arguments (NULL: the usage line)
 * @excess: the message for too many
 */
struct store_cmd {
	const char *name;
	int min_args, max_args;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *missing;
	enum store_excess excess;
};

static const struct store_cmd store_cmds[] = {
	{ "ls", 0, 1, store_cmd_ls, "[PATH]", NULL, STORE_EXCESS_FIRST },
	{ "read", 1, 1, store_cmd_read, "PATH", "missing PATH",
	  STORE_EXCESS_LAST },
	{ "rm", 1, 1, store_cmd_rm, "PATH", "missing PATH",
	  STORE_EXCESS_LAST },
	{ "write", 2, 2, store_cmd_write, "PATH VALUE",
	  "missing PATH or VALUE", STORE_EXCESS_LAST },
	{ "watch", 1, 3, store_cmd_watch, "PATH [-n COUNT]", NULL,
	  STORE_EXCESS_USAGE },
};

/* @c was given @argc - 1 arguments, out of its bounds: exit 2. */
static void __noreturn store_args_die(const struct store_cmd *c, int argc,
				      char **argv)
{
	if (argc - 1 < c->min_args && c->missing)
		usage_die("%s", c->missing);
	if (argc - 1 < c->min_args || c->excess == STORE_EXCESS_USAGE)
		usage_die("usage: store %s %s", c->name, c->usage);
	usage_die("unexpected argument '%s'",
		  argv[c->excess == STORE_EXCESS_FIRST ? c->max_args + 1 :
			argc - 1]);
}

static int cmd_store(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	const struct store_cmd *c;

	for (c = store_cmds; c < store_cmds + ARRAY_SIZE(store_cmds); c++) {
		if (strcmp(c->name, op))
			continue;
		if (argc - 2 < c->min_args || argc - 2 > c->max_args)
			store_args_die(c, argc - 1, argv + 1);
		return c->fn(argc - 1, argv + 1);
	}
	usage_die(*op ? "unknown store command '%s'" : "missing store command%s",
		  op);
}

/* ---- top -------------------------------------------------------------- */

/* A vif's byte counters at the last sample (dom0's view: rx = guest TX). */
struct top_vif {
	char name[32];
	unsigned long long rx, tx;
	double t;
};

#define TOP_MAX_VIFS	256
static struct top_vif top_vifs[TOP_MAX_VIFS];
static unsigned int top_nr_vifs;

static double top_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* /sys/class/net/@ifname/statistics/@what, 0 if unreadable. */
static unsigned long long netdev_stat(const char *ifname, const char *what)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname,
		 what);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/*
 * One line per vif<domid>.<handle> in dom0's namespace: the guest's TX and
 * RX rates in Mbit/s since the last sample (the first sample of a vif
 * measures over @first_wait seconds) and the totals, from its netdev
 * statistics.
 */
static void top_vifs_once(double first_wait)
{
	struct top_vif cur[TOP_MAX_VIFS];
	unsigned int n = 0, i, j;
	struct dirent *de;
	int waited = 0;
	DIR *dir;

	dir = opendir("/sys/class/net");
	if (!dir)
		return;
	while ((de = readdir(dir)) && n < TOP_MAX_VIFS) {
		unsigned int domid, handle;
		char c;

		if (sscanf(de->d_name, "vif%u.%u%c", &domid, &handle, &c) != 2)
			continue;
		snprintf(cur[n].name, sizeof(cur[n].name), "%.31s", de->d_name);
		n++;
	}
	closedir(dir);
	if (!n)
		return;
	/* a vif never sampled: take a first sample now */
	for (i = 0; i < n; i++) {
		for (j = 0; j < top_nr_vifs; j++)
			if (!strcmp(top_vifs[j].name, cur[i].name))
				break;
		if (j < top_nr_vifs || waited)
			continue;
		for (j = 0; j < n; j++) {
			cur[j].rx = netdev_stat(cur[j].name, "rx_bytes");
			cur[j].tx = netdev_stat(cur[j].name, "tx_bytes");
			cur[j].t = top_now();
		}
		usleep((useconds_t)(first_wait * 1e6));
		waited = 1;
	}
	printf("\n%-12s %5s %14s %14s %12s %12s\n", "vif", "domid",
	       "guest-tx-Mb/s", "guest-rx-Mb/s", "guest-tx-MB", "guest-rx-MB");
	for (i = 0; i < n; i++) {
		unsigned long long rx = netdev_stat(cur[i].name, "rx_bytes");
		unsigned long long tx = netdev_stat(cur[i].name, "tx_bytes");
		double now = top_now(), t0 = now, rx0 = rx, tx0 = tx, dt;
		unsigned int domid = 0, handle;

		if (sscanf(cur[i].name, "vif%u.%u", &domid, &handle) != 2)
			continue;
		for (j = 0; j < top_nr_vifs; j++)
			if (!strcmp(top_vifs[j].name, cur[i].name))
				break;
		if (waited) {
			t0 = cur[i].t;
			rx0 = cur[i].rx;
			tx0 = cur[i].tx;
		}
		if (j < top_nr_vifs) {
			t0 = top_vifs[j].t;
			rx0 = top_vifs[j].rx;
			tx0 = top_vifs[j].tx;
		}
		dt = now - t0;
		/* a counter that went back (a new vif of the same name) */
		if (rx < rx0 || tx < tx0 || dt <= 0)
			printf("%-12s %5u %14s %14s %12.1f %12.1f\n", cur[i].name,
			       domid, "-", "-", rx / 1e6, tx / 1e6);
		else
			printf("%-12s %5u %14.1f %14.1f %12.1f %12.1f\n",
			       cur[i].name, domid, (rx - rx0) * 8 / dt / 1e6,
			       (tx - tx0) * 8 / dt / 1e6, rx / 1e6, tx / 1e6);
		cur[i].rx = rx;
		cur[i].tx = tx;
		cur[i].t = now;
	}
	memcpy(top_vifs, cur, n * sizeof(cur[0]));
	top_nr_vifs = n;
}

static void top_once(int batch)
{
	struct pvio_ctl_domain *d;
	struct pvio_ctl_stats st;
	unsigned int nr, i, k;
	unsigned long long hc;

	d = ctl_list(&nr);
	if (!batch)
		printf("\033[H\033[2J");
	printf("%-5s %-16s %-8s %5s %12s %10s %10s %10s %12s %12s %s\n",
	       "domid", "name", "state", "vcpus", "hypercalls", "mc-entries",
	       "gnt-maps", "gnt-copies", "events-sent", "events-dlvd", "kind");
	for (i = 0; i < nr; i++) {
		memset(&st, 0, sizeof(st));
		st.domid = d[i].domid;
		if (ioctl(ctl_fd, PVIO_IOC_STATS, &st))
			continue;
		for (hc = 0, k = 0; k < 64; k++)
			hc += st.hypercalls[k];
		printf("%-5u %-16.16s %-8s %5u %12llu %10llu %10llu %10llu %12llu %12llu %s\n",
		       d[i].domid, d[i].name[0] ? d[i].name : "-",
		       state_name(&d[i]), d[i].nr_vcpus, hc,
		       (unsigned long long)st.multicall_entries,
		       (unsigned long long)st.grant_maps,
		       (unsigned long long)st.grant_copies,
		       (unsigned long long)st.events_sent,
		       (unsigned long long)st.events_delivered,
		       dom_kind(&d[i]));
	}
	free(d);
	top_vifs_once(0.5);
	fflush(stdout);
}

static int cmd_top(int argc, char **argv)
{
	unsigned int delay = 1, iter = 0, n = 0;
	int batch = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-b"))
			batch = 1;
		else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			delay = parse_uint(argv[++i], "delay", 3600);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			iter = parse_uint(argv[++i], "iterations", 1000000);
		else
			usage_die("unknown option '%s'", argv[i]);
	}
	if (batch && !iter)
		iter = 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		top_once(batch);
		if (iter && ++n >= iter)
			break;
		sleep(delay ? delay : 1);
	}
	return EX_OK;
}

/* ---- main ------------------------------------------------------------- */

static int cmd_help(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "create", cmd_create,
	  "NAME [vcpus=N] | --kernel uml NAME [--mem MiB] [--console FILE] [--linux PATH] [--initramfs PATH] [--run CMD]",
	  "Create a domU named NAME with N vCPUs (1..32, default 1), write its\n"
	  "/local/domain/<domid>/{name,domid} and print its domid.\n"
	  "With --kernel uml: start a User-Mode Linux domU (one vCPU, MiB of\n"
	  "memory, default 256) as a process of dom0: the kernel and initramfs\n"
	  "from --linux/--initramfs, $PVIO_UML_KERNEL/$PVIO_UML_INITRAMFS or\n"
	  "/pvio/uml/; its console to FILE (default /run/pvio/NAME.console);\n"
	  "CMD is run by its /init. Waits (600 s at most) for the domain its\n"
	  "pvio-uml creates and prints its domid; a monitor process introduces\n"
	  "it to the store and, when the UML process ends however it ends,\n"
	  "cleans up (backends closed, store released, domain destroyed).\n" },
	{ "destroy", cmd_destroy, "DOM",
	  "Close and remove every device of DOM (domid or name), remove\n"
	  "/local/domain/<domid> and destroy the domain; a UML domain's\n"
	  "processes are killed (and its monitor waited for).\n" },
	{ "introduce", cmd_introduce, "DOM",
	  "Introduce DOM, a domain whose kernel is not dom0's (UML), to the\n"
	  "store: /local/domain/<domid> owned by it, then XS_INTRODUCE with\n"
	  "its start_info's store frame and port. Prints domid, frame, port.\n" },
	{ "release", cmd_release, "DOMID",
	  "Have the store stop serving DOMID (XS_RELEASE) and remove\n"
	  "/local/domain/<domid>: the step after a UML domain's process exited.\n" },
	{ "list", cmd_list, "",
	  "List domains: domid, name, state (running, suspended,\n"
	  "shutdown(REASON), dying), vCPUs, devices (backend nodes), kind\n"
	  "(dom0, kernel: a domU of dom0's kernel, uml: a process domain).\n" },
	{ "block-attach", cmd_block_attach, "DOM BACKING VDEV [ro]",
	  "Attach BACKING (a block device or a regular file) to DOM as VDEV\n"
	  "(xvda, xvdb1, hda, sda, or a virtual-device number), read-write\n"
	  "unless ro. Writes backend/vbd/<domid>/<devid> in dom0 and\n"
	  "device/vbd/<devid> in DOM.\n" },
	{ "block-detach", cmd_block_detach, "DOM VDEV",
	  "Close the backend of VDEV (state Closing, online 0), wait for it\n"
	  "to reach Closed (10 s at most), remove both directories.\n" },
	{ "block-migrate", cmd_block_migrate, "DOM VDEV NEW-BACKING",
	  "Move a live vbd to NEW-BACKING (a block device or a regular file at\n"
	  "least as large as the current backing, not in use): remove the\n"
	  "backend directory without online 0 (the frontend holds its I/O),\n"
	  "wait (30 s at most) for the backend to release the old backing,\n"
	  "copy it (its whole size, fsync), re-create the backend directory on\n"
	  "NEW-BACKING (state Initialising) and wait (30 s) for Connected. The\n"
	  "frontend replays what it held. A failure before the re-creation\n"
	  "puts the vbd back on its old backing.\n" },
	{ "block-list", cmd_block_list, "DOM",
	  "List DOM's virtual block devices and their states.\n" },
	{ "network-attach", cmd_network_attach,
	  "DOM [mac=XX:XX:XX:XX:XX:XX] [bridge=NAME] [rate=RATE/s[@INTERVAL]]",
	  "Attach a virtual NIC (vif) to DOM; prints its DEVID. The MAC\n"
	  "defaults to a random 00:16:3e:xx:xx:xx. rate= limits what DOM\n"
	  "sends, in xl's syntax (100Mb/s, 10MB/s@20ms; K/M/G are powers of\n"
	  "1000, B bytes, b bits; the interval defaults to 50ms): the backend's\n"
	  "\"rate\" node gets bytes per interval and the interval in us.\n" },
	{ "network-detach", cmd_network_detach, "DOM DEVID",
	  "Close and remove DOM's vif DEVID (as block-detach).\n" },
	{ "network-list", cmd_network_list, "DOM",
	  "List DOM's vifs, their states and MACs.\n" },
	{ "device-attach", cmd_device_attach, "DOM TYPE DEVID",
	  "Attach a device of any TYPE with only the standard nodes (for test\n"
	  "and new device types, e.g. pviotest).\n" },
	{ "device-detach", cmd_device_detach, "DOM TYPE DEVID",
	  "Close and remove a device of any TYPE.\n" },
	{ "device-list", cmd_device_list, "DOM",
	  "List every device of DOM, by type.\n" },
	{ "suspend", cmd_suspend, "DOM",
	  "The device half of Xen's save: write control/shutdown = suspend,\n"
	  "wait (10 s at most) for DOM to shut down with reason suspend, then\n"
	  "save each backend directory's toolstack keys under\n"
	  SAVED_DIR "/<domid>/<type>/<devid> and remove it\n"
	  "(no online 0: the frontends hold their I/O). pvio has no pause:\n"
	  "suspended = shut down with reason suspend, backends gone.\n" },
	{ "resume", cmd_resume, "DOM",
	  "Undo suspend: re-create the saved backend directories (state\n"
	  "Initialising), resume DOM (Xen's XEN_DOMCTL_resumedomain), drop the\n"
	  "saved copy and wait (30 s at most) for every backend to be\n"
	  "Connected.\n" },
	{ "store", cmd_store, "ls|read|write|rm|watch PATH [VALUE] [-n COUNT]",
	  "Talk to the store as dom0. store ls [PATH] | read PATH |\n"
	  "write PATH VALUE | rm PATH | watch PATH [-n COUNT].\n"
	  "ls prints the tree below PATH (default\n"
	  "/) as name = \"value\", indented; read prints a value; write sets\n"
	  "one (creating parents); rm removes a node and its children; watch\n"
	  "prints each changed path (the first at once) until COUNT events or\n"
	  "a signal.\n" },
	{ "top", cmd_top, "[-b] [-d SECONDS] [-n ITERATIONS]",
	  "Per-domain counters since creation: hypercalls, multicall entries,\n"
	  "grant maps and copies, events sent and delivered, and the kind (dom0,\n"
	  "kernel or uml); then per vif (dom0's vifD.N) the guest's TX and RX\n"
	  "in Mbit/s since the last refresh (a new vif: over 0.5 s) and in MB\n"
	  "in all; refreshed every\n"
	  "SECONDS (default 1) like xentop. -b: batch mode, no screen control,\n"
	  "one iteration unless -n.\n" },
	{ "help", cmd_help, "[COMMAND]", "Show help.\n" },
};

#define NCMDS	ARRAY_SIZE(cmds)

static const char exit_codes[] =
	"Exit codes: 0 success; 1 the operation failed; 2 usage error (unknown\n"
	"command, option or malformed argument); 3 not found (domain, device,\n"
	"store path); 4 pvio not available (/dev/pvio or /dev/pvio-store).\n";

static void cmd_usage(const struct cmd *c, FILE *f)
{
	fprintf(f, "usage: pvctl %s %s\n\n%s\n%s", c->name, c->usage, c->help,
		exit_codes);
}

static void print_usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "usage: pvctl COMMAND [ARGS...]   (pvctl COMMAND --help)\n\n"
		"pvio toolstack: domains over /dev/pvio, the store over %s.\n"
		"DOM is a domid or a domain name.\n\n", STORE_DEV);
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-15s %s\n", cmds[i].name, cmds[i].usage);
	fprintf(f, "\n%s", exit_codes);
}

static int cmd_help(int argc, char **argv)
{
	unsigned int i;

	if (argc < 2) {
		print_usage(stdout);
		return EX_OK;
	}
	for (i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, argv[1])) {
			cmd_usage(&cmds[i], stdout);
			return EX_OK;
		}
	die(EX_USAGE, "unknown command '%s' (see pvctl --help)", argv[1]);
}

int main(int argc, char **argv)
{
	unsigned int i;
	int j;

	if (argc < 2) {
		print_usage(stderr);
		return EX_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_usage(stdout);
		return EX_OK;
	}
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].name, argv[1]))
			continue;
		cur_cmd = &cmds[i];
		cmd_name = cmds[i].name;
		for (j = 2; j < argc; j++)
			if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h")) {
				cmd_usage(&cmds[i], stdout);
				return EX_OK;
			}
		for (j = 2; j < argc && cmds[i].fn != cmd_create; j++)
			if (argv[j][0] == '-' && argv[j][1] == '-')
				usage_die("unknown option '%s'", argv[j]);
		return cmds[i].fn(argc - 1, argv + 1);
	}
	die(EX_USAGE, "unknown command '%s' (see pvctl --help)", argv[1]);
}
