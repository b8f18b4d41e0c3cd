/* What enters the machine from outside -- keys, mouse movement, bytes on a
 * serial port -- logged with the instruction count and guest time at which
 * it arrived, so that a run can be reproduced exactly: --record FILE and
 * --replay FILE, and the re-execution behind reverse debugging
 * (machine/rewind.c).  Everything else a run does follows from its start
 * and these inputs (the interpreter and the virtual clock are
 * deterministic).  docs/debugging.md has the file format.
 *
 * Frontends hand every input to the machine_input_* functions (serial
 * bytes arrive through the serial chardevs, which are tapped).  With no
 * log they go straight to the device.  With one, they are appended and
 * delivered -- unless the log still holds events ahead of the run (a
 * --replay, or history being re-executed), in which case live input is
 * dropped and the logged events are delivered at their recorded times. */
#ifndef POPEK_MACHINE_REPLAY_H
#define POPEK_MACHINE_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/clock.h"

struct machine;

enum replay_kind { REPLAY_KEY, REPLAY_MOUSE, REPLAY_SERIAL };

struct replay_event {
    uint64_t icount, ns; /* when it arrived */
    uint8_t kind;        /* enum replay_kind */
    uint8_t port;        /* serial: the port */
    uint16_t code;       /* key: set-2 code; serial: the byte; mouse: buttons */
    int32_t a, b, c;     /* key: down; mouse: dx, dy, dz */
};

struct replay {
    struct replay_event *ev;
    size_t n, cap;
    size_t next;           /* the first event not delivered yet */
    FILE *record;          /* --record: each live event is written here too */
    struct vtimer timer;   /* armed at the next event's time while next < n */
    uint64_t diverged;     /* events delivered at another instruction count than logged */
    const char *source;    /* --replay's file, for messages */
    /* Input that came while the host waited in the machine's idle hook:
     * delivered (and logged) once the idle guest time has been skipped,
     * a point that re-execution can find again. */
    struct replay_event pend[64];
    unsigned npend;
    bool has_end;          /* the log's end line: where the recorded run ended */
    uint64_t end_icount, end_ns;
};

/* Starts logging input (idempotent).  Returns 0 or -errno. */
int machine_replay_enable(struct machine *m);
/* --record FILE: log, and write each event to FILE.  Returns 0 or -errno
 * with a message on stderr. */
int machine_record_open(struct machine *m, const char *path);
/* --replay FILE: the run's input comes from FILE (live input is dropped
 * until its last event).  Returns 0, or -errno with the reason in err. */
int machine_replay_open(struct machine *m, const char *path, char *err, size_t errlen);
/* Parses a replay log's text (for tests and the fuzzer); the same errors. */
int replay_parse(struct replay *r, const char *text, size_t len, char *err, size_t errlen);
/* At the end of the run: closes --record's file (with an "end" line);
 * says how a --replay went. */
void machine_replay_close(struct machine *m);
/* machine_free's: the log itself (its timer is the clock's until then). */
void machine_replay_free(struct machine *m);

/* Input from the host (or a script): logged when a log is kept. */
void machine_input_key(struct machine *m, uint16_t keycode, bool down);
void machine_input_mouse(struct machine *m, int dx, int dy, int dz, uint8_t buttons);
/* A printable ASCII character as its key presses (with shift); false for
 * one the keyboard has no key for. */
bool machine_input_type_char(struct machine *m, char ch);

/* machine_run, after skipping idle time: delivers what came meanwhile. */
void machine_replay_idle_done(struct machine *m);

/* For rewind.c: how many events have been delivered, and going back (or
 * forward) to a point where that many had been. */
size_t machine_replay_position(const struct machine *m);
void machine_replay_seek(struct machine *m, size_t next);

#endif
