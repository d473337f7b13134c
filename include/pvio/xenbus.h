/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvio-bus: the xenbus of pvio (after Linux's <xen/xenbus.h>). Two Linux
 * buses: "pvio-frontend" holds the frontend devices of every domU (each in
 * its own domain's context), "pvio-backend" the backend devices of dom0.
 * Devices appear and disappear as the toolstack writes and removes
 * device/<type>/<devid> (in a domU's home) and backend/<type>/<frontid>/
 * <devid> (in dom0's home); drivers register by device type ("vbd", "vif",
 * ...). The state machine is Xen's (enum xenbus_state,
 * <xen/interface/io/xenbus.h>).
 *
 * Everything a driver does goes through its device's domain: dev->domain
 * for grants and event channels, dev->xs for the store.
 */
#ifndef PVIO_XENBUS_H
#define PVIO_XENBUS_H

#include <linux/device.h>
#include <linux/completion.h>
#include <xen/interface/io/xenbus.h>
#include <pvio/hypervisor.h>
#include <pvio/store.h>

#define PVIO_XENBUS_TYPE_LEN	32

/**
 * struct pvio_xenbus_device - a frontend or backend device
 * @devicetype: "vbd", "vif", ...
 * @nodename: the device's own directory, an absolute store path
 * @otherend: the other end's directory (absolute), read from the device's
 *	"backend" or "frontend" node
 * @otherend_id: the other end's domain
 * @devid: the device id (frontend: device/<type>/<devid>)
 * @frontend: true on the frontend bus
 * @domain: the domain the device lives in (the caller of its hypercalls)
 * @xs: that domain's store client
 * @state: the state this end last switched to
 * @dev: the Linux device
 * @otherend_watch: private
 * @down: private (completed when a frontend reaches Closed)
 * @list: private (the domain's devices)
 */
struct pvio_xenbus_device {
	char devicetype[PVIO_XENBUS_TYPE_LEN];
	char *nodename;
	char *otherend;
	domid_t otherend_id;
	unsigned int devid;
	bool frontend;
	struct pvio_domain *domain;
	struct pvio_xs *xs;
	enum xenbus_state state;
	struct device dev;
	struct pvio_xs_watch otherend_watch;
	struct completion down;
	struct list_head list;
};

static inline struct pvio_xenbus_device *to_pvio_xenbus_device(struct device *dev)
{
	return container_of(dev, struct pvio_xenbus_device, dev);
}

struct pvio_xenbus_device_id {
	char devicetype[PVIO_XENBUS_TYPE_LEN];
};

/**
 * struct pvio_xenbus_driver - a frontend or backend driver
 * @name: driver name (defaults to @driver.name)
 * @ids: device types handled, ended by an entry with an empty devicetype
 * @probe: a device of one of @ids appeared; process context
 * @otherend_changed: the other end's "state" node changed (also called
 *	once after probe with its current value); called from the domain's
 *	store watch thread, one at a time per domain, may issue store requests
 * @remove: the device is going away (nodes removed, driver unregistered
 *	or domain destroyed); release everything
 * @driver: private
 */
struct pvio_xenbus_driver {
	const char *name;
	const struct pvio_xenbus_device_id *ids;
	int (*probe)(struct pvio_xenbus_device *dev,
		     const struct pvio_xenbus_device_id *id);
	void (*otherend_changed)(struct pvio_xenbus_device *dev,
				 enum xenbus_state other_state);
	void (*remove)(struct pvio_xenbus_device *dev);
	struct device_driver driver;
};

static inline struct pvio_xenbus_driver *to_pvio_xenbus_driver(struct device_driver *drv)
{
	return container_of(drv, struct pvio_xenbus_driver, driver);
}

int pvio_xenbus_register_frontend(struct pvio_xenbus_driver *drv,
				  struct module *owner, const char *mod_name);
int pvio_xenbus_register_backend(struct pvio_xenbus_driver *drv,
				 struct module *owner, const char *mod_name);
void pvio_xenbus_unregister_driver(struct pvio_xenbus_driver *drv);

/* ---- the state machine (bus/state.c) ----------------------------------- */

/* What a device must do in reaction to the other end's state. */
#define PVIO_XB_ACT_CONNECT	BIT(0)	/* set up / map the ring, bind port */
#define PVIO_XB_ACT_DISCONNECT	BIT(1)	/* tear it down (idempotent) */
#define PVIO_XB_ACT_RECONFIGURE	BIT(2)	/* re-read configuration */

/**
 * struct pvio_xenbus_step - a reaction to the other end's state
 * @actions: PVIO_XB_ACT_* to perform, in bit order, before switching
 * @next: the state to switch to afterwards (equal to the current state:
 *	stay)
 */
struct pvio_xenbus_step {
	unsigned int actions;
	enum xenbus_state next;
};

struct pvio_xenbus_step pvio_xenbus_frontend_step(enum xenbus_state self,
						  enum xenbus_state backend);
struct pvio_xenbus_step pvio_xenbus_backend_step(enum xenbus_state self,
						 enum xenbus_state frontend);
const char *pvio_xenbus_strstate(enum xenbus_state state);
enum xenbus_state pvio_xenbus_parse_state(const char *s);

/* ---- client helpers (bus/client.c) ------------------------------------- */

int pvio_xenbus_switch_state(struct pvio_xenbus_device *dev,
			     enum xenbus_state state);
enum xenbus_state pvio_xenbus_read_driver_state(struct pvio_xenbus_device *dev,
						const char *path);
void pvio_xenbus_frontend_closed(struct pvio_xenbus_device *dev);
__printf(3, 4)
void pvio_xenbus_dev_fatal(struct pvio_xenbus_device *dev, int err,
			   const char *fmt, ...);
bool pvio_xenbus_backend_restarting(struct pvio_xenbus_device *dev);
unsigned int pvio_xenbus_read_otherend_feature(struct pvio_xenbus_device *dev,
					       const char *node,
					       unsigned int default_val);

/**
 * struct pvio_xenbus_kv - one key of a pvio_xenbus_write_keys() batch
 * @key: node name below the device's directory
 * @fmt: printf format
 * @val: one unsigned value for @fmt, or...
 * @str: ...a string for @fmt, if non-NULL
 */
struct pvio_xenbus_kv {
	const char *key;
	const char *fmt;
	unsigned long val;
	const char *str;
};

int pvio_xenbus_write_keys(struct pvio_xenbus_device *dev,
			   const struct pvio_xenbus_kv *kv, unsigned int nr,
			   enum xenbus_state state);

int pvio_xenbus_grant_ring(struct pvio_xenbus_device *dev, struct page *page,
			   grant_ref_t *ref);
void pvio_xenbus_end_ring(struct pvio_xenbus_device *dev, grant_ref_t ref,
			  struct page *page);
struct page *pvio_xenbus_map_ring(struct pvio_xenbus_device *dev,
				  grant_ref_t ref, grant_handle_t *handle);
int pvio_xenbus_unmap_ring(struct pvio_xenbus_device *dev,
			   grant_handle_t handle, struct page *page);
int pvio_xenbus_map_ring_refs(struct pvio_xenbus_device *dev,
			      const grant_ref_t *refs, unsigned int nr_refs,
			      struct page **pages, grant_handle_t *handles);
int pvio_xenbus_unmap_ring_refs(struct pvio_xenbus_device *dev,
				const grant_handle_t *handles,
				struct page **pages, unsigned int nr_refs);
int pvio_xenbus_alloc_evtchn(struct pvio_xenbus_device *dev,
			     evtchn_port_t *port);
int pvio_xenbus_free_evtchn(struct pvio_xenbus_device *dev,
			    evtchn_port_t port);

/* ---- the domain's store client (bus/xs_binding.c) ---------------------- */

struct pvio_xs *pvio_xs_of(struct pvio_domain *d);

#endif /* PVIO_XENBUS_H */
