/*
 * fanout-meter - commit-to-delivery latency of an event stream server, for N subscribers.
 *
 * Opens N Server-Sent Events streams (GET PATH on HOST:PORT, the given headers), waits
 * until every one answered 200, then a second thread publishes E events (one HTTP POST
 * each, on one keep-alive connection, one every PAUSE ms on a fixed schedule: the next
 * POST goes at its time, or at once when the last answer came after it) while this one
 * reads every stream with epoll. The schedule keeps the event rate the same for every
 * server: a pause after each answer would publish more slowly to a server that answers
 * only after it has delivered (nchan), and so load it less. Every event's data carries
 * "at":"<ISO 8601 instant>": fieldsync's change-log stamp, taken inside the writing
 * statement (so its COMMIT is counted), or the publish time the publisher stamps into
 * the body with @AT@; latency = arrival - at. Prints one line:
 *
 *   <p50_ms> <p99_ms> <delivered> <expected> <max_ms> <rss_before_kib> <rss_open_kib> <rate>
 *
 * expected = N * E; each stream must have every event once, in order (rising ids), or
 * the meter fails; the RSS figures are of --rss-pid (0 without), before the streams
 * opened and with all of them open and idle; rate is the events a second the publisher
 * sent, first to last (1000 / PAUSE unless the server answered more slowly). Exits 1 when
 * a stream failed or an event was not delivered to every stream within --timeout seconds
 * after the last publish.
 *
 *   fanout-meter --connect HOST:PORT --path PATH [--header H]... --subscribers N
 *     --events E --pause MS --publish HOST:PORT --publish-path PATH
 *     [--publish-header H]... --publish-body BODY (@I@: the event's number, @AT@: now)
 *     [--timeout S] [--rss-pid PID]
 *
 * Built by make, never installed: bench/fanout runs it.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADERS 8
#define CONNECTING_AT_ONCE 256	/* streams being opened at a time (the listen backlog) */

struct opts {
	char host[64], pub_host[64];
	int port, pub_port;
	const char *path, *pub_path, *pub_body;
	const char *headers[MAX_HEADERS], *pub_headers[MAX_HEADERS];
	int nheaders, npub_headers;
	int subscribers, events, pause_ms, timeout_s, rss_pid;
};

struct sub {
	int fd;
	int status;		/* 0 until the response headers came, then the HTTP status */
	int chunked;
	long chunk_left;	/* chunked: bytes left of the current chunk; -1 reading its size */
	char *raw;		/* bytes read and not yet parsed */
	size_t raw_len, raw_cap;
	char *line;		/* the SSE text of the current event so far */
	size_t line_len, line_cap;
	int got;		/* events with an "at" received */
	long long id[2];	/* the last one's id ("<seq>", or nchan's "<time>:<n>") */
	int disorder;		/* events whose id was not above the one before */
};

static struct opts o;
static struct sub *subs;	/* the streams, for as long as the meter runs */
static double *lat;		/* ms, one per delivery */
static size_t nlat;
static double *first, *last;	/* per event: its earliest and latest delivery's latency */
static volatile int published;	/* events the publisher sent and had answered */
static double publish_rate;	/* events a second it sent, first to last (below the schedule's
				 * when the server answered more slowly than that) */
static volatile int publish_failed;

_Noreturn static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fanout-meter: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static double
now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
split_addr(const char *arg, char *host, size_t size, int *port)
{
	const char *colon = strrchr(arg, ':');

	if (!colon || (size_t)(colon - arg) >= size)
		die("bad address %s (host:port)", arg);
	snprintf(host, size, "%.*s", (int)(colon - arg), arg);
	*port = atoi(colon + 1);
}

static int
tcp_socket(const char *host, int port, int nonblock)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0), one = 1;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		die("bad IPv4 address %s", host);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS)
		die("connect %s:%d: %s", host, port, strerror(errno));
	return fd;
}

static void
grow(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	*cap = need < 4096 ? 4096 : need * 2;
	if (!(*buf = realloc(*buf, *cap)))
		die("out of memory");
}

