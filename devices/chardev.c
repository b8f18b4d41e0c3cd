/* Host character streams (see chardev.h): the input ring and the output
 * sinks — none, memory, FILE*, file descriptor. */
#include "devices/chardev.h"
#include "mem/sv.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void chardev_base_init(struct chardev *cd, const struct chardev_ops *ops)
{
    memset(cd, 0, sizeof(*cd));
    cd->ops = ops;
    cd->in_fd = -1;
    cd->out_fd = -1;
}

/* --- null --------------------------------------------------------------- */

static const struct chardev_ops chardev_null_ops = { 0 };

void chardev_init_null(struct chardev *cd)
{
    chardev_base_init(cd, &chardev_null_ops);
}

/* --- memory ------------------------------------------------------------- */

static void chardev_mem_write(struct chardev *cd, const uint8_t *buf, size_t len)
{
    if (len > cd->mem_cap - cd->mem_len) {
        size_t cap = cd->mem_cap ? cd->mem_cap : 256;
        while (cap - cd->mem_len < len)
            cap *= 2;
        uint8_t *p = realloc(cd->mem, cap);
        if (!p)
            return; /* out of memory: the bytes are lost, as on a dead line */
        cd->mem = p;
        cd->mem_cap = cap;
    }
    memcpy(cd->mem + cd->mem_len, buf, len);
    cd->mem_len += len;
}

static void chardev_mem_close(struct chardev *cd)
{
    free(cd->mem);
    cd->mem = NULL;
    cd->mem_len = cd->mem_cap = 0;
}

static const struct chardev_ops chardev_mem_ops = {
    .write = chardev_mem_write,
    .close = chardev_mem_close,
};

void chardev_init_mem(struct chardev *cd)
{
    chardev_base_init(cd, &chardev_mem_ops);
}

const uint8_t *chardev_mem_data(const struct chardev *cd, size_t *len)
{
    *len = cd->mem_len;
    return cd->mem;
}

void chardev_mem_clear(struct chardev *cd)
{
    cd->mem_len = 0;
}

/* --- FILE* -------------------------------------------------------------- */

/* A sink that failed (a full disk, a closed pipe) keeps failing: the
 * first error is kept for the frontend to report, and output after it is
 * counted as lost rather than retried. */
static bool write_failed(struct chardev *cd, size_t len)
{
    if (!cd->write_errno)
        return false;
    cd->out_lost += len;
    return true;
}

static void chardev_file_write(struct chardev *cd, const uint8_t *buf, size_t len)
{
    if (write_failed(cd, len))
        return;
    errno = 0;
    if (fwrite(buf, 1, len, cd->file) != len || fflush(cd->file) != 0) {
        cd->write_errno = errno ? errno : EIO;
        cd->out_lost += len;
        clearerr(cd->file);
    }
}

static const struct chardev_ops chardev_file_ops = {
    .write = chardev_file_write,
};

void chardev_init_file(struct chardev *cd, FILE *out)
{
    chardev_base_init(cd, &chardev_file_ops);
    cd->file = out ? out : stdout;
}

/* --- file descriptors --------------------------------------------------- */

static void chardev_fd_write(struct chardev *cd, const uint8_t *buf, size_t len)
{
    if (write_failed(cd, len))
        return;
    while (cd->out_fd >= 0 && len > 0) {
        ssize_t n = write(cd->out_fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* a peer that does not read: drop, as a line would */
        if (n <= 0) {
            cd->write_errno = n < 0 ? errno : EIO;
            cd->out_lost += len;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

static void chardev_fd_poll(struct chardev *cd)
{
    uint8_t buf[256];
    while (cd->in_fd >= 0 && !cd->in_eof && cd->in_len < CHARDEV_INPUT_SIZE) {
        struct pollfd p = { .fd = cd->in_fd, .events = POLLIN };
        if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
            return;
        size_t room = CHARDEV_INPUT_SIZE - cd->in_len;
        ssize_t n = read(cd->in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                cd->in_eof = true;
            return;
        }
        chardev_push_input_buf(cd, buf, (size_t)n);
    }
}

static const struct chardev_ops chardev_fd_ops = {
    .write = chardev_fd_write,
    .poll = chardev_fd_poll,
};

void chardev_init_fd(struct chardev *cd, int in_fd, int out_fd)
{
    chardev_base_init(cd, &chardev_fd_ops);
    cd->in_fd = in_fd;
    cd->out_fd = out_fd;
}

/* --- common ------------------------------------------------------------- */

void chardev_close(struct chardev *cd)
{
    if (cd->ops && cd->ops->close)
        cd->ops->close(cd);
}

void chardev_set_consumer(struct chardev *cd, void (*notify)(void *opaque), void *opaque)
{
    cd->notify = notify;
    cd->notify_opaque = opaque;
}

void chardev_write(struct chardev *cd, const uint8_t *buf, size_t len)
{
    cd->out_bytes += len;
    if (cd->ops && cd->ops->write && len > 0)
        cd->ops->write(cd, buf, len);
}

bool chardev_pop_input(struct chardev *cd, uint8_t *byte)
{
    if (cd->in_len == 0)
        return false;
    *byte = cd->in[cd->in_head];
    cd->in_head = (cd->in_head + 1) % CHARDEV_INPUT_SIZE;
    cd->in_len--;
    return true;
}

static bool chardev_queue(struct chardev *cd, uint8_t byte)
{
    if (cd->in_len == CHARDEV_INPUT_SIZE)
        return false;
    cd->in[(cd->in_head + cd->in_len) % CHARDEV_INPUT_SIZE] = byte;
    cd->in_len++;
    cd->in_bytes++;
    return true;
}

bool chardev_push_input(struct chardev *cd, uint8_t byte)
{
    if (cd->input_tap) {
        cd->input_tap(cd->input_tap_opaque, cd, &byte, 1);
        return true;
    }
    bool ok = chardev_queue(cd, byte);
    if (!ok)
        cd->in_dropped++;
    if (ok && cd->notify)
        cd->notify(cd->notify_opaque);
    return ok;
}

size_t chardev_push_input_buf(struct chardev *cd, const uint8_t *buf, size_t len)
{
    if (cd->input_tap) {
        cd->input_tap(cd->input_tap_opaque, cd, buf, len);
        return len;
    }
    return chardev_inject(cd, buf, len);
}

size_t chardev_inject(struct chardev *cd, const uint8_t *buf, size_t len)
{
    size_t n = 0;
    while (n < len && chardev_queue(cd, buf[n]))
        n++;
    cd->in_dropped += len - n;
    if (n > 0 && cd->notify)
        cd->notify(cd->notify_opaque);
    return n;
}

void chardev_poll(struct chardev *cd)
{
    if (cd->ops && cd->ops->poll)
        cd->ops->poll(cd);
}

void chardev_save_input(const struct chardev *cd, struct sv_writer *w)
{
    sv_put_u32(w, (uint32_t)cd->in_len);
    for (size_t i = 0; i < cd->in_len; i++)
        sv_put_u8(w, cd->in[(cd->in_head + i) % CHARDEV_INPUT_SIZE]);
}

void chardev_load_input(struct chardev *cd, struct sv_reader *r, unsigned version)
{
    if (version != CHARDEV_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, CHARDEV_SV_VERSION);
        return;
    }
    size_t n = sv_get_max(r, 4, CHARDEV_INPUT_SIZE, "the input bytes pending");
    if (!sv_ok(r))
        return;
    sv_get_bytes(r, cd->in, n);
    cd->in_head = 0;
    cd->in_len = n;
}
