// SPDX-License-Identifier: GPL-2.0
/*
 * pvio-bus: Xen's device state machine as pure functions, so drivers share
 * one reading of it and KUnit can check every pair of states.
 *
 * The reactions are those of Linux's xen-blkfront/netfront (frontends) and
 * xen-blkback/netback (backends): tolerant of skipped states (a watch may
 * fire once for several writes), of a repeated Connected, of Closing and
 * Closed arriving in either order, and of a reconnect from Closed back to
 * Initialising.
 */

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <pvio/xenbus.h>

static const char *const pvio_xb_state_names[] = {
	[XenbusStateUnknown] = "Unknown",
	[XenbusStateInitialising] = "Initialising",
	[XenbusStateInitWait] = "InitWait",
	[XenbusStateInitialised] = "Initialised",
	[XenbusStateConnected] = "Connected",
	[XenbusStateClosing] = "Closing",
	[XenbusStateClosed] = "Closed",
	[XenbusStateReconfiguring] = "Reconfiguring",
	[XenbusStateReconfigured] = "Reconfigured",
};

/**
 * pvio_xenbus_strstate() - a state's name (Linux's xenbus_strstate())
 * @state: the state
 *
 * Context: any.
 * Return: "Initialising", ..., or "INVALID" for an out-of-range value.
 */
const char *pvio_xenbus_strstate(enum xenbus_state state)
{
	if ((unsigned int)state >= ARRAY_SIZE(pvio_xb_state_names))
		return "INVALID";
	return pvio_xb_state_names[state];
}
EXPORT_SYMBOL_GPL(pvio_xenbus_strstate);

/**
 * pvio_xenbus_parse_state() - a "state" node's value as a state
 * @s: the node's value (decimal, as Xen writes it), or NULL if absent
 *
 * The other end's value is hostile: anything that is not a decimal in
 * XenbusStateUnknown..XenbusStateReconfigured reads as XenbusStateUnknown,
 * as does a missing node (Linux's xenbus_read_driver_state()).
 *
 * Context: any.
 * Return: the state.
 */
enum xenbus_state pvio_xenbus_parse_state(const char *s)
{
	unsigned int v;

	if (!s || kstrtouint(s, 10, &v) || v > XenbusStateReconfigured)
		return XenbusStateUnknown;
	return v;
}
EXPORT_SYMBOL_GPL(pvio_xenbus_parse_state);

static struct pvio_xenbus_step step(unsigned int actions,
				    enum xenbus_state next)
{
	return (struct pvio_xenbus_step){ .actions = actions, .next = next };
}

/**
 * pvio_xenbus_frontend_step() - a frontend's reaction to its backend
 * @self: the frontend's current state
 * @backend: the backend's state just read
 *
 * - backend Initialising while we are Closed: reconnect, back to
 *   Initialising;
 * - backend InitWait (or Initialised) while we are Initialising or Closed:
 *   CONNECT (allocate and grant the ring, allocate the port, write them in
 *   one transaction), then Initialised;
 * - backend Connected: from Initialising/Closed (InitWait was skipped)
 *   CONNECT and Connected; from Initialised just Connected; already
 *   Connected: nothing (a repeated Connected);
 * - backend Closing, Closed or gone (Unknown): DISCONNECT and Closed
 *   (xenbus_frontend_closed()), unless already Closed;
 * - backend Reconfiguring while Connected: RECONFIGURE, Reconfigured;
 *   backend Connected again while Reconfigured: Connected.
 *
 * Context: any (pure function).
 * Return: the actions and the next state.
 */
struct pvio_xenbus_step pvio_xenbus_frontend_step(enum xenbus_state self,
						  enum xenbus_state backend)
{
	bool fresh = self == XenbusStateInitialising ||
		     self == XenbusStateClosed;

	switch (backend) {
	case XenbusStateInitialising:
		if (self == XenbusStateClosed)
			return step(0, XenbusStateInitialising);
		break;
	case XenbusStateInitWait:
	case XenbusStateInitialised:
		if (fresh)
			return step(PVIO_XB_ACT_CONNECT,
				    XenbusStateInitialised);
		break;
	case XenbusStateConnected:
		if (fresh)
			return step(PVIO_XB_ACT_CONNECT, XenbusStateConnected);
		if (self == XenbusStateInitialised ||
		    self == XenbusStateReconfigured)
			return step(0, XenbusStateConnected);
		break;
	case XenbusStateReconfiguring:
		if (self == XenbusStateConnected)
			return step(PVIO_XB_ACT_RECONFIGURE,
				    XenbusStateReconfigured);
		break;
	case XenbusStateReconfigured:
		break;
	case XenbusStateClosing:
	case XenbusStateClosed:
	case XenbusStateUnknown:
	default:
		if (self != XenbusStateClosed)
			return step(PVIO_XB_ACT_DISCONNECT, XenbusStateClosed);
		break;
	}
	return step(0, self);
}
EXPORT_SYMBOL_GPL(pvio_xenbus_frontend_step);

/**
 * pvio_xenbus_backend_step() - a backend's reaction to its frontend
 * @self: the backend's current state
 * @frontend: the frontend's state just read
 *
 * - frontend Initialising while we are Closed: prepare for reconnect,
 *   InitWait (xen-blkback);
 * - frontend Initialised or Connected: CONNECT (read the ring references
 *   and port, map, bind) and Connected, unless already Connected (two
 *   watch events may collapse into one) or on the way down (Closing,
 *   Closed: the frontend must go through Initialising first);
 * - frontend Closing: DISCONNECT, Closing;
 * - frontend Closed or gone (Unknown): DISCONNECT, Closed (the toolstack
 *   then removes the nodes, which removes the device);
 * - frontend Reconfigured while we are Reconfiguring: RECONFIGURE,
 *   Connected.
 *
 * Context: any (pure function).
 * Return: the actions and the next state.
 */
struct pvio_xenbus_step pvio_xenbus_backend_step(enum xenbus_state self,
						 enum xenbus_state frontend)
{
	switch (frontend) {
	case XenbusStateInitialising:
		if (self == XenbusStateClosed)
			return step(0, XenbusStateInitWait);
		break;
	case XenbusStateInitWait:
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (self == XenbusStateConnected ||
		    self == XenbusStateClosing || self == XenbusStateClosed ||
		    self == XenbusStateReconfiguring)
			break;
		return step(PVIO_XB_ACT_CONNECT, XenbusStateConnected);
	case XenbusStateClosing:
		if (self != XenbusStateClosing && self != XenbusStateClosed)
			return step(PVIO_XB_ACT_DISCONNECT,
				    XenbusStateClosing);
		break;
	case XenbusStateReconfiguring:
		break;
	case XenbusStateReconfigured:
		if (self == XenbusStateReconfiguring)
			return step(PVIO_XB_ACT_RECONFIGURE,
				    XenbusStateConnected);
		break;
	case XenbusStateClosed:
	case XenbusStateUnknown:
	default:
		if (self != XenbusStateClosed)
			return step(PVIO_XB_ACT_DISCONNECT, XenbusStateClosed);
		break;
	}
	return step(0, self);
}
EXPORT_SYMBOL_GPL(pvio_xenbus_backend_step);