/* Seconds since the epoch of "2026-12-01T19:50:00.123456+00:00" (or Z), or 0. */
static double
parse_instant(const char *p)
{
	struct tm tm;
	const char *end;
	double frac = 0;
	int sign, hh = 0, mm = 0;

	memset(&tm, 0, sizeof(tm));
	if (!(end = strptime(p, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	if (*end == '.') {
		double scale = 0.1;

		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			frac += (*end - '0') * scale;
	}
	if (*end == 'Z' || *end == '"')
		return (double)timegm(&tm) + frac;
	sign = *end == '-' ? -1 : 1;
	if ((*end != '+' && *end != '-') || sscanf(end + 1, "%2d:%2d", &hh, &mm) < 1)
		return 0;
	return (double)timegm(&tm) + frac - sign * (hh * 3600 + mm * 60);
}

/* The last "at" key of TEXT (LEN bytes): the event's own, after the row's columns. */
static const char *
last_at(const char *text, size_t len)
{
	for (size_t i = len; i-- > 4;)
		if (text[i] == '"' && text[i - 1] == 't' && text[i - 2] == 'a' && text[i - 3] == '"')
			return text + i + 1;
	return NULL;
}

/* One complete SSE event, TEXT (LEN bytes, NUL-terminated), arrived at ARRIVED on S. */
static void
on_event(struct sub *s, const char *text, size_t len, double arrived)
{
	const char *at;

	/* Ready, heartbeats, retry hints: no data, or no "at" */
	if (memmem(text, len < 80 ? len : 80, "event: ready", 12) || !memmem(text, len, "data: ", 6))
		return;
	if (!(at = last_at(text, len)))
		return;
	{
		long long id[2] = { 0, 0 };

		if (sscanf(text, "id: %lld:%lld", &id[0], &id[1]) < 1 || id[0] < s->id[0] ||
		    (id[0] == s->id[0] && id[1] <= s->id[1]))
			s->disorder++;
		memcpy(s->id, id, sizeof(id));
	}
	at += strspn(at, " :");
	if (*at++ != '"')
		return;
	if (nlat < (size_t)o.subscribers * (size_t)o.events) {
		double ms = (arrived - parse_instant(at)) * 1000.0;

		lat[nlat++] = ms;
		if (s->got < o.events) {	/* every stream gets the events in the same order */
			if (first[s->got] == 0 || ms < first[s->got])
				first[s->got] = ms;
			if (ms > last[s->got])
				last[s->got] = ms;
		}
	}
	s->got++;
}

/* SSE text BUF (LEN bytes) of S's body: every event it completes is counted. */
static void
body(struct sub *s, const char *buf, size_t len, double arrived)
{
	size_t from = s->line_len ? s->line_len - 1 : 0, done = 0;
	char *end;

	grow(&s->line, &s->line_cap, s->line_len + len + 1);
	memcpy(s->line + s->line_len, buf, len);
	s->line_len += len;
	while ((end = memmem(s->line + from, s->line_len - from, "\n\n", 2))) {
		char saved = end[2];
		size_t event_len = (size_t)(end + 2 - (s->line + done));

		/* on_event reads a NUL-terminated event: the byte after it is put back after. */
		end[2] = '\0';
		on_event(s, s->line + done, event_len, arrived);
		end[2] = saved;
		done += event_len;
		from = done;
	}
	memmove(s->line, s->line + done, s->line_len - done);
	s->line_len -= done;
}

/* Parses what S read: headers, then the (chunked or plain) body. -1 when the answer is bad. */
static int
parse(struct sub *s, double arrived)
{
	char *p = s->raw, *end = s->raw + s->raw_len, *nl;

	if (!s->status) {
		char *hdr_end = memmem(p, s->raw_len, "\r\n\r\n", 4);

		if (!hdr_end)
			return 0;
		*hdr_end = '\0';
		if (sscanf(p, "HTTP/1.%*d %d", &s->status) != 1 || s->status != 200) {
			fprintf(stderr, "fanout-meter: a stream answered: %.200s\n", p);
			return -1;
		}
		s->chunked = strcasestr(p, "transfer-encoding: chunked") != NULL;
		s->chunk_left = -1;
		p = hdr_end + 4;
	}
	while (p < end) {
		if (!s->chunked) {
			body(s, p, (size_t)(end - p), arrived);
			p = end;
		} else if (s->chunk_left < 0) {
			if (!(nl = memmem(p, (size_t)(end - p), "\r\n", 2)))
				break;
			if (nl == p) {	/* the CRLF after a chunk */
				p += 2;
				continue;
			}
			s->chunk_left = strtol(p, NULL, 16);
			if (s->chunk_left == 0) {
				fprintf(stderr, "fanout-meter: a stream ended after %d events\n", s->got);
				return -1;
			}
			p = nl + 2;
		} else {
			size_t n = (size_t)(end - p) < (size_t)s->chunk_left ? (size_t)(end - p) : (size_t)s->chunk_left;

			body(s, p, n, arrived);
			p += n;
			s->chunk_left -= (long)n;
			if (s->chunk_left == 0)
				s->chunk_left = -1;
		}
	}
	memmove(s->raw, p, (size_t)(end - p));
	s->raw_len = (size_t)(end - p);
	return 0;
}

static void
send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write: %s", strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
}

static char *
format_request(const char *method, const char *path, const char *host, const char *const *headers,
    int nheaders, const char *bodytext)
{
	size_t cap = 4096 + (bodytext ? strlen(bodytext) : 0), len;
	char *req = malloc(cap);

	if (!req)
		die("out of memory");
	len = (size_t)snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, host);
	for (int i = 0; i < nheaders; i++)
		len += (size_t)snprintf(req + len, cap - len, "%s\r\n", headers[i]);
	if (bodytext)
		snprintf(req + len, cap - len, "Content-Length: %zu\r\n\r\n%s", strlen(bodytext), bodytext);
	else
		snprintf(req + len, cap - len, "\r\n");
	return req;
}

/* The publish body for event I: @I@ and @AT@ (now, ISO 8601 UTC, microseconds) filled in. */
static char *
publish_body(int i)
{
	char at[64], num[16], *out = malloc(strlen(o.pub_body) + 128), *q;
	const char *p;
	struct timespec ts;
	struct tm tm;

	if (!out)
		die("out of memory");
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(at, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(at + strlen(at), 32, ".%06ldZ", ts.tv_nsec / 1000);
	snprintf(num, sizeof(num), "%d", i);
	for (p = o.pub_body, q = out; *p;) {
		if (strncmp(p, "@I@", 3) == 0) {
			q = stpcpy(q, num);
			p += 3;
		} else if (strncmp(p, "@AT@", 4) == 0) {
			q = stpcpy(q, at);
			p += 4;
		} else {
			*q++ = *p++;
		}
	}
	*q = '\0';
	return out;
}

/* Reads one HTTP answer off FD (Content-Length or chunked); its status. */
static int
read_answer(int fd)
{
	static char buf[65536];
	size_t len = 0;
	char *hdr_end, *cl;
	int status = 0;

	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("the publish connection closed");
		len += (size_t)n;
		buf[len] = '\0';
		if (!(hdr_end = strstr(buf, "\r\n\r\n")))
			continue;
		sscanf(buf, "HTTP/1.%*d %d", &status);
		if ((cl = strcasestr(buf, "content-length:")) && cl < hdr_end) {
			if (len >= (size_t)(hdr_end + 4 - buf) + (size_t)atol(cl + 15))
				return status;
		} else if (strstr(hdr_end + 4, "0\r\n\r\n") || status == 204) {
			return status;
		}
	}
}

static void *
publisher(void *arg)
{
	char hostport[96];
	struct timespec due, first_sent = { 0 }, last_sent = { 0 };
	int fd;

	(void)arg;
	snprintf(hostport, sizeof(hostport), "%s:%d", o.pub_host, o.pub_port);
	fd = tcp_socket(o.pub_host, o.pub_port, 0);
	if (clock_gettime(CLOCK_MONOTONIC, &due) < 0)
		die("clock_gettime: %s", strerror(errno));
	for (int i = 0; i < o.events; i++) {
		char *b = publish_body(i), *req = format_request("POST", o.pub_path, hostport, o.pub_headers,
		    o.npub_headers, b);
		int status;

		if (clock_gettime(CLOCK_MONOTONIC, i == 0 ? &first_sent : &last_sent) < 0)
			die("clock_gettime: %s", strerror(errno));
		send_all(fd, req, strlen(req));
		status = read_answer(fd);
		free(req);
		free(b);
		if (status < 200 || status >= 300) {
			fprintf(stderr, "fanout-meter: publishing answered %d\n", status);
			publish_failed = 1;
			break;
		}
		__atomic_add_fetch(&published, 1, __ATOMIC_SEQ_CST);
		due.tv_nsec += (long)o.pause_ms * 1000000L;
		due.tv_sec += due.tv_nsec / 1000000000L;
		due.tv_nsec %= 1000000000L;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR)
			;
	}
	if (o.events > 1 && !publish_failed)
		publish_rate = (o.events - 1) / ((double)(last_sent.tv_sec - first_sent.tv_sec) +
		    (double)(last_sent.tv_nsec - first_sent.tv_nsec) / 1e9);
	close(fd);
	return NULL;
}

