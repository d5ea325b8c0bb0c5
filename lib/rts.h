/* rts.h — X.410-1984 RTS PConnect/PAccept and X.228 RTSE RTORQ/RTOAC/RTAB values (pure) */
#ifndef MTA_RTS_H
#define MTA_RTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTS_DEFAULT_CHECKPOINT 0 /* units of 1024 octets; 0 = no checkpointing */
#define RTS_DEFAULT_WINDOW     3

enum rts_mode { RTS_MODE_NONE = 0, RTS_MODE_X410, RTS_MODE_NORMAL };

struct rts_params {
	enum rts_mode mode; /* NONE: no RTS connection PDU found */
	bool is_accept;     /* PAccept / RTOACapdu */
	bool has_checkpoint;
	int64_t checkpoint;
	bool has_window;
	int64_t window;
	bool has_dialogue;
	int64_t dialogue; /* 0 monologue, 1 two-way alternate */
	bool recover;     /* connectionData = recover [1] */
};

/* Find the RTS connection parameters in the user data of a CN (is_accept false) or AC. */
bool rts_parse_connect(const uint8_t *ud, size_t n, bool is_accept, struct rts_params *o);

/* Find an abortReason in AB user data (X.410 AbortInformation or X.228 RTABapdu). */
bool rts_parse_abort(const uint8_t *ud, size_t n, int64_t *reason);
const char *rts_abort_reason_str(int64_t r);

#endif
