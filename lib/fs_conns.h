/*
 * fs_conns.h - the FastCGI connections one worker serves: new ones from the listening
 * socket, and those the web server keeps open for its next requests (nginx's
 * fastcgi_keep_conn with an upstream keepalive: no connect, accept and close per request).
 *
 * A kept connection holds no worker: each worker watches up to FS_CONNS of them and the
 * listening socket in one epoll set, and serves whichever has a request. A connection
 * waiting in the listening socket's queue is taken by a worker with a free slot; so that one
 * always has one, the web server may keep at most FS_CONNS x workers - 1 idle connections
 * per pool in all (nginx: keepalive x worker_processes; conf/fieldsync-http.conf.in).
 */
#ifndef FS_CONNS_H
#define FS_CONNS_H

#include <signal.h>
#include <stdbool.h>

#include <sys/epoll.h>

#include <fcgiapp.h>

/*
 * 256: nginx keeps keepalive (16) idle connections per worker process and program; 16 nginx
 * processes x 16 = 256 stay well under the 1024 slots of a 16-core box's 4 workers. A slot
 * costs a small struct and a file descriptor while its connection is open.
 */
#define FS_CONNS 256

#define FS_CONNS_EVENTS 8	/* connections taken from one wait at most */

struct fs_conns {
	FCGX_Request fr[FS_CONNS];
	int epoll, listen_fd;
	bool listening;		/* listen_fd is in the epoll set (false while every slot is taken) */
	struct epoll_event ev[FS_CONNS_EVENTS];	/* the last wait's, from next on not yet taken */
	int nev, next;
	int extra;		/* the other socket in the epoll set (fs_conns_next), or -1 */
	unsigned long extra_generation;	/* and the generation it was added with */
};

/* Sets C up over the listening socket LISTEN_FD (made non-blocking). 0, or -1 (logged). */
int fs_conns_open(struct fs_conns *c, int listen_fd);

/*
 * Waits for the next request on any of C's connections; NULL once *STOPPING is set or on
 * failure. The stop signals are blocked but while waiting (WAITING: the mask to wait with):
 * a stop taken in the middle of reading a request would cut it off (libfcgi drops a
 * connection whose read is interrupted). The listening socket wakes one waiting worker per
 * connection (EPOLLEXCLUSIVE), not the whole pool.
 *
 * EXTRA, unless -1, is another socket to wait on (the database's, while answers are due):
 * NULL with *EXTRA_READY set once it is readable. The requests that came in the same wait
 * stay for fs_conns_more. GENERATION tells a new socket from a closed one that had its
 * number (fs_pg's connection count): the same socket stays in the set from wait to wait,
 * also through waits without it, until it wakes one of those.
 */
FCGX_Request *fs_conns_next(struct fs_conns *c, const sigset_t *waiting,
    const volatile sig_atomic_t *stopping, int extra, unsigned long generation,
    bool *extra_ready);

/*
 * The next request of a connection the last wait found ready too, without waiting again:
 * the requests that are there at once can be served together (fs_read's GETs by id, in one
 * round trip to the database). NULL when there is none.
 */
FCGX_Request *fs_conns_more(struct fs_conns *c);

/* The answer to FR is complete: its connection is closed, or kept and watched again. */
void fs_conns_done(struct fs_conns *c, FCGX_Request *fr);

/* Closes every connection and the epoll set. */
void fs_conns_close(struct fs_conns *c);

#endif