static long
rss_kib(int pid)
{
	char path[64], line[256];
	long kib = 0;
	FILE *f;

	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
pct(double p)
{
	size_t i;

	if (nlat == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(nlat - 1) + 0.5);
	return lat[i < nlat ? i : nlat - 1];
}

static void
parse_args(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "connect", 1, 0, 'c' }, { "path", 1, 0, 'p' }, { "header", 1, 0, 'H' },
		{ "subscribers", 1, 0, 'n' }, { "events", 1, 0, 'e' }, { "pause", 1, 0, 'w' },
		{ "publish", 1, 0, 'P' }, { "publish-path", 1, 0, 'q' }, { "publish-header", 1, 0, 'Q' },
		{ "publish-body", 1, 0, 'b' }, { "timeout", 1, 0, 't' }, { "rss-pid", 1, 0, 'r' },
		{ 0, 0, 0, 0 }
	};
	int c;

	o.subscribers = 1;
	o.events = 10;
	o.pause_ms = 50;
	o.timeout_s = 30;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'c': split_addr(optarg, o.host, sizeof(o.host), &o.port); break;
		case 'p': o.path = optarg; break;
		case 'H':
			if (o.nheaders == MAX_HEADERS)
				die("too many headers");
			o.headers[o.nheaders++] = optarg;
			break;
		case 'n': o.subscribers = atoi(optarg); break;
		case 'e': o.events = atoi(optarg); break;
		case 'w': o.pause_ms = atoi(optarg); break;
		case 'P': split_addr(optarg, o.pub_host, sizeof(o.pub_host), &o.pub_port); break;
		case 'q': o.pub_path = optarg; break;
		case 'Q':
			if (o.npub_headers == MAX_HEADERS)
				die("too many headers");
			o.pub_headers[o.npub_headers++] = optarg;
			break;
		case 'b': o.pub_body = optarg; break;
		case 't': o.timeout_s = atoi(optarg); break;
		case 'r': o.rss_pid = atoi(optarg); break;
		default: die("unknown option (see the comment at the top of fanout-meter.c)");
		}
	}
	if (!o.port || !o.path || !o.pub_port || !o.pub_path || !o.pub_body || o.subscribers < 1 || o.events < 1)
		die("--connect, --path, --publish, --publish-path and --publish-body are needed");
}

