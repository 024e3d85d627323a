/* listen.c - opens the listening socket for a "unix:/path" or "host:port" address. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"

#define BACKLOG 4096	/* the kernel caps it at somaxconn */

/* Makes FD non-blocking and close-on-exec, then listens; FD on success, else -1 (closed). */
static int
finish(int fd, const char *addr)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || listen(fd, BACKLOG) < 0) {
		relay_log("cannot listen on %s: %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether something accepts connections on the Unix socket SUN. */
static int
answers(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	ok = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return ok;
}

/* Listens on the Unix socket PATH; see listen_open. */
static int
open_unix(const char *path, const char *addr)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path) || !*path) {
		relay_log("bad socket path in %s (at most %zu bytes)", addr, sizeof(sun.sun_path) - 1);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode) || answers(&sun)) {
			relay_log("%s is in use: %s", addr, S_ISSOCK(st.st_mode) ? "another process listens" : "not a socket");
			return -1;
		}
		unlink(path);	/* a stale socket from an earlier run */
	}
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0660) < 0) {
		relay_log("cannot bind %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return finish(fd, addr);
}

/* Listens on HOST:PORT (host may be "[v6]", or empty for every address); see listen_open. */
static int
open_tcp(const char *addr)
{
	char host[256];
	const char *colon = strrchr(addr, ':'), *port;
	struct addrinfo hints, *ai = NULL;
	size_t n;
	int fd, one = 1, rc;

	if (!colon || !colon[1] || (size_t)(colon - addr) >= sizeof(host)) {
		relay_log("bad listen address %s (unix:/path or host:port)", addr);
		return -1;
	}
	n = (size_t)(colon - addr);
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(n - 2), addr + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)n, addr);
	port = colon + 1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
	if (rc != 0) {
		relay_log("bad listen address %s: %s", addr, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		relay_log("cannot bind %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return finish(fd, addr);
}

int
listen_open(const char *addr, char *path, size_t path_size)
{
	int fd;

	if (path_size)
		path[0] = '\0';
	if (strncmp(addr, "unix:", 5) != 0)
		return open_tcp(addr);
	fd = open_unix(addr + 5, addr);
	if (fd >= 0)
		snprintf(path, path_size, "%s", addr + 5);
	return fd;
}
