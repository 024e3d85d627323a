/* fs_conns.c - new and kept FastCGI connections of one worker, in one epoll set. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "fs_conns.h"
#include "fs_log.h"

#define LISTENING FS_CONNS	/* the epoll data of the listening socket */
#define EXTRA (FS_CONNS + 1)	/* and of the other socket (fs_conns_next) */

/* Adds or refreshes FD in C's epoll set with DATA; 0 or -1. */
static int
watch(struct fs_conns *c, int fd, unsigned data, unsigned events)
{
	struct epoll_event ev = { .events = events, .data.u32 = data };

	/* A kept connection is usually watched already; one libfcgi closed and replaced is not. */
	if (epoll_ctl(c->epoll, EPOLL_CTL_MOD, fd, &ev) == 0)
		return 0;
	return epoll_ctl(c->epoll, EPOLL_CTL_ADD, fd, &ev);
}

/* Watches the listening socket again, or stops while every slot is taken. */
static void
listen_if_free(struct fs_conns *c)
{
	bool free = false;

	for (int i = 0; i < FS_CONNS && !free; i++)
		free = c->fr[i].ipcFd < 0;
	if (free && !c->listening)
		c->listening = watch(c, c->listen_fd, LISTENING, EPOLLIN | EPOLLEXCLUSIVE) == 0;
	else if (!free && c->listening)
		c->listening = epoll_ctl(c->epoll, EPOLL_CTL_DEL, c->listen_fd, NULL) != 0;
}

int
fs_conns_open(struct fs_conns *c, int listen_fd)
{
	memset(c, 0, sizeof(*c));
	c->listen_fd = listen_fd;
	c->extra = -1;
	for (int i = 0; i < FS_CONNS; i++)
		if (FCGX_InitRequest(&c->fr[i], listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
			return -1;
	if ((c->epoll = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		fs_log(FS_LOG_ERROR, "cannot watch the listening socket: %s", strerror(errno));
		return -1;
	}
	/* A connection another worker took first is EAGAIN, never a wait with the stops blocked. */
	fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
	listen_if_free(c);
	if (!c->listening) {
		fs_log(FS_LOG_ERROR, "cannot watch the listening socket: %s", strerror(errno));
		close(c->epoll);
		return -1;
	}
	return 0;
}

/* The first slot without a connection, or -1. */
static int
free_slot(const struct fs_conns *c)
{
	for (int i = 0; i < FS_CONNS; i++)
		if (c->fr[i].ipcFd < 0)
			return i;
	return -1;
}

/* The request of the first of the last wait's events not yet taken that has one, or NULL. */
static FCGX_Request *
take_event(struct fs_conns *c, bool *failed)
{
	*failed = false;
	while (c->next < c->nev) {
		struct epoll_event *ev = &c->ev[c->next++];
		int slot = ev->data.u32 == LISTENING ? free_slot(c) : (int)ev->data.u32;
		int rc;

		if (slot < 0 || ev->data.u32 == EXTRA)
			continue;
		/*
		 * A new connection, or the next request of a kept one; one the server closed
		 * is closed here (libfcgi then tries the listening socket in the same slot).
		 */
		rc = FCGX_Accept_r(&c->fr[slot]);
		listen_if_free(c);
		if (rc == 0)
			return &c->fr[slot];
		if (rc != -EAGAIN && rc != -EWOULDBLOCK && rc != -EINTR) {
			*failed = true;
			return NULL;
		}
	}
	return NULL;
}

/*
 * Puts EXTRA (of GENERATION) into C's epoll set unless it is there; false when it cannot.
 * A socket closed since left the set by itself (libpq never duplicates it), so one of
 * another generation is added even when it has the same number; nothing is removed here.
 */
static bool
watch_extra(struct fs_conns *c, int extra, unsigned long generation)
{
	if (extra < 0 || (extra == c->extra && generation == c->extra_generation))
		return true;
	if (watch(c, extra, EXTRA, EPOLLIN) != 0) {
		fs_log(FS_LOG_ERROR, "cannot watch the database's socket: %s", strerror(errno));
		return false;
	}
	c->extra = extra;
	c->extra_generation = generation;
	return true;
}

/* Whether one of the last wait's events is EXTRA's. */
static bool
extra_came(const struct fs_conns *c)
{
	for (int i = 0; i < c->nev; i++)
		if (c->ev[i].data.u32 == EXTRA)
			return true;
	return false;
}

FCGX_Request *
fs_conns_next(struct fs_conns *c, const sigset_t *waiting, const volatile sig_atomic_t *stopping,
    int extra, unsigned long generation, bool *extra_ready)
{
	FCGX_Request *fr;
	bool failed;

	if (extra_ready)
		*extra_ready = false;
	if (!watch_extra(c, extra, generation))
		return NULL;
	while (!*stopping) {
		c->next = 0;
		c->nev = epoll_pwait(c->epoll, c->ev, FS_CONNS_EVENTS, -1, waiting);
		if (c->nev < 0) {
			c->nev = 0;
			if (errno != EINTR)	/* EINTR: a stop sets *stopping; SIGUSR1 reopened the log */
				return NULL;
		}
		if ((fr = take_event(c, &failed)) != NULL || failed)
			return fr;
		if (c->extra >= 0 && extra_came(c)) {
			if (extra >= 0) {
				if (extra_ready)
					*extra_ready = true;
				return NULL;
			}
			/* Nothing is due from it (a notice, its end): it waits for the next use. */
			epoll_ctl(c->epoll, EPOLL_CTL_DEL, c->extra, NULL);
			c->extra = -1;
		}
	}
	return NULL;
}

FCGX_Request *
fs_conns_more(struct fs_conns *c)
{
	bool failed;

	return take_event(c, &failed);
}

void
fs_conns_done(struct fs_conns *c, FCGX_Request *fr)
{
	unsigned slot = (unsigned)(fr - c->fr);

	FCGX_Finish_r(fr);
	/*
	 * One shot: a connection whose request is still being answered is not watched (its
	 * unread end of the request would wake every wait, and a second FCGX_Accept_r on it
	 * would finish the request early). This call arms it again.
	 */
	if (fr->ipcFd >= 0 && watch(c, fr->ipcFd, slot, EPOLLIN | EPOLLONESHOT) != 0)
		FCGX_Free(fr, 1);	/* cannot watch it: close it rather than leave it unserved */
	listen_if_free(c);
}

void
fs_conns_close(struct fs_conns *c)
{
	for (int i = 0; i < FS_CONNS; i++)
		FCGX_Free(&c->fr[i], 1);
	close(c->epoll);
}