/* Reads what FD has for S; -1 when it failed or ended. */
static int
read_sub(struct sub *s)
{
	static char buf[65536];	/* one read's bytes; a stream keeps only what it has not parsed */

	for (;;) {
		ssize_t n = read(s->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			fprintf(stderr, "fanout-meter: a stream closed (%s)\n", n < 0 ? strerror(errno) : "EOF");
			return -1;
		}
		grow(&s->raw, &s->raw_cap, s->raw_len + (size_t)n + 1);
		memcpy(s->raw + s->raw_len, buf, (size_t)n);
		s->raw_len += (size_t)n;
		s->raw[s->raw_len] = '\0';
		if (parse(s, now_real()) < 0)
			return -1;
	}
}

int
main(int argc, char **argv)
{
	struct rlimit rl;
	struct epoll_event ev, evs[512];
	char hostport[96], *req;
	int ep, opened = 0, answered = 0, failed = 0, wrong = 0;
	long rss_before, rss_open;
	size_t expected, delivered = 0;
	pthread_t pub;
	double last_publish = 0;

	parse_args(argc, argv);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	expected = (size_t)o.subscribers * (size_t)o.events;
	if (!(subs = calloc((size_t)o.subscribers, sizeof(*subs))) || !(lat = calloc(expected, sizeof(*lat))) ||
	    !(first = calloc((size_t)o.events, sizeof(*first))) || !(last = calloc((size_t)o.events, sizeof(*last))))
		die("out of memory");
	snprintf(hostport, sizeof(hostport), "%s:%d", o.host, o.port);
	req = format_request("GET", o.path, hostport, o.headers, o.nheaders, NULL);
	if ((ep = epoll_create1(0)) < 0)
		die("epoll: %s", strerror(errno));
	rss_before = rss_kib(o.rss_pid);

	/* Open the streams, CONNECTING_AT_ONCE at a time, until each answered 200. */
	while (answered < o.subscribers) {
		int n;

		while (opened < o.subscribers && opened - answered < CONNECTING_AT_ONCE) {
			struct sub *s = &subs[opened];

			s->fd = tcp_socket(o.host, o.port, 1);
			ev.events = EPOLLOUT | EPOLLIN;
			ev.data.ptr = s;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) < 0)
				die("epoll_ctl: %s", strerror(errno));
			opened++;
		}
		if ((n = epoll_wait(ep, evs, 512, 10000)) <= 0)
			die("streams stopped opening (%d of %d answered)", answered, o.subscribers);
		for (int i = 0; i < n; i++) {
			struct sub *s = evs[i].data.ptr;
			int had = s->status;

			if (evs[i].events & EPOLLOUT) {
				send_all(s->fd, req, strlen(req));	/* a small request fits the fresh socket */
				ev.events = EPOLLIN;
				ev.data.ptr = s;
				epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
			}
			if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && read_sub(s) < 0)
				die("a stream failed while opening");
			if (!had && s->status)
				answered++;
		}
	}
	/* Let every server finish registering its subscribers (nchan acknowledges first), and
	 * the relay give back what opening them took (it trims a second after a burst). */
	{
		struct timespec settle = { o.rss_pid ? 1 : 0, o.rss_pid ? 500 * 1000000L : 300 * 1000000L };

		nanosleep(&settle, NULL);
	}
	rss_open = rss_kib(o.rss_pid);
	fprintf(stderr, "fanout-meter: %d streams open\n", o.subscribers);	/* for a profiler */

	if (pthread_create(&pub, NULL, publisher, NULL) != 0)
		die("cannot start the publisher");
	while (delivered < expected && !publish_failed) {
		int n = epoll_wait(ep, evs, 512, 100);

		for (int i = 0; i < n; i++) {
			struct sub *s = evs[i].data.ptr;
			int before = s->got;

			if (read_sub(s) < 0) {
				failed++;
				epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
			}
			delivered += (size_t)(s->got - before);
		}
		if (failed)
			break;
		if (__atomic_load_n(&published, __ATOMIC_SEQ_CST) == o.events) {
			if (last_publish == 0)
				last_publish = now_real();
			else if (now_real() - last_publish > o.timeout_s)
				break;
		}
	}
	pthread_join(pub, NULL);
	qsort(lat, nlat, sizeof(*lat), cmp_double);
	/* Where the time goes: to the first subscriber (the server's own path), then the spread
	 * from the first subscriber to the last (the fan-out), medians over the events. */
	for (int k = 0; k < o.events; k++)
		last[k] -= first[k];
	qsort(first, (size_t)o.events, sizeof(*first), cmp_double);
	qsort(last, (size_t)o.events, sizeof(*last), cmp_double);
	fprintf(stderr, "fanout-meter: to the first subscriber %.3f ms, first to last %.3f ms (medians)\n",
	    first[o.events / 2], last[o.events / 2]);
	printf("%.3f %.3f %zu %zu %.3f %ld %ld %.1f\n", pct(50), pct(99), delivered, expected,
	    nlat ? lat[nlat - 1] : 0.0, rss_before, rss_open, publish_rate);
	for (int i = 0; i < o.subscribers; i++)
		wrong += subs[i].got != o.events || subs[i].disorder > 0;
	if (wrong)
		fprintf(stderr, "fanout-meter: %d streams had events missing, repeated or out of order\n", wrong);
	return delivered == expected && !wrong && !failed && !publish_failed ? 0 : 1;
}
