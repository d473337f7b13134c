// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvio_xenbus_state: the frontend and backend reactions of
 * bus/state.c, driven through whole handshakes and their awkward cases
 * (skipped states, repeated Connected, Closing/Closed races, reconnect).
 */

#include <kunit/test.h>
#include <pvio/xenbus.h>

#define XS(s)	XenbusState##s

typedef struct pvio_xenbus_step (*pvio_xb_step_fn)(enum xenbus_state self,
						   enum xenbus_state other);

/* Apply a reaction to *@self and check it. */
static void pvio_xb_step(struct kunit *test, const char *name,
			 pvio_xb_step_fn fn, enum xenbus_state *self,
			 enum xenbus_state other, unsigned int act,
			 enum xenbus_state nxt)
{
	struct pvio_xenbus_step s = fn(*self, other);

	KUNIT_EXPECT_EQ_MSG(test, s.actions, act, "%s: self %s other %s",
			    name, pvio_xenbus_strstate(*self),
			    pvio_xenbus_strstate(other));
	KUNIT_EXPECT_EQ_MSG(test, s.next, nxt, "%s: self %s other %s",
			    name, pvio_xenbus_strstate(*self),
			    pvio_xenbus_strstate(other));
	*self = s.next;
}

#define STEP(test, fn, self, other, act, nxt) \
	pvio_xb_step(test, #fn, fn, &(self), other, act, nxt)

#define FE pvio_xenbus_frontend_step
#define BE pvio_xenbus_backend_step
#define C PVIO_XB_ACT_CONNECT
#define D PVIO_XB_ACT_DISCONNECT
#define R PVIO_XB_ACT_RECONFIGURE

static void pvio_xb_full_handshake(struct kunit *test)
{
	enum xenbus_state fe = XS(Initialising), be = XS(Initialising);

	/* Backend probe: InitWait (not a reaction). */
	be = XS(InitWait);
	STEP(test, BE, be, fe, 0, XS(InitWait));
	STEP(test, FE, fe, be, C, XS(Initialised));
	STEP(test, BE, be, fe, C, XS(Connected));
	STEP(test, FE, fe, be, 0, XS(Connected));
	STEP(test, BE, be, fe, 0, XS(Connected));	/* repeated */
	STEP(test, FE, fe, be, 0, XS(Connected));	/* repeated */

	/* The toolstack writes the backend's state Closing (*-detach). */
	be = XS(Closing);
	STEP(test, FE, fe, be, D, XS(Closed));
	STEP(test, BE, be, fe, D, XS(Closed));
	STEP(test, FE, fe, be, 0, XS(Closed));
	/* The backend driver's own state is still Connected then. */
	be = XS(Connected);
	STEP(test, BE, be, XS(Closed), D, XS(Closed));
	STEP(test, BE, be, XS(Closed), 0, XS(Closed));
}

static void pvio_xb_skipped_states(struct kunit *test)
{
	enum xenbus_state fe = XS(Initialising), be = XS(Initialising);

	/* The frontend never saw InitWait: backend already Connected. */
	STEP(test, FE, fe, XS(Connected), C, XS(Connected));
	/* Backend saw Initialising skipped: frontend straight Connected. */
	STEP(test, BE, be, XS(Connected), C, XS(Connected));
	/* Backend still Initialising but frontend Initialised. */
	be = XS(Initialising);
	STEP(test, BE, be, XS(Initialised), C, XS(Connected));
	/* Frontend sees Initialised (backend between states): connect. */
	fe = XS(Initialising);
	STEP(test, FE, fe, XS(Initialised), C, XS(Initialised));
	/* Nothing to do on InitWait once Initialised. */
	STEP(test, FE, fe, XS(InitWait), 0, XS(Initialised));
}

static void pvio_xb_close_races(struct kunit *test)
{
	enum xenbus_state fe, be;

	/* Closed arrives before Closing was seen. */
	fe = XS(Connected);
	STEP(test, FE, fe, XS(Closed), D, XS(Closed));
	STEP(test, FE, fe, XS(Closing), 0, XS(Closed));
	be = XS(Connected);
	STEP(test, BE, be, XS(Closed), D, XS(Closed));
	STEP(test, BE, be, XS(Closing), 0, XS(Closed));
	/* Closing then Closed. */
	be = XS(Connected);
	STEP(test, BE, be, XS(Closing), D, XS(Closing));
	STEP(test, BE, be, XS(Closed), D, XS(Closed));
	/* A late Connected after the close does not reconnect. */
	STEP(test, BE, be, XS(Connected), 0, XS(Closed));
	/* The other end vanished (node removed: Unknown). */
	fe = XS(Initialised);
	STEP(test, FE, fe, XS(Unknown), D, XS(Closed));
	be = XS(InitWait);
	STEP(test, BE, be, XS(Unknown), D, XS(Closed));
	STEP(test, BE, be, XS(Unknown), 0, XS(Closed));
}

static void pvio_xb_reconnect(struct kunit *test)
{
	enum xenbus_state fe = XS(Closed), be = XS(Closed);

	/* Frontend restarts: backend prepares for reconnect. */
	fe = XS(Initialising);
	STEP(test, BE, be, fe, 0, XS(InitWait));
	STEP(test, FE, fe, be, C, XS(Initialised));
	STEP(test, BE, be, fe, C, XS(Connected));
	STEP(test, FE, fe, be, 0, XS(Connected));

	/* Backend restarts: frontend goes back to Initialising first. */
	fe = XS(Closed);
	STEP(test, FE, fe, XS(Initialising), 0, XS(Initialising));
	STEP(test, FE, fe, XS(InitWait), C, XS(Initialised));
	/* Or straight from Closed on InitWait. */
	fe = XS(Closed);
	STEP(test, FE, fe, XS(InitWait), C, XS(Initialised));
}

static void pvio_xb_reconfigure(struct kunit *test)
{
	enum xenbus_state fe = XS(Connected), be = XS(Reconfiguring);

	STEP(test, FE, fe, be, R, XS(Reconfigured));
	STEP(test, BE, be, fe, R, XS(Connected));
	STEP(test, FE, fe, be, 0, XS(Connected));
}

/* Every pair: the result is a valid state and stays put when nothing. */
static void pvio_xb_all_pairs(struct kunit *test)
{
	unsigned int a, b;
	struct pvio_xenbus_step s;

	for (a = XS(Unknown); a <= XS(Reconfigured); a++) {
		for (b = XS(Unknown); b <= XS(Reconfigured); b++) {
			s = FE(a, b);
			KUNIT_EXPECT_LE(test, (unsigned int)s.next,
					(unsigned int)XS(Reconfigured));
			if (a != XS(Unknown))
				KUNIT_EXPECT_NE(test, (unsigned int)s.next,
						(unsigned int)XS(Unknown));
			if (a != XS(Unknown) && !s.actions &&
			    s.next != a)
				KUNIT_EXPECT_TRUE(test,
						  s.next == XS(Initialising) ||
						  s.next == XS(Connected));
			/* Idempotent: applying twice does nothing more. */
			s = FE(s.next, b);
			KUNIT_EXPECT_FALSE(test, s.actions & D);
			s = BE(a, b);
			KUNIT_EXPECT_LE(test, (unsigned int)s.next,
					(unsigned int)XS(Reconfigured));
			s = BE(s.next, b);
			KUNIT_EXPECT_FALSE(test, s.actions &
					   (PVIO_XB_ACT_CONNECT | D));
		}
	}
}

static void pvio_xb_strings(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, pvio_xenbus_strstate(XS(Connected)),
			   "Connected");
	KUNIT_EXPECT_STREQ(test, pvio_xenbus_strstate(99), "INVALID");
	KUNIT_EXPECT_EQ(test, pvio_xenbus_parse_state("4"), XS(Connected));
	KUNIT_EXPECT_EQ(test, pvio_xenbus_parse_state("9"), XS(Unknown));
	KUNIT_EXPECT_EQ(test, pvio_xenbus_parse_state("-1"), XS(Unknown));
	KUNIT_EXPECT_EQ(test, pvio_xenbus_parse_state("4x"), XS(Unknown));
	KUNIT_EXPECT_EQ(test, pvio_xenbus_parse_state(""), XS(Unknown));
	KUNIT_EXPECT_EQ(test, pvio_xenbus_parse_state(NULL), XS(Unknown));
	KUNIT_EXPECT_EQ(test, pvio_xenbus_parse_state("8"),
			XS(Reconfigured));
}

static struct kunit_case pvio_xb_cases[] = {
	KUNIT_CASE(pvio_xb_full_handshake),
	KUNIT_CASE(pvio_xb_skipped_states),
	KUNIT_CASE(pvio_xb_close_races),
	KUNIT_CASE(pvio_xb_reconnect),
	KUNIT_CASE(pvio_xb_reconfigure),
	KUNIT_CASE(pvio_xb_all_pairs),
	KUNIT_CASE(pvio_xb_strings),
	{}
};

static struct kunit_suite pvio_xb_suite = {
	.name = "pvio_xenbus_state",
	.test_cases = pvio_xb_cases,
};

kunit_test_suite(pvio_xb_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit: the pvio bus state machine");
