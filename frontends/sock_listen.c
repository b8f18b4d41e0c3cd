/* The frontend's listening sockets (see sock_listen.h).  TCP listens on
 * the loopback address unless a host is named: a debugger or a monitor
 * reachable from the network is something to ask for, not a default. */
#include "frontends/sock_listen.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_tcp(struct sock_listen *s, const char *hostport, const char *who)
{
    const char *colon = strrchr(hostport, ':');
    if (!colon || !colon[1]) {
        fprintf(stderr, "popek: %s tcp:[HOST]:PORT, not tcp:%s\n", who, hostport);
        return -1;
    }
    char host[64];
    size_t hl = (size_t)(colon - hostport);
    if (hl >= sizeof(host)) {
        fprintf(stderr, "popek: %s: host name too long\n", who);
        return -1;
    }
    memcpy(host, hostport, hl);
    host[hl] = 0;
    if (!host[0])
        snprintf(host, sizeof(host), "127.0.0.1");
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
    struct addrinfo *res;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc) {
        fprintf(stderr, "popek: %s tcp:%s: %s\n", who, hostport, gai_strerror(rc));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 1) < 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "popek: %s tcp:%s: %s\n", who, hostport, strerror(err));
        return -1;
    }
    snprintf(s->where, sizeof(s->where), "tcp:%s:%s", host, colon + 1);
    return fd;
}

static int listen_unix(struct sock_listen *s, const char *path, const char *who)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (!*path || strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "popek: %s unix:PATH: the path must be 1 to %zu bytes\n", who, sizeof(sa.sun_path) - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
        fprintf(stderr, "popek: %s unix:%s: %s\n", who, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    snprintf(s->unix_path, sizeof(s->unix_path), "%s", path);
    snprintf(s->where, sizeof(s->where), "unix:%s", path);
    return fd;
}

int sock_listen_open(struct sock_listen *s, const char *spec, const char *who)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    if (!strncmp(spec, "tcp:", 4))
        s->fd = listen_tcp(s, spec + 4, who);
    else if (!strncmp(spec, "unix:", 5))
        s->fd = listen_unix(s, spec + 5, who);
    else
        fprintf(stderr, "popek: %s wants tcp:[HOST]:PORT or unix:PATH, not '%s'\n", who, spec);
    if (s->fd < 0)
        return -1;
    fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

void sock_listen_close(struct sock_listen *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    if (s->unix_path[0])
        unlink(s->unix_path);
    s->unix_path[0] = 0;
}

int sock_listen_accept(struct sock_listen *s)
{
    int fd = s->fd >= 0 ? accept(s->fd, NULL, NULL) : -1;
    if (fd < 0)
        return -1;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* fails harmlessly on Unix sockets */
    return fd;
}
