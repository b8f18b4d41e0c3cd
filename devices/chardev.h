/* A host character stream: what a serial port (and later the terminal
 * frontend or a pty) is connected to.  Output goes to a sink chosen when the
 * chardev is made (nothing, a memory buffer for tests, a FILE*, a file
 * descriptor); input is a ring buffer that the host side fills with
 * chardev_push_input() (or chardev_poll() for fd-backed streams) and that
 * the consumer — one device, e.g. a UART — drains with chardev_pop_input()
 * after being told by its notify callback that bytes arrived.
 *
 * Single-threaded: everything is called from the machine's thread. */
#ifndef POPEK_DEVICES_CHARDEV_H
#define POPEK_DEVICES_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CHARDEV_INPUT_SIZE 4096 /* bytes of host input buffered */

struct chardev;

/* How a kind of chardev reaches the host.  Every hook is optional. */
struct chardev_ops {
    /* Output bytes from the guest side.  May drop what the host cannot
     * take; the chardev counts len in out_bytes either way. */
    void (*write)(struct chardev *cd, const uint8_t *buf, size_t len);
    /* Fetches host input without blocking, with chardev_push_input(). */
    void (*poll)(struct chardev *cd);
    /* Releases what the kind owns (not the struct chardev itself). */
    void (*close)(struct chardev *cd);
};

struct chardev {
    const struct chardev_ops *ops;

    /* Backend state (which fields are used depends on ops). */
    FILE *file;
    int in_fd, out_fd;
    bool in_eof;
    uint8_t *mem;            /* memory sink: collected output */
    size_t mem_len, mem_cap; /* ... its length and allocation */

    /* Input ring. */
    uint8_t in[CHARDEV_INPUT_SIZE];
    size_t in_head, in_len;

    /* The consumer, told when input arrives (may be NULL). */
    void (*notify)(void *opaque);
    void *notify_opaque;

    /* A tap on host input (machine/replay.c): when set, bytes pushed go
     * to it instead of the ring; it logs them and passes them on with
     * chardev_inject, or drops them while a recorded run is re-executed. */
    void (*input_tap)(void *opaque, struct chardev *cd, const uint8_t *buf, size_t len);
    void *input_tap_opaque;

    uint64_t out_bytes;     /* bytes written by the guest side */
    int write_errno;        /* the first error writing to the host (0: none); later output is dropped */
    uint64_t out_lost;      /* bytes not delivered because of it */
    uint64_t in_bytes;      /* bytes accepted into the input ring */
    uint64_t in_dropped;    /* bytes pushed while the ring was full */
};

/* Constructors.  Each fully initialises *cd. */
/* Output is discarded; input only through chardev_push_input(). */
void chardev_init_null(struct chardev *cd);
/* Output is collected in memory (chardev_mem_data); for tests. */
void chardev_init_mem(struct chardev *cd);
/* Output goes to out (flushed after every write: a serial console should
 * appear as it is sent).  Input only through chardev_push_input(). */
void chardev_init_file(struct chardev *cd, FILE *out);
/* Output is written to out_fd (-1: discarded); chardev_poll() reads what
 * in_fd (-1: none) has ready without blocking.  The descriptors' flags are
 * not changed and they are not closed. */
void chardev_init_fd(struct chardev *cd, int in_fd, int out_fd);

/* Into the input ring past the tap (what the tap passes on); returns
 * how many bytes fitted. */
size_t chardev_inject(struct chardev *cd, const uint8_t *buf, size_t len);
/* The input ring in a savestate: bytes the host sent that the guest's
 * UART has not taken yet are the guest's to receive after a load. */
#define CHARDEV_SV_VERSION 1
struct sv_writer;
struct sv_reader;
void chardev_save_input(const struct chardev *cd, struct sv_writer *w);
void chardev_load_input(struct chardev *cd, struct sv_reader *r, unsigned version);

/* Frees what the chardev owns (the memory sink's buffer). */
void chardev_close(struct chardev *cd);

/* The consumer side. */
void chardev_set_consumer(struct chardev *cd, void (*notify)(void *opaque), void *opaque);
void chardev_write(struct chardev *cd, const uint8_t *buf, size_t len);
/* Takes the oldest input byte; false when there is none. */
bool chardev_pop_input(struct chardev *cd, uint8_t *byte);
static inline size_t chardev_input_pending(const struct chardev *cd)
{
    return cd->in_len;
}

/* The host side. */
/* Queues one input byte and notifies the consumer.  Returns false (and
 * counts in_dropped) when the ring is full. */
bool chardev_push_input(struct chardev *cd, uint8_t byte);
/* Queues len bytes; returns how many fit.  Notifies once. */
size_t chardev_push_input_buf(struct chardev *cd, const uint8_t *buf, size_t len);
/* Asks the backend for host input (fd-backed chardevs). */
void chardev_poll(struct chardev *cd);

/* Memory sink: the output so far (not NUL-terminated) and clearing it. */
const uint8_t *chardev_mem_data(const struct chardev *cd, size_t *len);
void chardev_mem_clear(struct chardev *cd);

#endif
